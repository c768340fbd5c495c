package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

// These tests drive the write combiner directly. To put several
// operations in one transaction deterministically, another connection
// holds the database's write lock: the combiner's BEGIN IMMEDIATE waits
// for it (busy_timeout) while the operations under test queue up behind,
// and all of them go into the next transaction once the lock is released.

func openInternal(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "prasar.db"), WithLogger(slog.New(slog.DiscardHandler)))
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

// writeLock holds the write lock of s's database from another connection
// until release is called.
func writeLock(t *testing.T, s *Store) (release func()) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: s.path}).EscapedPath()+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
				t.Errorf("releasing the write lock: %v", err)
			}
			conn.Close()
			db.Close()
		})
	}
	t.Cleanup(release)
	return release
}

// waitQueued waits until n operations wait in the combiner's queue.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(s.ops) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d operations queued after 10s, want %d", len(s.ops), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// block submits a write that the combiner takes into a transaction of
// its own, whose BEGIN then waits for the lock that writeLock holds, and
// returns the write's outcome to come.
func block(t *testing.T, s *Store) <-chan error {
	t.Helper()
	before := s.stats.batches.Load()
	blocker := make(chan error, 1)
	go func() { blocker <- s.write(context.Background(), "blocking", insertSession("blocker")) }()
	deadline := time.Now().Add(10 * time.Second)
	for s.stats.batches.Load() == before {
		if time.Now().After(deadline) {
			t.Fatal("the combiner did not take the blocking write")
		}
		time.Sleep(time.Millisecond)
	}
	return blocker
}

// outcome waits for a write's outcome, failing t if none comes.
func outcome(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("a write got no outcome within 20s")
		return nil
	}
}

func insertSession(id string) func(ctx context.Context, tx *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO sessions (id, user_id, csrf_token, created_at, expires_at) VALUES (?, 'u', 'c', 0, 0)", id)
		return err
	}
}

func sessionExists(t *testing.T, s *Store, id string) bool {
	t.Helper()
	ok, err := s.exists(t.Context(), s.r, "sessions", id)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestGroupCommitKeepsEachOperationsOutcome(t *testing.T) {
	s := openInternal(t)
	if err := s.write(t.Context(), "seeding", insertSession("taken")); err != nil {
		t.Fatal(err)
	}
	release := writeLock(t, s)
	// The operations under test queue behind the blocker.
	blocker := block(t, s)
	errBoom := publisher.Errorf(publisher.EINVALID, "boom")
	cancelled, cancel := context.WithCancel(t.Context())
	running, cancelRunning := context.WithCancel(t.Context())
	ops := []struct {
		name    string
		ctx     context.Context
		fn      func(ctx context.Context, tx *sql.Tx) error
		wantErr string // error code; "" for success
		stored  []string
		gone    []string
	}{
		{"a plain insert", t.Context(), insertSession("a"), "", []string{"a"}, nil},
		{"an operation that writes, then fails", t.Context(), func(ctx context.Context, tx *sql.Tx) error {
			if err := insertSession("b1")(ctx, tx); err != nil {
				return err
			}
			if err := insertSession("b2")(ctx, tx); err != nil {
				return err
			}
			return errBoom
		}, publisher.EINVALID, nil, []string{"b1", "b2"}},
		{"a unique violation after a write of its own", t.Context(), func(ctx context.Context, tx *sql.Tx) error {
			if err := insertSession("c1")(ctx, tx); err != nil {
				return err
			}
			return insertSession("taken")(ctx, tx)
		}, publisher.ECONFLICT, nil, []string{"c1"}},
		{"an operation whose caller gave up while it was queued", cancelled, insertSession("d"), publisher.EINTERNAL, nil, []string{"d"}},
		{"two statements", t.Context(), func(ctx context.Context, tx *sql.Tx) error {
			if err := insertSession("e1")(ctx, tx); err != nil {
				return err
			}
			return insertSession("e2")(ctx, tx)
		}, "", []string{"e1", "e2"}, nil},
		{"an operation whose caller gives up while it runs", running, func(ctx context.Context, tx *sql.Tx) error {
			if err := insertSession("g1")(ctx, tx); err != nil {
				return err
			}
			cancelRunning() // must not interrupt the transaction
			return insertSession("g2")(ctx, tx)
		}, "", []string{"g1", "g2"}, nil},
		{"an operation that sees the batch's earlier writes", t.Context(), func(ctx context.Context, tx *sql.Tx) error {
			ok, err := s.exists(ctx, tx, "sessions", "a")
			if err != nil {
				return err
			}
			if !ok {
				return errors.New("the earlier operation's write is not visible")
			}
			return insertSession("f")(ctx, tx)
		}, "", []string{"f"}, nil},
	}
	done := make([]chan error, len(ops))
	before := s.stats.batches.Load()
	for i, op := range ops {
		done[i] = make(chan error, 1)
		// One at a time, so that they queue in this order.
		go func() { done[i] <- s.write(op.ctx, op.name, op.fn) }()
		waitQueued(t, s, i+1)
	}
	cancel()
	errs := make([]error, len(ops))
	// The cancelled caller returns while the lock is still held, without
	// its operation.
	select {
	case errs[3] = <-done[3]:
	case <-time.After(10 * time.Second):
		t.Fatal("the caller that gave up is still waiting")
	}
	release()
	for i := range ops {
		if i != 3 {
			errs[i] = outcome(t, done[i])
		}
	}
	if err := outcome(t, blocker); err != nil {
		t.Errorf("the blocking write: %v", err)
	}
	for i, op := range ops {
		switch {
		case op.wantErr == "" && errs[i] != nil:
			t.Errorf("%s: %v, want success", op.name, errs[i])
		case op.wantErr != "" && publisher.ErrorCode(errs[i]) != op.wantErr:
			t.Errorf("%s: %v, want %s", op.name, errs[i], op.wantErr)
		}
		for _, id := range op.stored {
			if !sessionExists(t, s, id) {
				t.Errorf("%s: %s was not stored", op.name, id)
			}
		}
		for _, id := range op.gone {
			if sessionExists(t, s, id) {
				t.Errorf("%s: %s was stored", op.name, id)
			}
		}
	}
	if !errors.Is(errs[3], context.Canceled) {
		t.Errorf("the abandoned operation: %v, want context.Canceled", errs[3])
	}
	// The blocker's transaction, and one for all the others.
	if n := s.stats.batches.Load() - before; n != 1 {
		t.Errorf("the operations took %d transactions after the blocker's, want 1", n)
	}
}

func TestGroupCommitSurvivesATransactionRolledBackUnderIt(t *testing.T) {
	s := openInternal(t)
	release := writeLock(t, s)
	blocker := block(t, s)
	// The second operation ends the whole transaction, as SQLite does
	// after an interrupt or a full disk: the first one's write is lost
	// and it must say so; the third runs in the next transaction.
	fns := []func(ctx context.Context, tx *sql.Tx) error{
		insertSession("lost"),
		func(ctx context.Context, tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, "ROLLBACK"); err != nil {
				return err
			}
			return errors.New("the transaction was rolled back")
		},
		insertSession("next"),
	}
	done := make([]chan error, len(fns))
	for i, fn := range fns {
		done[i] = make(chan error, 1)
		go func() { done[i] <- s.write(t.Context(), fmt.Sprintf("op %d", i), fn) }()
		waitQueued(t, s, i+1)
	}
	release()
	errs := make([]error, len(fns))
	for i := range fns {
		errs[i] = outcome(t, done[i])
	}
	if err := outcome(t, blocker); err != nil {
		t.Errorf("the blocking write: %v", err)
	}
	if errs[0] == nil || sessionExists(t, s, "lost") {
		t.Errorf("the operation whose write was rolled back: %v, stored %v; want an error and nothing stored", errs[0], sessionExists(t, s, "lost"))
	}
	if errs[1] == nil {
		t.Errorf("the operation that failed returned nil")
	}
	if errs[2] != nil || !sessionExists(t, s, "next") {
		t.Errorf("the operation after the failure: %v, stored %v; want it to run in the next transaction", errs[2], sessionExists(t, s, "next"))
	}
	// The store keeps working.
	if err := s.write(t.Context(), "after", insertSession("after")); err != nil || !sessionExists(t, s, "after") {
		t.Errorf("a write after the failure: %v", err)
	}
}

