package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
)

// The write combiner (group commit). SQLite has one writer, and much of a
// small transaction's cost is its BEGIN and its COMMIT, which writes every
// page the transaction changed to the WAL: a claim or a finish is one
// indexed UPDATE, but it changes a row's page and two index pages. So
// writes are not transactions of their own. A writer hands its operation
// to the combiner, one goroutine that owns the write connection; the
// combiner takes every operation waiting (up to maxBatch), runs them in one
// BEGIN IMMEDIATE transaction, each inside its own SAVEPOINT, commits once,
// and hands each writer its own result. An operation that fails is rolled
// back to its savepoint and gets its own error; the others commit. If the
// COMMIT fails, every operation that ran gets that error. A panic in an
// operation is rolled back like an error and raised again in its writer's
// goroutine. No writer returns before its operation is committed (or known
// not to be), so a writer reads its own writes from either pool.
//
// There is no waiting to fill a batch: while one batch runs, the next
// gathers. A lone write pays only a hand-over to the combiner and back;
// under load, operations share their transaction's BEGIN, COMMIT and pages.

// maxBatch is the most operations one transaction carries. It bounds how
// long an operation can wait behind others of its batch.
const maxBatch = 64

// opQueue is the capacity of the queue of operations waiting for the
// combiner.
const opQueue = 256

// An operation's state: queued until the combiner starts it or its caller
// gives up waiting (only one of the two happens).
const (
	opQueued int32 = iota
	opStarted
	opAbandoned
)

// writeOp is one write submitted to the combiner.
type writeOp struct {
	// ctx is the caller's context: the operation is skipped if it is done
	// before the operation starts. The operation itself runs under
	// context.WithoutCancel(ctx), because interrupting a statement inside
	// a transaction makes SQLite roll back the whole transaction, which
	// would take the batch's other operations with it.
	ctx context.Context
	op  string // what the store was doing, for errors
	fn  func(ctx context.Context, tx *sql.Tx) error
	// solo asks for a transaction of its own, for functions that may run
	// statements under a cancellable context (see writeTx).
	solo  bool
	state atomic.Int32
	done  chan error // receives the outcome once; buffered
}

// errClosed is the cause of the error of a write to a closed store.
var errClosed = errors.New("the store is closed")

// write runs fn as one operation of the next group commit and returns its
// outcome: fn's error (nothing fn wrote is kept), the COMMIT's error
// (nothing is kept), or nil once fn's writes are committed. fn must use
// the ctx and tx it is given; it may run more than one statement, which
// are atomic together. Errors that are not *publisher.Error are wrapped as
// EINTERNAL (or ECONFLICT for constraint violations) with op.
func (s *Store) write(ctx context.Context, op string, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return s.submit(ctx, &writeOp{ctx: ctx, op: op, fn: fn})
}

// writeTx runs f in a transaction of its own on the write connection,
// through the combiner, and commits it if f returns nil. It is for
// functions that run their statements under their caller's (cancellable)
// context; write, which shares transactions, is preferred.
func (s *Store) writeTx(ctx context.Context, op string, f func(tx *sql.Tx) error) error {
	return s.submit(ctx, &writeOp{ctx: ctx, op: op, fn: func(_ context.Context, tx *sql.Tx) error { return f(tx) }, solo: true})
}

// submit queues w for the combiner and waits for its outcome. If ctx ends
// while w is still queued, w is abandoned and submit returns ctx's error;
// once w has started, submit waits for its outcome, which follows within
// the batch.
func (s *Store) submit(ctx context.Context, w *writeOp) error {
	if err := ctx.Err(); err != nil {
		return s.fail(err, w.op)
	}
	w.done = make(chan error, 1)
	s.submitMu.RLock()
	if s.stopping {
		s.submitMu.RUnlock()
		return s.fail(errClosed, w.op)
	}
	select {
	case s.ops <- w:
		s.submitMu.RUnlock()
	case <-ctx.Done():
		s.submitMu.RUnlock()
		return s.fail(ctx.Err(), w.op)
	}
	var err error
	select {
	case err = <-w.done:
	case <-ctx.Done():
		if w.state.CompareAndSwap(opQueued, opAbandoned) {
			return s.fail(ctx.Err(), w.op)
		}
		err = <-w.done
	}
	if p, ok := err.(*opPanic); ok {
		panic(p.value) // in the caller's goroutine, as before the combiner
	}
	return err
}

// opPanic carries a panic of an operation's function to its caller.
type opPanic struct{ value any }

func (p *opPanic) Error() string {
	return fmt.Sprintf("sqlitestore: an operation panicked: %v", p.value)
}

