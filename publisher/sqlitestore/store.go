// Package sqlitestore is Prasar's embedded store: a publisher.Store kept in
// one SQLite file (pure Go, modernc.org/sqlite), for a single machine
// without MongoDB. It passes the same conformance suite as mongostore
// (publisher/storetest), concurrency cases included.
//
// # Concurrency
//
// SQLite allows one writer at a time. The store keeps two connection
// pools on the file: a write pool of exactly one connection, whose
// transactions begin IMMEDIATE, and a read pool of several query-only
// connections. In WAL mode readers never wait for the writer; busy_timeout
// covers the rare wait on another process (an admin command) or on a
// checkpoint. Two processes can share a file, but a deployment that needs
// more than one machine uses MongoDB. Look-ups by key (the Get methods)
// are prepared once on the read pool.
//
// Writes are group-committed (write.go). Each write is an operation — one
// statement, or a few that must hold together — handed to one goroutine,
// the combiner, which runs every operation waiting (up to 64) in one
// IMMEDIATE transaction, each inside its own SAVEPOINT, and commits once.
// An operation that fails is rolled back to its savepoint and gets its own
// error while the others commit; if the COMMIT fails, every operation that
// ran gets that error. A writer returns only once its operation is
// committed (or known not to be), so it reads its writes back from either
// pool. A writer whose context ends while its operation waits gets the
// context's error at once and the operation is skipped; an operation that
// has started runs to its end under a context that cannot be cancelled,
// because interrupting a statement makes SQLite roll back the whole
// transaction, the batch's other operations included.
//
// Every conditional write is one operation: ClaimDelivery and
// ChangeDelivery are single conditional UPDATE … RETURNING statements;
// FinishDelivery is one, plus the insert of the attempt it carries (both
// or neither); UpdatePost compares the version and inserts the revision;
// CreateDeliveries inserts a whole fan-out.
//
// # Representation
//
// Times are INTEGER milliseconds since the Unix epoch, UTC (NULL for a nil
// *time.Time), the precision MongoDB keeps; nested values (content,
// targets, review trail, scopes, audit details) are JSON text, with the
// times inside them also truncated to milliseconds in UTC. Tables are
// STRICT. There are no foreign keys: like the MongoDB store, the domain
// refers to objects by id, and the publish history outlives registry rows.
//
// # Errors
//
// Constraint violations are ECONFLICT, missing rows ENOTFOUND, anything
// else an EINTERNAL *publisher.Error whose cause (never shown to users)
// carries the SQLite error.
package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/prasar/prasar/publisher"
)

var _ publisher.Store = (*Store)(nil)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a publisher.Store in one SQLite file. It is safe for concurrent
// use.
type Store struct {
	w      *sql.DB // exactly one connection: all writes, through the combiner
	r      *sql.DB // query-only connections: all reads
	path   string
	log    *slog.Logger
	closed atomic.Bool
	stmts  struct {
		claim, finish, insertDeliveries, addAttempt *sql.Stmt
		savepoint, release, rollbackTo              *sql.Stmt
	}

	// Queries of the read pool prepared once (readStmt): query text →
	// *sql.Stmt.
	readStmts  sync.Map
	nReadStmts atomic.Int32

	// The write combiner (write.go).
	ops          chan *writeOp
	submitMu     sync.RWMutex // held to send on ops; Lock to close it
	stopping     bool         // ops is closed
	combinerDone chan struct{}
	stats        combinerStats
}

// config holds Open's options.
type config struct {
	readConns   int
	busyTimeout time.Duration
	log         *slog.Logger
}

// Option changes how Open opens a store.
type Option func(*config)

// WithReadConns sets how many connections the read pool keeps open
// (default: GOMAXPROCS, at least 4).
func WithReadConns(n int) Option { return func(c *config) { c.readConns = n } }

// WithBusyTimeout sets how long a statement waits for a lock held by
// another process before it fails (default 10s).
func WithBusyTimeout(d time.Duration) Option { return func(c *config) { c.busyTimeout = d } }

