package sqlitestore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/prasar/prasar/publisher"
)

// TestReachIndexesAfterRebuild: ReplaceContributions drops the reach
// indexes for its bulk insert and builds them again; they must come back
// exactly as the migration made them, or the dashboard's queries (which
// name them in INDEXED BY) would fail or slow down.
func TestReachIndexesAfterRebuild(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prasar.db")
	s := open(t, path)
	db := rawDB(t, path)
	indexes := func() map[string]string {
		t.Helper()
		rows, err := db.Query(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND (tbl_name = 'reach_contributions' OR tbl_name = 'reach_rollups') AND sql IS NOT NULL`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]string{}
		for rows.Next() {
			var name, sql string
			if err := rows.Scan(&name, &sql); err != nil {
				t.Fatal(err)
			}
			out[name] = sql
		}
		return out
	}
	before := indexes()
	if len(before) != 6 {
		t.Fatalf("the migration made %d reach indexes, want 6: %v", len(before), before)
	}
	reach := int64(5)
	done := false
	if _, err := s.ReplaceContributions(context.Background(), func() (*publisher.Contribution, error) {
		if done {
			return nil, nil
		}
		done = true
		return &publisher.Contribution{DeliveryID: "d1", PostID: "p1", OrgID: "o1", AccountID: "a1", Platform: publisher.X, Day: "2026-03-02",
			Figures: publisher.PostFigures{Reach: &reach}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	after := indexes()
	for name, sql := range before {
		if after[name] != sql {
			t.Errorf("index %s after a rebuild:\n%s\nwant, as the migration made it:\n%s", name, after[name], sql)
		}
	}
	if len(after) != len(before) {
		t.Errorf("indexes after a rebuild: %v", after)
	}
	// The dashboard's top-posts query, which names an index, still runs.
	if _, err := s.TopContributions(context.Background(), publisher.TopQuery{From: "2026-01-01", To: "2026-12-31", By: publisher.FigureReach, Limit: 5}); err != nil {
		t.Fatal(err)
	}
}
