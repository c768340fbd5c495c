package publisher

// SetHistoryExportPage sets how many rows ExportHistory reads at a time
// and returns a function that puts it back.
func SetHistoryExportPage(n int) func() {
	old := historyExportPage
	historyExportPage = n
	return func() { historyExportPage = old }
}
