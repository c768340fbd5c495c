package sqlitestore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	_ "modernc.org/sqlite"

	"github.com/prasar/prasar/publisher"
	"github.com/prasar/prasar/publisher/sqlitestore"
	"github.com/prasar/prasar/publisher/storetest"
)

// quiet discards the store's log lines ("applied migration"), which
// would otherwise interleave with benchmark results.
var quiet = slog.New(slog.DiscardHandler)

// open opens a fresh store in a temporary directory, closed when t ends.
func open(t testing.TB, path string) *sqlitestore.Store {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "prasar.db")
	}
	s, err := sqlitestore.Open(path, sqlitestore.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// TestConformance runs the whole storetest suite with every guarantee on.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) publisher.Store { return open(t, "") }, storetest.Options{})
}

// rawDB opens the file directly, to look at what the store wrote.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=rw&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOpenCreatesTheDirectoryAndUsesWAL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data dir #1?", "nested", "prasar.db")
	s := open(t, path)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the database file was not created: %v", err)
	}
	storetest.NewOrg(t, s)
	var mode string
	if err := rawDB(t, path).QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Errorf("no write-ahead log next to the database: %v", err)
	}
}

func TestOpenRefusesAnInMemoryDatabase(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file::memory:?cache=shared"} {
		if s, err := sqlitestore.Open(p); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded; the store needs a file (its read and write pools share it)", p)
		}
	}
}

func TestMigrationsRunOnceAndReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prasar.db")
	s, err := sqlitestore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	f := storetest.NewFixture(t, s)
	p := storetest.NewPost(t, s, f.Org.ID, f.Author.ID)
	ds := storetest.NewDeliveries(t, s, p, storetest.T0, f.Accounts...)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	applied := func() (n int, at int64) {
		t.Helper()
		db := rawDB(t, path)
		if err := db.QueryRow("SELECT count(*), max(applied_at) FROM schema_migrations").Scan(&n, &at); err != nil {
			t.Fatal(err)
		}
		db.Close()
		return n, at
	}
	n1, at1 := applied()
	entries, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	if n1 != len(entries) {
		t.Errorf("%d migrations recorded after the first open, want %d", n1, len(entries))
	}
	for range 2 {
		s2 := open(t, path)
		got, err := s2.GetPost(t.Context(), p.ID)
		if err != nil {
			t.Fatalf("after reopening: %v", err)
		}
		storetest.AssertEqual(t, "post after reopening", got, p)
		d, err := s2.GetDelivery(t.Context(), ds[1].ID)
		if err != nil {
			t.Fatalf("after reopening: %v", err)
		}
		storetest.AssertEqual(t, "delivery after reopening", d, ds[1])
		if n, err := s2.CreateDeliveries(t.Context(), ds); err != nil || n != 0 {
			t.Errorf("CreateDeliveries after reopening: inserted %d, %v; want 0, nil", n, err)
		}
		if err := s2.Close(); err != nil {
			t.Fatal(err)
		}
		if n2, at2 := applied(); n2 != n1 || at2 != at1 {
			t.Errorf("reopening changed schema_migrations: %d rows (max applied_at %d), before %d (%d)", n2, at2, n1, at1)
		}
	}
}

func TestOpenRejectsAFileThatIsNotADatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prasar.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("not a database ", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := sqlitestore.Open(path); err == nil {
		s.Close()
		t.Fatal("Open of a file that is not a database succeeded")
	}
}

