// Package benchcpu measures the process's CPU time for benchmarks. On a
// small or shared machine a benchmark's wall-clock time swings with
// whatever else runs; the CPU time the process spent per operation says
// more about what the code costs.
package benchcpu

import (
	"syscall"
	"testing"
	"time"
)

// Now returns the CPU time (user and system) the process has used so far,
// or 0 where the system cannot tell.
func Now() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Report reports the process's CPU time per operation since start (a Now
// reading) as the metric cpu-µs/op, over b.N operations.
func Report(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((Now()-start).Microseconds())/float64(b.N), "cpu-µs/op")
}