// WithLogger sets the logger for migrations and for errors on Close
// (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// Open opens the store in the SQLite file at path, creating the file and
// its directory if needed, and brings its schema up to date.
func Open(path string, opts ...Option) (*Store, error) {
	cfg := config{readConns: max(4, runtime.GOMAXPROCS(0)), busyTimeout: 10 * time.Second, log: slog.Default()}
	for _, o := range opts {
		o(&cfg)
	}
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlitestore: open: want the path of a database file, got %q", path)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("sqlitestore: creating the data directory: %w", err)
		}
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(cfg.busyTimeout.Milliseconds(), 10)+")")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Add("_pragma", "cache_size(-32000)")
	wq := url.Values{"_txlock": {"immediate"}}
	for k, v := range q {
		wq[k] = v
	}
	rq := url.Values{"_pragma": append(append([]string(nil), q["_pragma"]...), "query_only(1)")}
	dsn := func(v url.Values) string { return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + v.Encode() }

	w, err := sql.Open("sqlite", dsn(wq))
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: open: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &Store{w: w, path: path, log: cfg.log}
	ctx := context.Background()
	if err := s.migrate(ctx, migrations); err != nil {
		w.Close()
		return nil, err
	}
	// The statements of the publishing pipeline's hot path and of the
	// combiner, prepared once on the write connection.
	for _, st := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&s.stmts.claim, claimSQL}, {&s.stmts.finish, finishSQL}, {&s.stmts.insertDeliveries, insertDeliveriesSQL(insertBatch)},
		{&s.stmts.addAttempt, addAttemptSQL},
		{&s.stmts.savepoint, "SAVEPOINT op"}, {&s.stmts.release, "RELEASE op"}, {&s.stmts.rollbackTo, "ROLLBACK TO op"},
	} {
		if *st.stmt, err = w.PrepareContext(ctx, st.sql); err != nil {
			s.closeStmts()
			w.Close()
			return nil, fmt.Errorf("sqlitestore: preparing statements: %w", err)
		}
	}
	r, err := sql.Open("sqlite", dsn(rq))
	if err != nil {
		s.closeStmts()
		w.Close()
		return nil, fmt.Errorf("sqlitestore: open: %w", err)
	}
	r.SetMaxOpenConns(cfg.readConns)
	r.SetMaxIdleConns(cfg.readConns)
	r.SetConnMaxIdleTime(5 * time.Minute)
	s.r = r
	s.ops, s.combinerDone = make(chan *writeOp, opQueue), make(chan struct{})
	go s.combine()
	if err := r.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlitestore: open: %w", err)
	}
	return s, nil
}

// Close closes the store's connections. Closing a closed store does
// nothing.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.stopCombiner()
	if _, err := s.w.Exec("PRAGMA optimize"); err != nil {
		s.log.Warn("sqlitestore: optimize on close failed", "err", err)
	}
	errs := []error{s.closeStmts()}
	s.readStmts.Range(func(_, st any) bool {
		errs = append(errs, st.(*sql.Stmt).Close())
		return true
	})
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	errs = append(errs, s.w.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlitestore: close: %w", err)
	}
	return nil
}

// closeStmts closes the prepared statements.
func (s *Store) closeStmts() error {
	var errs []error
	for _, st := range []*sql.Stmt{s.stmts.claim, s.stmts.finish, s.stmts.insertDeliveries, s.stmts.addAttempt,
		s.stmts.savepoint, s.stmts.release, s.stmts.rollbackTo} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

// maxReadStmts bounds how many queries readStmt keeps prepared.
const maxReadStmts = 64

// readStmt returns query prepared on the read pool, preparing it on first
// use (parsing a query costs about as much as running a look-up by key),
// or nil once maxReadStmts queries are kept: then the caller runs the text.
func (s *Store) readStmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := s.readStmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	if s.nReadStmts.Load() >= maxReadStmts {
		return nil, nil
	}
	st, err := s.r.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.readStmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	s.nReadStmts.Add(1)
	return st, nil
}

// Ping reports whether the database file answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return s.fail(err, "ping")
	}
	return nil
}