func TestErrorsAreCodedAndHideSQL(t *testing.T) {
	s := open(t, "")
	o := storetest.NewOrg(t, s)
	err := s.CreateOrg(t.Context(), o)
	if !publisher.IsCode(err, publisher.ECONFLICT) {
		t.Fatalf("duplicate CreateOrg: %v, want ECONFLICT", err)
	}
	if msg := publisher.ErrorMessage(err); strings.Contains(strings.ToUpper(msg), "UNIQUE") || strings.Contains(msg, "organisations") {
		t.Errorf("the user-facing message leaks SQL: %q", msg)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = s.GetOrg(ctx, o.ID)
	if publisher.ErrorCode(err) != publisher.EINTERNAL || !errors.Is(err, context.Canceled) {
		t.Errorf("GetOrg with a cancelled context: %v, want EINTERNAL wrapping context.Canceled", err)
	}
	if publisher.ErrorMessage(err) != "Internal error." {
		t.Errorf("the user-facing message of an internal error is %q", publisher.ErrorMessage(err))
	}
}

// TestConcurrentWritersNeverSeeBusy runs many writers and readers at once
// on one store: the write pool must queue them, not fail them.
func TestConcurrentWritersNeverSeeBusy(t *testing.T) {
	s := open(t, "")
	p := storetest.NewPost(t, s, "org-1", "user-1")
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for w := range 16 {
		wg.Go(func() {
			for i := range 30 {
				acct := &publisher.Account{ID: fmt.Sprintf("acct-%02d-%02d", w, i), Platform: publisher.X}
				d := storetest.DeliveryValue(p, 1, acct, storetest.T0)
				if _, err := s.CreateDeliveries(t.Context(), []*publisher.Delivery{d}); err != nil {
					errs <- err
				}
				if _, err := s.ClaimDelivery(t.Context(), d.ID, publisher.Claim{Token: "t", Now: storetest.T0, LeaseUntil: storetest.T0.Add(time.Minute)}); err != nil {
					errs <- err
				}
				if _, _, err := s.ListDeliveries(t.Context(), publisher.DeliveryFilter{PostID: p.ID, Limit: 10}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent use: %v", err)
	}
	counts, err := s.CountDeliveries(t.Context(), publisher.DeliveryFilter{PostID: p.ID})
	if err != nil {
		t.Fatal(err)
	}
	if counts[publisher.DeliverySending] != 16*30 {
		t.Errorf("counts = %v, want %d sending", counts, 16*30)
	}
}

// TestHistoryQueriesUseIndexes checks the query plans of the publish
// history's filters: none may scan the deliveries table.
func TestHistoryQueriesUseIndexes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prasar.db")
	open(t, path)
	db := rawDB(t, path)
	cols := "id, status"
	cases := map[string]string{
		"newest first":         "SELECT " + cols + " FROM deliveries ORDER BY created_at DESC, rowid DESC LIMIT 50",
		"by organisation":      "SELECT " + cols + " FROM deliveries WHERE org_id = 'o' ORDER BY created_at DESC, rowid DESC LIMIT 50",
		"by post":              "SELECT " + cols + " FROM deliveries WHERE post_id = 'p' ORDER BY created_at DESC, rowid DESC LIMIT 50",
		"by platform":          "SELECT " + cols + " FROM deliveries WHERE platform = 'x' ORDER BY created_at DESC, rowid DESC LIMIT 50",
		"by account, statuses": "SELECT " + cols + " FROM deliveries WHERE account_id = 'a' AND status IN ('needs_reconnect') ORDER BY created_at DESC, rowid DESC LIMIT 50",
		"by org and period":    "SELECT count(*) FROM deliveries WHERE org_id = 'o' AND created_at >= 1 AND created_at < 2",
		"due work": `SELECT ` + cols + ` FROM deliveries WHERE (status = 'queued' AND updated_at < 1) OR (status = 'retrying' AND next_attempt_at <= 1 AND updated_at < 1)
			OR (status = 'sending' AND lease_until < 1) ORDER BY updated_at, rowid LIMIT 10`,
	}
	for name, q := range cases {
		rows, err := db.Query("EXPLAIN QUERY PLAN " + q)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		for _, step := range plan {
			if strings.HasPrefix(step, "SCAN deliveries") && !strings.Contains(step, "INDEX") {
				t.Errorf("%s scans the whole table: %v", name, plan)
			}
		}
		t.Logf("%s: %v", name, plan)
	}
}

func TestAFailedMigrationChangesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prasar.db")
	s := open(t, path)
	storetest.NewOrg(t, s)
	broken := fstest.MapFS{
		"migrations/9001_add_table.sql": {Data: []byte("CREATE TABLE extra_ok (id TEXT PRIMARY KEY) STRICT;")},
		"migrations/9002_broken.sql":    {Data: []byte("CREATE TABLE extra_half (id TEXT PRIMARY KEY) STRICT;\nTHIS IS NOT SQL;")},
		"migrations/9003_after.sql":     {Data: []byte("CREATE TABLE extra_after (id TEXT PRIMARY KEY) STRICT;")},
	}
	err := s.Migrate(t.Context(), broken)
	if err == nil || !strings.Contains(err.Error(), "9002_broken.sql") {
		t.Fatalf("Migrate with a broken migration: %v, want an error naming 9002_broken.sql", err)
	}
	db := rawDB(t, path)
	tables := func(name string) int {
		var n int
		if err := db.QueryRow("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?", name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if tables("extra_ok") != 1 {
		t.Errorf("the migration before the broken one was not kept")
	}
	if tables("extra_half") != 0 || tables("extra_after") != 0 {
		t.Errorf("the broken migration was half applied, or a later one ran")
	}
	var versions []int
	rows, err := db.Query("SELECT version FROM schema_migrations WHERE version > 9000 ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, v)
	}
	rows.Close()
	if fmt.Sprint(versions) != "[9001]" {
		t.Errorf("recorded migrations above 9000: %v, want [9001]", versions)
	}
	// The store still works, and the migration applies once fixed.
	storetest.NewOrg(t, s)
	broken["migrations/9002_broken.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE extra_half (id TEXT PRIMARY KEY) STRICT;")}
	if err := s.Migrate(t.Context(), broken); err != nil {
		t.Fatalf("Migrate after the fix: %v", err)
	}
	if tables("extra_half") != 1 || tables("extra_after") != 1 {
		t.Errorf("the fixed migrations did not apply")
	}
}

func TestCloseIsFinal(t *testing.T) {
	s, err := sqlitestore.Open(filepath.Join(t.TempDir(), "prasar.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("a second Close: %v, want nil", err)
	}
	if err := s.Ping(t.Context()); err == nil {
		t.Errorf("Ping after Close succeeded")
	}
}

// TestFinishDeliveryStoresTheResultAndTheAttemptOrNeither makes the
// attempt's insert fail (a trigger refuses it) and checks that the result
// was not stored without it: the delivery is still held, so that the
// worker can retry or the lease can lapse.
func TestFinishDeliveryStoresTheResultAndTheAttemptOrNeither(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prasar.db")
	s := open(t, path)
	if _, err := rawDB(t, path).Exec(`CREATE TRIGGER refuse_attempt BEFORE INSERT ON attempts WHEN NEW.outcome = 'refused'
		BEGIN SELECT RAISE(ABORT, 'attempt refused'); END`); err != nil {
		t.Fatal(err)
	}
	p := storetest.NewPost(t, s, "org-1", "user-1")
	ds := storetest.NewDeliveries(t, s, p, storetest.T0, &publisher.Account{ID: "acct-1", Platform: publisher.X}, &publisher.Account{ID: "acct-2", Platform: publisher.X})
	c := publisher.Claim{Token: "tok", Now: storetest.T0, LeaseUntil: storetest.T0.Add(time.Minute)}
	held, err := s.ClaimDelivery(t.Context(), ds[0].ID, c)
	if err != nil {
		t.Fatal(err)
	}
	end := storetest.T0.Add(time.Second)
	r := publisher.DeliveryResult{Status: publisher.DeliveryPublished, ExternalID: "1", At: end,
		Attempt: &publisher.Attempt{DeliveryID: held.ID, N: 1, StartedAt: storetest.T0, EndedAt: end, Outcome: "refused"}}
	if _, err := s.FinishDelivery(t.Context(), held.ID, c.Token, r); err == nil {
		t.Fatal("FinishDelivery succeeded although its attempt could not be stored")
	}
	got, err := s.GetDelivery(t.Context(), held.ID)
	if err != nil {
		t.Fatal(err)
	}
	storetest.AssertEqual(t, "the delivery after the failed finish", got, held)

	// An attempt that names another delivery is refused, and nothing is
	// stored.
	r.Attempt.Outcome, r.Attempt.DeliveryID = "published", ds[1].ID
	if _, err := s.FinishDelivery(t.Context(), held.ID, c.Token, r); err == nil {
		t.Error("FinishDelivery stored an attempt of another delivery")
	}
	for _, d := range ds {
		if as, err := s.ListAttempts(t.Context(), d.ID); err != nil || len(as) != 0 {
			t.Errorf("attempts of %s: %v, %v; want none", d.ID, as, err)
		}
	}
	// With its own delivery's id, it is stored with the result.
	r.Attempt.DeliveryID = held.ID
	if _, err := s.FinishDelivery(t.Context(), held.ID, c.Token, r); err != nil {
		t.Fatal(err)
	}
	if as, err := s.ListAttempts(t.Context(), held.ID); err != nil || len(as) != 1 {
		t.Errorf("attempts after the finish: %v, %v; want one", as, err)
	}
}