// TestAPanickingOperationPanicsInItsCaller checks that a panic in an
// operation reaches its caller's goroutine (where a server's recovery can
// catch it), undoes the operation's writes and leaves the combiner and
// the other operations alone.
func TestAPanickingOperationPanicsInItsCaller(t *testing.T) {
	s := openInternal(t)
	release := writeLock(t, s)
	blocker := block(t, s)
	panicked := make(chan any, 1)
	go func() {
		defer func() { panicked <- recover() }()
		s.write(t.Context(), "panicking", func(ctx context.Context, tx *sql.Tx) error {
			if err := insertSession("p")(ctx, tx); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	waitQueued(t, s, 1)
	other := make(chan error, 1)
	go func() { other <- s.write(t.Context(), "other", insertSession("q")) }()
	waitQueued(t, s, 2)
	release()
	select {
	case v := <-panicked:
		if v != "boom" {
			t.Errorf("the caller recovered %v, want the operation's panic", v)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the panicking operation's caller got no outcome")
	}
	if err := outcome(t, other); err != nil {
		t.Errorf("the other operation of the batch: %v", err)
	}
	if err := outcome(t, blocker); err != nil {
		t.Errorf("the blocking write: %v", err)
	}
	if sessionExists(t, s, "p") || !sessionExists(t, s, "q") {
		t.Errorf("stored: p %v, q %v; want only q", sessionExists(t, s, "p"), sessionExists(t, s, "q"))
	}
}

func TestWritesAfterCloseFail(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "prasar.db"), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	err = s.write(t.Context(), "writing after close", insertSession("x"))
	if publisher.ErrorCode(err) != publisher.EINTERNAL || !errors.Is(err, errClosed) {
		t.Errorf("a write after Close: %v, want EINTERNAL wrapping errClosed", err)
	}
}

// TestCloseWaitsForQueuedWrites closes the store while writers are
// queued: each gets an outcome (none hangs), and what succeeded is stored.
func TestCloseWaitsForQueuedWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prasar.db")
	s, err := Open(path, WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = s.write(context.Background(), "writing", insertSession(fmt.Sprint("s", i))) })
	}
	time.Sleep(time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	s2, err := Open(path, WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	ok := 0
	for i, err := range errs {
		stored := sessionExists(t, s2, fmt.Sprint("s", i))
		if (err == nil) != stored {
			t.Errorf("write %d: %v, stored %v", i, err, stored)
		}
		if err != nil && !errors.Is(err, errClosed) {
			t.Errorf("write %d: %v, want success or errClosed", i, err)
		}
		if err == nil {
			ok++
		}
	}
	t.Logf("%d of %d writes were stored before Close", ok, n)
}