// migrate applies the migrations in fsys (migrations/NNNN_name.sql) that
// the database lacks, in order, each in its own transaction, and records
// them in schema_migrations.
func (s *Store) migrate(ctx context.Context, fsys fs.FS) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`); err != nil {
		return fmt.Errorf("sqlitestore: creating schema_migrations: %w", err)
	}
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("sqlitestore: listing migrations: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		base := filepath.Base(name)
		num, _, ok := strings.Cut(base, "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil {
			return fmt.Errorf("sqlitestore: migration %s: the name must start with a number and _", base)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("sqlitestore: reading migration %s: %w", base, err)
		}
		applied, err := s.applyMigration(ctx, version, base, string(body))
		if err != nil {
			return err
		}
		if applied {
			s.log.Info("sqlitestore: applied migration", "migration", base, "path", s.path)
		}
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, version int, name, body string) (applied bool, err error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("sqlitestore: migration %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations WHERE version = ?", version).Scan(&n); err != nil {
		return false, fmt.Errorf("sqlitestore: migration %s: %w", name, err)
	}
	if n > 0 {
		return false, tx.Rollback()
	}
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return false, fmt.Errorf("sqlitestore: migration %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
		version, name, time.Now().UnixMilli()); err != nil {
		return false, fmt.Errorf("sqlitestore: migration %s: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("sqlitestore: migration %s: %w", name, err)
	}
	return true, nil
}

// fail turns a database error into a *publisher.Error: a constraint
// violation into ECONFLICT (with msg, which users may see), anything else
// into EINTERNAL with the cause kept for the logs.
func (s *Store) fail(err error, op string, conflictMsg ...string) error {
	if err == nil {
		return nil
	}
	var pe *publisher.Error
	if errors.As(err, &pe) {
		return err
	}
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT {
		msg := "It already exists."
		if len(conflictMsg) > 0 {
			msg = conflictMsg[0]
		}
		return publisher.WrapError(publisher.ECONFLICT, fmt.Errorf("sqlitestore: %s: %w", op, err), "%s", msg)
	}
	return publisher.WrapError(publisher.EINTERNAL, fmt.Errorf("sqlitestore: %s: %w", op, err), "")
}

// notFound returns the ENOTFOUND error for a missing object of kind what.
func notFound(what string) error {
	return publisher.Errorf(publisher.ENOTFOUND, "No such %s.", what)
}

// conflict returns an ECONFLICT error with msg.
func conflict(msg string) error { return publisher.Errorf(publisher.ECONFLICT, "%s", msg) }

// exists reports whether table has a row with the given id.
func (s *Store) exists(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, table, id string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT count(*) FROM "+table+" WHERE id = ?", id).Scan(&n)
	return n > 0, err
}

// Values written to and read from columns.

// ms returns t as milliseconds since the Unix epoch.
func ms(t time.Time) int64 { return t.UnixMilli() }

// msTime returns t truncated to milliseconds, in UTC, as the columns keep
// it; the zero time stays zero.
func msTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

// msp returns t as milliseconds since the Unix epoch, or NULL for nil.
func msp(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

// timeCol scans an INTEGER millisecond column into a time.Time.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		*c.t = time.UnixMilli(v).UTC()
	case nil:
		*c.t = time.Time{}
	default:
		return fmt.Errorf("sqlitestore: cannot read %T as a time", src)
	}
	return nil
}

// timePtrCol scans a nullable INTEGER millisecond column into a *time.Time.
type timePtrCol struct{ t **time.Time }

func (c timePtrCol) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		t := time.UnixMilli(v).UTC()
		*c.t = &t
	case nil:
		*c.t = nil
	default:
		return fmt.Errorf("sqlitestore: cannot read %T as a time", src)
	}
	return nil
}

// jsonCol scans a JSON text column into v.
type jsonCol struct{ v any }

func (c jsonCol) Scan(src any) error {
	switch b := src.(type) {
	case nil:
		return nil
	case string:
		return json.Unmarshal([]byte(b), c.v)
	case []byte:
		return json.Unmarshal(b, c.v)
	}
	return fmt.Errorf("sqlitestore: cannot read %T as JSON", src)
}

// jsonText returns v as JSON text.
func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("sqlitestore: encoding JSON: %w", err)
	}
	return string(b), nil
}

// placeholders returns "?, ?, …" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// where collects the conditions and arguments of a query.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// in adds "col IN (…)" for a non-empty list.
func in[T any](w *where, col string, vs []T) {
	if len(vs) == 0 {
		return
	}
	args := make([]any, len(vs))
	for i, v := range vs {
		args[i] = v
	}
	w.add(col+" IN ("+placeholders(len(vs))+")", args...)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// page returns the LIMIT/OFFSET clause for a limit (0: none) and offset.
func page(limit, offset int) string {
	if limit <= 0 && offset <= 0 {
		return ""
	}
	if limit <= 0 {
		limit = -1
	}
	return fmt.Sprintf(" LIMIT %d OFFSET %d", limit, max(offset, 0))
}
