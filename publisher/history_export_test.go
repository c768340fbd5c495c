package publisher_test

import (
	"fmt"
	"testing"

	"github.com/prasar/prasar/publisher"
)

// TestExportHistoryIsWholeAndScoped: an export of the publish history has
// every delivery of the selection once, across the pages it reads, and
// only those the user may see.
func TestExportHistoryIsWholeAndScoped(t *testing.T) {
	e := newEnv(t)
	defer publisher.SetHistoryExportPage(2)()
	mine := map[string]bool{}
	for i := range 3 {
		for _, d := range e.fanout(e.approvedPost(fmt.Sprintf("किसान सूचना %d", i), e.fbAcct, e.xAcct)) {
			mine[d.ID] = true
		}
	}
	theirs, err := e.svc.CreatePost(as(e.otherEditor), publisher.PostInput{Title: "स्वास्थ्य", Content: publisher.Content{BodyHI: "स्वास्थ्य"}, Targets: []string{e.otherAcct.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if theirs, err = e.svc.SubmitPost(as(e.otherEditor), theirs.ID, theirs.Revision); err != nil {
		t.Fatal(err)
	}
	if theirs, err = e.svc.ApprovePost(as(e.approver), theirs.ID, theirs.Revision, ""); err != nil {
		t.Fatal(err)
	}
	e.fanout(theirs)

	ids := func(who string, tb publisher.Table) map[string]bool {
		t.Helper()
		out := map[string]bool{}
		for _, r := range tb.Rows {
			if len(r) != len(tb.Columns) {
				t.Fatalf("%s: a row of %d cells under %d columns", who, len(r), len(tb.Columns))
			}
			id := r[0].(string)
			if out[id] {
				t.Errorf("%s: delivery %s twice", who, id)
			}
			out[id] = true
		}
		return out
	}
	tb, err := e.svc.ExportHistory(as(e.approver), publisher.DeliveryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids("approver", tb); len(got) != 7 {
		t.Errorf("the approver's export has %d deliveries, want all 7", len(got))
	}
	tb, err = e.svc.ExportHistory(as(e.editor), publisher.DeliveryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	got := ids("editor", tb)
	if len(got) != len(mine) {
		t.Errorf("the editor's export has %d deliveries, want the organisation's %d", len(got), len(mine))
	}
	for id := range got {
		if !mine[id] {
			t.Errorf("the editor's export has another organisation's delivery %s", id)
		}
	}
	if r := tb.Rows[0]; r[2] == "" || r[3] != e.org.Code || r[6] != string(publisher.DeliveryQueued) {
		t.Errorf("a row = %q; want the post's title, the organisation's code and the status", r)
	}
	tb, err = e.svc.ExportHistory(as(e.otherEditor), publisher.DeliveryFilter{OrgID: e.org.ID})
	if err != nil || len(tb.Rows) != 0 {
		t.Errorf("another organisation's editor exporting this one's history: %d rows, %v; want none", len(tb.Rows), err)
	}
	_, err = e.svc.ExportHistory(as(e.editor), publisher.DeliveryFilter{Platform: "myspace"})
	wantField(t, err, "platform", "invalid_choice")
}
