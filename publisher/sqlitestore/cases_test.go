package sqlitestore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prasar/prasar/publisher"
	"github.com/prasar/prasar/publisher/storetest"
)

// TestCaseTrailIsAppendOnlyInTheFile checks that the case trail cannot be
// changed or deleted even by a program that writes to the database file
// directly: the triggers of migration 0006 refuse it.
func TestCaseTrailIsAppendOnlyInTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prasar.db")
	st := open(t, path)
	ctx := context.Background()
	c := storetest.CaseValue("org-1", 0)
	e := &publisher.CaseEvent{ID: publisher.NewID(), CaseID: c.ID, Seq: 1, At: storetest.T0, Kind: "intake", Hash: "h"}
	if err := st.CreateCase(ctx, c, []*publisher.CaseEvent{e}); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		"UPDATE case_events SET note = 'rewritten' WHERE case_id = '" + c.ID + "'",
		"DELETE FROM case_events WHERE case_id = '" + c.ID + "'",
	} {
		_, err := db.ExecContext(ctx, q)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: got %v, want the trigger's refusal", q, err)
		}
	}
	evs, err := st.ListCaseEvents(ctx, c.ID)
	if err != nil || len(evs) != 1 || evs[0].Note != "" {
		t.Fatalf("trail after the refused writes = %+v, %v", evs, err)
	}
}
