package mongostore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/prasar/prasar/publisher"
	"github.com/prasar/prasar/publisher/mongostore"
	"github.com/prasar/prasar/publisher/storetest"
)

// The in-process FerretDB is started on first use and shared by the whole
// test binary: two FerretDB instances must never share a SQLite directory,
// and one per test would cost seconds each. Every test gets its own
// database on it, dropped when the test ends.
var ferret struct {
	once sync.Once
	uri  string
	err  error
	dir  string
	stop context.CancelFunc
	done chan struct{}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if ferret.stop != nil {
		ferret.stop()
		<-ferret.done
	}
	if ferret.dir != "" {
		os.RemoveAll(ferret.dir)
	}
	os.Exit(code)
}

// ferretURI starts the shared FerretDB (SQLite handler, in a temporary
// directory) if it is not running and returns its URI.
func ferretURI(t testing.TB) string {
	t.Helper()
	ferret.once.Do(func() {
		dir, err := os.MkdirTemp("", "mongostore-ferretdb-")
		if err != nil {
			ferret.err = err
			return
		}
		ferret.dir = dir
		// At WARN FerretDB logs every error response in full; the suite
		// provokes many on purpose.
		logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
		f, err := ferretdb.New(&ferretdb.Config{
			Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
			Handler:   "sqlite",
			SQLiteURL: "file:" + dir + "/",
			Logger:    logger,
		})
		if err != nil {
			ferret.err = err
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		ferret.stop, ferret.done = cancel, make(chan struct{})
		go func() {
			defer close(ferret.done)
			_ = f.Run(ctx)
		}()
		ferret.uri = f.MongoDBURI()
	})
	if ferret.err != nil {
		t.Fatalf("starting the in-process FerretDB: %v", ferret.err)
	}
	return ferret.uri
}

// openFresh opens a store on a new database of the server at uri and drops
// the database when t ends.
func openFresh(t *testing.T, uri string) *mongostore.Store {
	t.Helper()
	db := "prasar_test_" + strings.ToLower(publisher.NewToken(8))
	s, err := mongostore.Open(t.Context(), uri, db, timeoutFor(uri))
	if err != nil {
		t.Fatalf("mongostore.Open: %v", err)
	}
	t.Cleanup(func() {
		dropDatabase(t, uri, db)
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// timeoutFor gives FerretDB calls more time than the store's default: the
// in-process server shares the test's CPU, and under -race it is
// instrumented too (storing a 5 MB image then takes over ten seconds).
func timeoutFor(uri string) mongostore.Option {
	if uri == ferret.uri {
		return mongostore.WithTimeout(3 * time.Minute)
	}
	return mongostore.WithTimeout(0) // the default
}

// rawDB returns a driver handle on database db at uri, for looking at what
// the store wrote.
func rawDB(t testing.TB, uri, db string) *mongo.Database {
	t.Helper()
	c, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatalf("mongo.Connect: %v", err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	return c.Database(db)
}

func dropDatabase(t testing.TB, uri, db string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Errorf("dropping %s: %v", db, err)
		return
	}
	defer c.Disconnect(ctx)
	if err := c.Database(db).Drop(ctx); err != nil {
		t.Errorf("dropping %s: %v", db, err)
	}
}

// servers returns the servers the store-level tests run against: the
// in-process FerretDB always, and the MongoDB at MONGODB_URI when it is set.
func servers(t *testing.T) map[string]string {
	m := map[string]string{"FerretDB": ferretURI(t)}
	if uri := os.Getenv("MONGODB_URI"); uri != "" {
		m["MongoDB"] = uri
	}
	return m
}

// ferretGaps are the guarantees of publisher.Store that FerretDB 1.24
// cannot give, whatever the store does (see ferretdb-subset.md in the
// project's shared docs). Unique keys on update are not among them:
// FerretDB enforces them but reports the violation as an InternalError,
// which the store maps to ECONFLICT like MongoDB's E11000.
var ferretGaps = storetest.Options{
	NoAtomicUpdates: true,
	Reason: "the in-process FerretDB 1.24 reads, changes and writes back a document without a lock, so concurrent " +
		"conditional updates of one document race (measured in ferretdb-subset.md); these cases run against a real " +
		"MongoDB in TestConformanceMongoDB when MONGODB_URI is set",
}

func TestConformanceFerretDB(t *testing.T) {
	uri := ferretURI(t)
	storetest.Run(t, func(t *testing.T) publisher.Store { return openFresh(t, uri) }, ferretGaps)
}

func TestConformanceMongoDB(t *testing.T) {
	uri := os.Getenv("MONGODB_URI")
	if uri == "" {
		t.Skip("MONGODB_URI is not set: the suite runs against a real MongoDB, with every guarantee, where it is " +
			"(e.g. MONGODB_URI=mongodb://localhost:27017 with docker-compose's mongo); TestConformanceFerretDB runs it here")
	}
	storetest.Run(t, func(t *testing.T) publisher.Store { return openFresh(t, uri) }, storetest.Options{})
}

func TestOpenCreatesEveryIndex(t *testing.T) {
	for name, uri := range servers(t) {
		t.Run(name, func(t *testing.T) {
			s := openFresh(t, uri)
			db := rawDB(t, uri, s.Database())
			for coll, want := range mongostore.Indexes() {
				specs, err := db.Collection(coll).Indexes().ListSpecifications(t.Context())
				if err != nil {
					t.Fatalf("listing the indexes of %s: %v", coll, err)
				}
				got := map[string]mongo.IndexSpecification{}
				for _, sp := range specs {
					got[sp.Name] = sp
				}
				for _, ix := range want {
					sp, ok := got[ix.Name]
					if !ok {
						t.Errorf("%s: index %s is missing (have %v)", coll, ix.Name, keysOf(got))
						continue
					}
					var keys bson.D
					if err := bson.Unmarshal(sp.KeysDocument, &keys); err != nil {
						t.Fatalf("%s.%s: decoding keys: %v", coll, ix.Name, err)
					}
					if fmt.Sprint(normKeys(keys)) != fmt.Sprint(normKeys(ix.Keys)) {
						t.Errorf("%s.%s: keys %v, want %v", coll, ix.Name, keys, ix.Keys)
					}
					unique := sp.Unique != nil && *sp.Unique
					if unique != ix.Unique {
						t.Errorf("%s.%s: unique = %v, want %v", coll, ix.Name, unique, ix.Unique)
					}
				}
			}
		})
	}
}

func keysOf[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// normKeys writes index key directions as int64, whatever integer type the
// server answered with.
func normKeys(d bson.D) []string {
	var out []string
	for _, e := range d {
		var dir int64
		switch v := e.Value.(type) {
		case int32:
			dir = int64(v)
		case int64:
			dir = v
		case float64:
			dir = int64(v)
		case int:
			dir = int64(v)
		}
		out = append(out, fmt.Sprintf("%s:%d", e.Key, dir))
	}
	return out
}

func TestOpenTwiceIsIdempotent(t *testing.T) {
	for name, uri := range servers(t) {
		t.Run(name, func(t *testing.T) {
			s1 := openFresh(t, uri)
			o := &publisher.Organisation{ID: publisher.NewID(), Code: "AGRI", Type: publisher.OrgDepartment, NameEN: "Agriculture",
				NameHI: "कृषि", CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
			if err := s1.CreateOrg(t.Context(), o); err != nil {
				t.Fatal(err)
			}
			db := rawDB(t, uri, s1.Database())
			before := countIndexes(t, db)

			s2, err := mongostore.Open(t.Context(), uri, s1.Database(), timeoutFor(uri))
			if err != nil {
				t.Fatalf("second Open on the same database: %v", err)
			}
			defer s2.Close()
			if after := countIndexes(t, db); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("indexes per collection after the second Open: %v, before: %v", after, before)
			}
			got, err := s2.GetOrgByCode(t.Context(), "AGRI")
			if err != nil || got.ID != o.ID {
				t.Errorf("the second store does not see the first one's data: %v, %v", got, err)
			}
			// The unique index still holds through both stores.
			dup := *o
			dup.ID = publisher.NewID()
			if err := s2.CreateOrg(t.Context(), &dup); !publisher.IsCode(err, publisher.ECONFLICT) {
				t.Errorf("CreateOrg with a taken code through the second store: %v, want ECONFLICT", err)
			}
		})
	}
}

func countIndexes(t *testing.T, db *mongo.Database) map[string]int {
	t.Helper()
	out := map[string]int{}
	for coll := range mongostore.Indexes() {
		specs, err := db.Collection(coll).Indexes().ListSpecifications(t.Context())
		if err != nil {
			t.Fatalf("listing the indexes of %s: %v", coll, err)
		}
		out[coll] = len(specs)
	}
	return out
}

func TestOpenRefusesAConflictingIndex(t *testing.T) {
	for name, uri := range servers(t) {
		t.Run(name, func(t *testing.T) {
			db := "prasar_test_" + strings.ToLower(publisher.NewToken(8))
			t.Cleanup(func() { dropDatabase(t, uri, db) })
			raw := rawDB(t, uri, db)
			// Someone made the e-mail index without uniqueness: the store
			// must not run on it, since it would accept duplicate e-mails.
			_, err := raw.Collection(mongostore.CollUsers).Indexes().CreateOne(t.Context(), mongo.IndexModel{
				Keys: bson.D{{Key: "emailLower", Value: 1}}, Options: options.Index().SetName("email_unique")})
			if err != nil {
				t.Fatal(err)
			}
			s, err := mongostore.Open(t.Context(), uri, db, timeoutFor(uri))
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded on a database whose email_unique index is not unique")
			}
			if !strings.Contains(err.Error(), mongostore.CollUsers) {
				t.Errorf("Open's error does not name the collection: %v", err)
			}
		})
	}
}

func TestOpenFailsFastWithoutAServerAndHidesThePassword(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	start := time.Now()
	_, err = mongostore.Open(t.Context(), "mongodb://prasar:s3cret-pw@"+addr+"/?directConnection=true", "prasar",
		mongostore.WithConnectTimeout(500*time.Millisecond))
	if err == nil {
		t.Fatal("Open succeeded without a server")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Open took %v to fail with a 500ms connect timeout", d)
	}
	if strings.Contains(err.Error(), "s3cret-pw") {
		t.Errorf("Open's error shows the password: %v", err)
	}
}

func TestErrorMapping(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"no documents", mongo.ErrNoDocuments, publisher.ENOTFOUND},
		{"wrapped no documents", fmt.Errorf("finding: %w", mongo.ErrNoDocuments), publisher.ENOTFOUND},
		{"E11000 write error", mongo.WriteException{WriteErrors: mongo.WriteErrors{{Code: 11000, Message: "E11000 duplicate key error"}}}, publisher.ECONFLICT},
		{"E11000 in a bulk write", mongo.BulkWriteException{WriteErrors: []mongo.BulkWriteError{{WriteError: mongo.WriteError{Code: 11000}}}}, publisher.ECONFLICT},
		{"E11000 command error", mongo.CommandError{Code: 11000, Message: "E11000 duplicate key error"}, publisher.ECONFLICT},
		{"FerretDB unique violation on update", mongo.WriteException{WriteErrors: mongo.WriteErrors{{Code: 1,
			Message: "sqlite3: constraint failed: UNIQUE constraint failed: index 'uq_44430cb3_slug_1' (2067)"}}}, publisher.ECONFLICT},
		{"FerretDB unique violation on findAndModify", mongo.CommandError{Code: 1, Name: "InternalError",
			Message: "constraint failed: UNIQUE constraint failed: index 'uq_1' (2067)"}, publisher.ECONFLICT},
		{"another internal error", mongo.CommandError{Code: 1, Name: "InternalError", Message: "disk I/O error"}, publisher.EINTERNAL},
		{"the message alone, with another code", mongo.CommandError{Code: 2, Message: "UNIQUE constraint failed"}, publisher.EINTERNAL},
		{"a timeout", context.DeadlineExceeded, publisher.EINTERNAL},
		{"any other error", errors.New("connection reset"), publisher.EINTERNAL},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := mongostore.StoreError(tc.err, "testing")
			if got := publisher.ErrorCode(err); got != tc.want {
				t.Errorf("code %q (%v), want %q", got, err, tc.want)
			}
			var pe *publisher.Error
			if !errors.As(err, &pe) || pe.Err == nil || pe.Err.Error() != tc.err.Error() {
				t.Errorf("the cause is not wrapped: %v", err)
			}
		})
	}
}