// run calls w's function, turning a panic into an *opPanic.
func (w *writeOp) run(ctx context.Context, tx *sql.Tx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &opPanic{value: v}
		}
	}()
	return w.fn(ctx, tx)
}

// finish hands w its outcome.
func (s *Store) finish(w *writeOp, err error) {
	if _, ok := err.(*opPanic); !ok && err != nil {
		err = s.fail(err, w.op)
	}
	w.done <- err
}

// combine is the combiner's loop; it returns when s.ops is closed and
// drained.
func (s *Store) combine() {
	defer close(s.combinerDone)
	batch := make([]*writeOp, 0, maxBatch)
	for {
		if len(batch) == 0 {
			w, ok := <-s.ops
			if !ok {
				return
			}
			batch = append(batch, w)
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case w, ok := <-s.ops:
				if !ok {
					break fill
				}
				batch = append(batch, w)
			default:
				break fill
			}
		}
		rest := s.commit(batch)
		// Keep the operations that did not run, in order, at the front.
		n := copy(batch, rest)
		clear(batch[n:])
		batch = batch[:n]
	}
}

// commit runs the leading operations of batch in one transaction — all of
// them up to the first solo one, or that solo one alone — and hands each
// its outcome. It returns the operations it did not run, to go first in
// the next transaction.
func (s *Store) commit(batch []*writeOp) (rest []*writeOp) {
	n := 1
	if !batch[0].solo {
		for n < len(batch) && !batch[n].solo {
			n++
		}
	}
	run, rest := batch[:n], batch[n:]
	s.stats.batches.Add(1)
	// Background, not a caller's context: database/sql rolls back a
	// transaction whose context ends.
	bg := context.Background()
	tx, err := s.w.BeginTx(bg, nil)
	if err != nil {
		for _, w := range run {
			if w.state.CompareAndSwap(opQueued, opStarted) {
				s.finish(w, err)
			}
		}
		return rest
	}
	savepoints := len(run) > 1
	var sp, release, rollbackTo *sql.Stmt
	if savepoints {
		sp, release, rollbackTo = tx.StmtContext(bg, s.stmts.savepoint), tx.StmtContext(bg, s.stmts.release), tx.StmtContext(bg, s.stmts.rollbackTo)
	}
	ran := make([]*writeOp, 0, len(run)) // succeeded, waiting for the COMMIT
	// abort ends the transaction after a failure that SQLite may have
	// turned into a rollback of all of it: what ran is lost, what did not
	// run goes to the next transaction.
	abort := func(i int, err error) []*writeOp {
		tx.Rollback()
		for _, w := range ran {
			s.finish(w, err)
		}
		return append(run[i+1:len(run):len(run)], rest...)
	}
	for i, w := range run {
		if !w.state.CompareAndSwap(opQueued, opStarted) {
			continue // its caller gave up
		}
		if err := w.ctx.Err(); err != nil {
			s.finish(w, err)
			continue
		}
		s.stats.ops.Add(1)
		if savepoints {
			if _, err := sp.ExecContext(bg); err != nil {
				s.finish(w, err)
				return abort(i, err)
			}
		}
		err := w.run(context.WithoutCancel(w.ctx), tx)
		switch {
		case err == nil && savepoints:
			if _, err := release.ExecContext(bg); err != nil {
				s.finish(w, err)
				return abort(i, err)
			}
			ran = append(ran, w)
		case err == nil:
			ran = append(ran, w)
		case !savepoints:
			tx.Rollback()
			s.finish(w, err)
			return rest
		default:
			// Undo w's writes and keep the others'. If the savepoint is
			// gone, SQLite rolled back the whole transaction (an
			// interrupt, a full disk): the others' writes are gone too.
			if _, rerr := rollbackTo.ExecContext(bg); rerr != nil {
				s.finish(w, err)
				return abort(i, rerr)
			}
			if _, rerr := release.ExecContext(bg); rerr != nil {
				s.finish(w, err)
				return abort(i, rerr)
			}
			s.finish(w, err)
		}
	}
	if len(ran) == 0 {
		tx.Rollback()
		return rest
	}
	err = tx.Commit()
	for _, w := range ran {
		s.finish(w, err)
	}
	return rest
}

// stopCombiner refuses new writes, lets the combiner finish those queued
// and waits for it.
func (s *Store) stopCombiner() {
	s.submitMu.Lock()
	if s.stopping {
		s.submitMu.Unlock()
		return
	}
	s.stopping = true
	close(s.ops)
	s.submitMu.Unlock()
	<-s.combinerDone
}

// combinerStats count the combiner's work, for tests and benchmarks.
type combinerStats struct {
	batches, ops atomic.Int64
}