func TestMediaUpToTheUploadLimit(t *testing.T) {
	for name, uri := range servers(t) {
		t.Run(name, func(t *testing.T) {
			s := openFresh(t, uri)
			data := storetest.RandomBytes(8 << 20) // the largest upload the service accepts
			m := storetest.NewMedia(t, s, "org-1", data)
			got, err := s.GetMediaData(t.Context(), m.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data) {
				t.Errorf("GetMediaData returned %d bytes that differ from the %d stored", len(got), len(data))
			}
			meta, err := s.GetMedia(t.Context(), m.ID)
			if err != nil {
				t.Fatal(err)
			}
			storetest.AssertEqual(t, "GetMedia", meta, m)
		})
	}
}

// TestRevisionsLiveInThePostDocument checks the layout that makes
// UpdatePost atomic: the revisions are an array inside the post's document,
// written by the same update as the post and its version.
func TestRevisionsLiveInThePostDocument(t *testing.T) {
	for name, uri := range servers(t) {
		t.Run(name, func(t *testing.T) {
			s := openFresh(t, uri)
			p := storetest.NewPost(t, s, "org-1", "user-1")
			q := *p
			q.Revision, q.Title = 2, "second"
			rev := &publisher.PostRevision{PostID: p.ID, Revision: 2, Content: q.Content, Targets: q.Targets, ContentHash: q.ContentHash,
				EditedBy: "user-2", EditedAt: storetest.T0}
			if err := s.UpdatePost(t.Context(), &q, rev); err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Version   int64 `bson:"version"`
				Revisions []struct {
					Revision int    `bson:"revision"`
					EditedBy string `bson:"editedBy"`
				} `bson:"revisions"`
			}
			raw := rawDB(t, uri, s.Database())
			if err := raw.Collection(mongostore.CollPosts).FindOne(t.Context(), bson.D{{Key: "_id", Value: p.ID}}).Decode(&doc); err != nil {
				t.Fatal(err)
			}
			if doc.Version != 2 || len(doc.Revisions) != 2 || doc.Revisions[1].Revision != 2 || doc.Revisions[1].EditedBy != "user-2" {
				t.Errorf("the post's document: version %d, revisions %+v; want version 2 and revisions 1 and 2", doc.Version, doc.Revisions)
			}
			names, err := raw.ListCollectionNames(t.Context(), bson.D{{Key: "name", Value: bson.D{{Key: "$regex", Value: "revision"}}}})
			if err != nil {
				t.Fatal(err)
			}
			if len(names) != 0 {
				t.Errorf("revisions are kept in collections %v as well", names)
			}
		})
	}
}

// TestAttemptsLiveInTheDeliveryDocument checks the layout that makes
// FinishDelivery store its result and its attempt atomically: the attempts
// are an array inside the delivery's document, pushed by the update that
// stores the result, and reads of deliveries leave the array out.
func TestAttemptsLiveInTheDeliveryDocument(t *testing.T) {
	for name, uri := range servers(t) {
		t.Run(name, func(t *testing.T) {
			s := openFresh(t, uri)
			p := storetest.NewPost(t, s, "org-1", "user-1")
			ds := storetest.NewDeliveries(t, s, p, storetest.T0, &publisher.Account{ID: "acct-1", Platform: publisher.X})
			c := publisher.Claim{Token: "tok", Now: storetest.T0, LeaseUntil: storetest.T0.Add(time.Minute)}
			held, err := s.ClaimDelivery(t.Context(), ds[0].ID, c)
			if err != nil {
				t.Fatal(err)
			}
			end := storetest.T0.Add(time.Second)
			a := &publisher.Attempt{DeliveryID: held.ID, N: 1, StartedAt: storetest.T0, EndedAt: end, Outcome: "published"}
			// An attempt naming another delivery is refused.
			other := *a
			other.DeliveryID = "dother"
			if _, err := s.FinishDelivery(t.Context(), held.ID, c.Token, publisher.DeliveryResult{Status: publisher.DeliveryPublished, At: end, Attempt: &other}); err == nil {
				t.Error("FinishDelivery stored an attempt of another delivery")
			}
			if _, err := s.FinishDelivery(t.Context(), held.ID, c.Token, publisher.DeliveryResult{Status: publisher.DeliveryPublished, At: end, Attempt: a}); err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Status     string `bson:"status"`
				Attempts   int    `bson:"attempts"`
				AttemptLog []struct {
					N       int    `bson:"n"`
					Outcome string `bson:"outcome"`
				} `bson:"attemptLog"`
			}
			raw := rawDB(t, uri, s.Database())
			if err := raw.Collection(mongostore.CollDeliveries).FindOne(t.Context(), bson.D{{Key: "_id", Value: held.ID}}).Decode(&doc); err != nil {
				t.Fatal(err)
			}
			if doc.Status != "published" || doc.Attempts != 1 || len(doc.AttemptLog) != 1 || doc.AttemptLog[0].Outcome != "published" {
				t.Errorf("the delivery's document: %+v; want published, 1 attempt counted and 1 recorded", doc)
			}
			names, err := raw.ListCollectionNames(t.Context(), bson.D{{Key: "name", Value: bson.D{{Key: "$regex", Value: "attempt"}}}})
			if err != nil {
				t.Fatal(err)
			}
			if len(names) != 0 {
				t.Errorf("attempts are kept in collections %v as well", names)
			}
		})
	}
}

// TestCaseTrailSurvivesAnInterruptedWrite leaves a case as a process that
// died between writing the case and copying its new trail events would —
// one event copied, one not, both still pending in the case — and checks
// that the trail still reads whole, and that the case's next update
// completes it.
func TestCaseTrailSurvivesAnInterruptedWrite(t *testing.T) {
	for name, uri := range servers(t) {
		t.Run(name, func(t *testing.T) {
			s := openFresh(t, uri)
			ctx := t.Context()
			c := storetest.CaseValue("org-1", 0)
			ev := func(seq int) *publisher.CaseEvent {
				return &publisher.CaseEvent{ID: publisher.NewID(), CaseID: c.ID, Seq: seq, At: storetest.T0.Add(time.Duration(seq) * time.Minute),
					ActorID: "u-admin", ActorName: "DMS Admin", ActorRole: publisher.RoleAdmin, Kind: "note", Note: fmt.Sprintf("event %d — घटना", seq),
					Hash: fmt.Sprintf("h%d", seq)}
			}
			seqs := func() []int {
				t.Helper()
				evs, err := s.ListCaseEvents(ctx, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				var out []int
				for _, e := range evs {
					out = append(out, e.Seq)
				}
				return out
			}
			raw := rawDB(t, uri, s.Database())
			cases, events := raw.Collection(mongostore.CollCases), raw.Collection(mongostore.CollCaseEvents)
			copied := func() int64 {
				t.Helper()
				n, err := events.CountDocuments(ctx, bson.D{{Key: "caseId", Value: c.ID}})
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			pending := func() int {
				t.Helper()
				var doc struct {
					Pending []bson.Raw `bson:"pending"`
				}
				if err := cases.FindOne(ctx, bson.D{{Key: "_id", Value: c.ID}}).Decode(&doc); err != nil {
					t.Fatal(err)
				}
				return len(doc.Pending)
			}

			c.Events = 1
			if err := s.CreateCase(ctx, c, []*publisher.CaseEvent{ev(1)}); err != nil {
				t.Fatal(err)
			}
			e2, e3 := ev(2), ev(3)
			c.Events = 3
			if err := s.UpdateCase(ctx, c, []*publisher.CaseEvent{e2, e3}); err != nil {
				t.Fatal(err)
			}
			if n, p := copied(), pending(); n != 3 || p != 0 {
				t.Fatalf("after clean writes: %d events in the trail collection, %d pending; want 3 and 0", n, p)
			}

			// The interrupted state: events 2 and 3 pending in the case, only
			// event 2 copied.
			var docs []bson.Raw
			for _, e := range []*publisher.CaseEvent{e2, e3} {
				var d bson.Raw
				if err := events.FindOne(ctx, bson.D{{Key: "_id", Value: e.ID}}).Decode(&d); err != nil {
					t.Fatal(err)
				}
				docs = append(docs, d)
			}
			if _, err := events.DeleteOne(ctx, bson.D{{Key: "_id", Value: e3.ID}}); err != nil {
				t.Fatal(err)
			}
			if _, err := cases.UpdateOne(ctx, bson.D{{Key: "_id", Value: c.ID}}, bson.D{{Key: "$set", Value: bson.D{{Key: "pending", Value: docs}}}}); err != nil {
				t.Fatal(err)
			}
			if got := seqs(); !slices.Equal(got, []int{1, 2, 3}) {
				t.Errorf("trail read while events are pending: %v, want [1 2 3] (each once)", got)
			}
			evs, err := s.ListCaseEvents(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			storetest.AssertEqual(t, "the pending event 3 as read", evs[2], e3)

			// The case's next update copies what was pending, and its own event.
			c.Events = 4
			if err := s.UpdateCase(ctx, c, []*publisher.CaseEvent{ev(4)}); err != nil {
				t.Fatalf("the update after the interruption: %v", err)
			}
			if n, p := copied(), pending(); n != 4 || p != 0 {
				t.Errorf("after the next update: %d events in the trail collection, %d pending; want 4 and 0", n, p)
			}
			if got := seqs(); !slices.Equal(got, []int{1, 2, 3, 4}) {
				t.Errorf("trail = %v, want [1 2 3 4]", got)
			}
		})
	}
}
