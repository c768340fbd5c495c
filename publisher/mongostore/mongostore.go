package mongostore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"

	"github.com/prasar/prasar/publisher"
)

// Collection names.
const (
	CollOrganisations = "organisations"
	CollOfficers      = "officers"
	CollAccounts      = "accounts"
	CollUsers         = "users"
	CollSessions      = "sessions"
	CollPosts         = "posts"
	CollDeliveries    = "deliveries"
	CollAudit         = "audit"
	CollMedia         = "media"
	CollNotifications = "notifications"
	// CollCases and CollCaseEvents are cases.go's (the rebuttal desk).
	CollCases      = "cases"
	CollCaseEvents = "caseEvents"
	// CollAuthorizations and CollAccountTokens are connect.go's.
	CollAuthorizations = "oauthAuthorizations"
	CollAccountTokens  = "accountTokens"

	// Reach (reach.go): raw readings, contributions, roll-ups, collection
	// schedules, sent digests.
	CollMetricReadings     = "metricReadings"
	CollReachContributions = "reachContributions"
	CollReachRollups       = "reachRollups"
	CollReachTracks        = "reachTracks"
	CollReachDigests       = "reachDigests"

	// The registry's own records (orgregistry.go).
	CollOrgEvents        = "orgEvents"
	CollHandovers        = "handovers"
	CollOfficerRevisions = "officerRevisions"
	CollOfficerChanges   = "officerChanges"
	CollAccountProfiles  = "accountProfiles"
	CollImportBatches    = "importBatches"
	CollSettings         = "settings"
	CollRetractions      = "retractions"
)

// DefaultDatabase is the database used when Open is given none.
const DefaultDatabase = "prasar"

// DefaultTimeout bounds each store call unless WithTimeout says otherwise.
const DefaultTimeout = 10 * time.Second

// Store is publisher.Store on MongoDB. It is safe for concurrent use.
type Store struct {
	client  *mongo.Client
	db      *mongo.Database
	timeout time.Duration

	orgs, officers, accounts, users, sessions *mongo.Collection
	posts, deliveries, audit, media           *mongo.Collection
	notifications                             *mongo.Collection
	cases, caseEvents                         *mongo.Collection
	authorizations, accountTokens             *mongo.Collection

	// reach.go's collections.
	metricReadings, reachContributions, reachRollups *mongo.Collection
	reachTracks, reachDigests                        *mongo.Collection

	// orgregistry.go's collections.
	orgEvents, handovers, officerRevisions, officerChanges, accountProfiles, importBatches *mongo.Collection
	settings, retractions                                                                  *mongo.Collection
}

var _ publisher.Store = (*Store)(nil)

type config struct {
	timeout        time.Duration
	connectTimeout time.Duration
	appName        string
}

// Option changes how Open connects.
type Option func(*config)

// WithTimeout bounds each store call (and each step of Open) to d; zero or
// less keeps DefaultTimeout. The caller's context still applies.
func WithTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// WithConnectTimeout bounds how long Open waits for the server to answer
// its first ping; zero or less keeps the call timeout.
func WithConnectTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.connectTimeout = d
		}
	}
}

// WithAppName names the connection in the server's logs and currentOp.
func WithAppName(name string) Option { return func(c *config) { c.appName = name } }

// Open connects to the MongoDB server at uri, pings it, and creates the
// collections' indexes in database (DefaultDatabase if empty). Creating
// indexes that exist is a no-op, so Open can run on every start-up of every
// process. Close releases the connections.
func Open(ctx context.Context, uri, database string, opts ...Option) (*Store, error) {
	cfg := config{timeout: DefaultTimeout, appName: "prasar"}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.connectTimeout <= 0 {
		cfg.connectTimeout = cfg.timeout
	}
	if database == "" {
		database = DefaultDatabase
	}
	// No client-wide SetTimeout: every call gets a context deadline instead
	// (FerretDB's distinct fails under the client-wide timeout).
	copts := options.Client().ApplyURI(uri).
		SetAppName(cfg.appName).
		SetConnectTimeout(cfg.connectTimeout).
		SetServerSelectionTimeout(cfg.connectTimeout)
	client, err := mongo.Connect(copts)
	if err != nil {
		return nil, fmt.Errorf("mongostore: connecting: %w", err)
	}
	s := &Store{client: client, db: client.Database(database), timeout: cfg.timeout}
	s.orgs = s.db.Collection(CollOrganisations)
	s.officers = s.db.Collection(CollOfficers)
	s.accounts = s.db.Collection(CollAccounts)
	s.users = s.db.Collection(CollUsers)
	s.sessions = s.db.Collection(CollSessions)
	s.posts = s.db.Collection(CollPosts)
	s.deliveries = s.db.Collection(CollDeliveries)
	s.audit = s.db.Collection(CollAudit)
	s.media = s.db.Collection(CollMedia)
	s.metricReadings = s.db.Collection(CollMetricReadings)
	s.reachContributions = s.db.Collection(CollReachContributions)
	s.reachRollups = s.db.Collection(CollReachRollups)
	s.reachTracks = s.db.Collection(CollReachTracks)
	s.reachDigests = s.db.Collection(CollReachDigests)
	s.notifications = s.db.Collection(CollNotifications)
	s.cases, s.caseEvents = s.db.Collection(CollCases), s.db.Collection(CollCaseEvents)
	s.authorizations = s.db.Collection(CollAuthorizations)
	s.accountTokens = s.db.Collection(CollAccountTokens)
	s.initRegistry()
	s.settings = s.db.Collection(CollSettings)
	s.retractions = s.db.Collection(CollRetractions)

	pctx, cancel := context.WithTimeout(ctx, cfg.connectTimeout)
	err = client.Ping(pctx, readpref.Primary())
	cancel()
	if err != nil {
		s.disconnect()
		return nil, fmt.Errorf("mongostore: pinging %s: %w", redactURI(uri), err)
	}
	if err := s.ensureIndexes(ctx); err != nil {
		s.disconnect()
		return nil, err
	}
	return s, nil
}

// Close disconnects from the server.
func (s *Store) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	if err := s.client.Disconnect(ctx); err != nil && !errors.Is(err, mongo.ErrClientDisconnected) {
		return fmt.Errorf("mongostore: disconnecting: %w", err)
	}
	return nil
}

func (s *Store) disconnect() {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	_ = s.client.Disconnect(ctx)
}

// Ping reports whether the primary answers.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if err := s.client.Ping(ctx, readpref.Primary()); err != nil {
		return publisher.WrapError(publisher.EUNAVAILABLE, err, "mongostore: the database does not answer")
	}
	return nil
}

// Database returns the name of the store's database.
func (s *Store) Database() string { return s.db.Name() }

// ctx bounds one store call.
func (s *Store) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// redactURI drops the user information from a connection string, so that
// passwords do not end up in error messages and logs.
func redactURI(uri string) string {
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok {
		return "the server"
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if slash := strings.Index(rest, "/"); slash < 0 || at < slash {
			rest = "…@" + rest[at+1:]
		}
	}
	return scheme + "://" + rest
}

// index describes one index of a collection.
type index struct {
	name   string
	keys   bson.D
	unique bool
}

// indexes lists every index the store relies on, by collection. The names
// are fixed so that Open can tell them apart from others' indexes.
var indexes = map[string][]index{
	CollOrganisations: {
		{name: "code_unique", keys: bson.D{{Key: "code", Value: 1}}, unique: true},
		{name: "type_code", keys: bson.D{{Key: "type", Value: 1}, {Key: "code", Value: 1}}},
	},
	CollOfficers: {
		{name: "org_start", keys: bson.D{{Key: "orgId", Value: 1}, {Key: "startDate", Value: -1}}},
	},
	CollAccounts: {
		{name: "platform_external_unique", keys: bson.D{{Key: "platform", Value: 1}, {Key: "externalId", Value: 1}}, unique: true},
		{name: "org_platform", keys: bson.D{{Key: "orgId", Value: 1}, {Key: "platform", Value: 1}}},
	},
	CollUsers: {
		{name: "email_unique", keys: bson.D{{Key: "emailLower", Value: 1}}, unique: true},
		{name: "org_email", keys: bson.D{{Key: "orgId", Value: 1}, {Key: "emailLower", Value: 1}}},
	},
	CollSessions: {
		{name: "user", keys: bson.D{{Key: "userId", Value: 1}}},
		{name: "expires", keys: bson.D{{Key: "expiresAt", Value: 1}}},
	},
	CollPosts: {
		{name: "org_updated", keys: bson.D{{Key: "orgId", Value: 1}, {Key: "updatedAt", Value: -1}}},
		{name: "status_updated", keys: bson.D{{Key: "status", Value: 1}, {Key: "updatedAt", Value: -1}}},
		// The review queue: in review, longest waiting first.
		{name: "status_submitted", keys: bson.D{{Key: "status", Value: 1}, {Key: "submittedAt", Value: 1}, {Key: "createdAt", Value: 1}}},
		{name: "author_updated", keys: bson.D{{Key: "authorId", Value: 1}, {Key: "updatedAt", Value: -1}}},
		{name: "updated", keys: bson.D{{Key: "updatedAt", Value: -1}}},
	},
	CollDeliveries: {
		{name: "post_revision_account_unique", keys: bson.D{{Key: "postId", Value: 1}, {Key: "revision", Value: 1}, {Key: "accountId", Value: 1}}, unique: true},
		{name: "org_created", keys: bson.D{{Key: "orgId", Value: 1}, {Key: "createdAt", Value: -1}}},
		{name: "post_created", keys: bson.D{{Key: "postId", Value: 1}, {Key: "createdAt", Value: -1}}},
		{name: "account_status", keys: bson.D{{Key: "accountId", Value: 1}, {Key: "status", Value: 1}}},
		{name: "status_updated", keys: bson.D{{Key: "status", Value: 1}, {Key: "updatedAt", Value: 1}}},
		{name: "created", keys: bson.D{{Key: "createdAt", Value: -1}}},
		// Newly published deliveries, for the metrics sweep (reach.go).
		{name: "published", keys: bson.D{{Key: "publishedAt", Value: 1}}},
		// The publish budgets (publisher/budgets.go).
		{name: "published_account", keys: bson.D{{Key: "status", Value: 1}, {Key: "accountId", Value: 1}, {Key: "publishedAt", Value: 1}}},
		{name: "published_platform", keys: bson.D{{Key: "status", Value: 1}, {Key: "platform", Value: 1}, {Key: "publishedAt", Value: 1}}},
	},
	CollAudit: {
		{name: "at", keys: bson.D{{Key: "at", Value: -1}}},
		{name: "org_at", keys: bson.D{{Key: "orgId", Value: 1}, {Key: "at", Value: -1}}},
		{name: "object_at", keys: bson.D{{Key: "objectId", Value: 1}, {Key: "at", Value: -1}}},
		{name: "actor_at", keys: bson.D{{Key: "actorId", Value: 1}, {Key: "at", Value: -1}}},
	},
	CollCases: {
		{name: "reported", keys: bson.D{{Key: "reportedAt", Value: -1}, {Key: "_id", Value: -1}}},
		{name: "org_reported", keys: bson.D{{Key: "orgId", Value: 1}, {Key: "reportedAt", Value: -1}}},
		{name: "status_deadline", keys: bson.D{{Key: "status", Value: 1}, {Key: "deadlineAt", Value: 1}}},
		{name: "url_keys", keys: bson.D{{Key: "urlKeys", Value: 1}}},
	},
	CollCaseEvents: {
		{name: "case_seq_unique", keys: bson.D{{Key: "caseId", Value: 1}, {Key: "seq", Value: 1}}, unique: true},
	},
	CollNotifications: {
		{name: "user_created", keys: bson.D{{Key: "userId", Value: 1}, {Key: "createdAt", Value: -1}}},
	},
	CollAuthorizations: {
		{name: "expires", keys: bson.D{{Key: "expiresAt", Value: 1}}},
	},
	CollMedia: {
		{name: "org_created", keys: bson.D{{Key: "orgId", Value: 1}, {Key: "createdAt", Value: -1}}},
	},
	CollMetricReadings: {
		{name: "delivery_fetched", keys: bson.D{{Key: "deliveryId", Value: 1}, {Key: "fetchedAt", Value: 1}}},
	},
	CollReachContributions: {
		{name: "day", keys: bson.D{{Key: "day", Value: 1}}},
		{name: "org_day", keys: bson.D{{Key: "orgId", Value: 1}, {Key: "day", Value: 1}}},
		{name: "reach", keys: bson.D{{Key: "reach", Value: -1}, {Key: "_id", Value: 1}}},
		{name: "views", keys: bson.D{{Key: "views", Value: -1}, {Key: "_id", Value: 1}}},
		{name: "engagements", keys: bson.D{{Key: "engagements", Value: -1}, {Key: "_id", Value: 1}}},
		{name: "pending_at", keys: bson.D{{Key: "pendingAt", Value: 1}}},
	},
	CollReachRollups: {
		{name: "period_platform_start_org", keys: bson.D{{Key: "period", Value: 1}, {Key: "platform", Value: 1}, {Key: "start", Value: 1}, {Key: "orgId", Value: 1}}},
		{name: "period_org_platform_start", keys: bson.D{{Key: "period", Value: 1}, {Key: "orgId", Value: 1}, {Key: "platform", Value: 1}, {Key: "start", Value: 1}}},
	},
	CollReachTracks: {
		{name: "next", keys: bson.D{{Key: "nextAt", Value: 1}, {Key: "_id", Value: 1}}},
		{name: "org_next", keys: bson.D{{Key: "orgId", Value: 1}, {Key: "nextAt", Value: 1}}},
		{name: "published", keys: bson.D{{Key: "publishedAt", Value: -1}}},
	},
	CollOrgEvents: {
		{name: "orgs_effective", keys: bson.D{{Key: "orgIds", Value: 1}, {Key: "effectiveAt", Value: 1}}},
		{name: "effective_created", keys: bson.D{{Key: "effectiveAt", Value: 1}, {Key: "createdAt", Value: 1}}},
	},
	CollHandovers: {
		{name: "running_unique", keys: bson.D{{Key: "runningKey", Value: 1}}, unique: true},
		{name: "org_created", keys: bson.D{{Key: "orgId", Value: 1}, {Key: "createdAt", Value: -1}}},
	},
	CollOfficerRevisions: {
		{name: "officer_at", keys: bson.D{{Key: "officerId", Value: 1}, {Key: "at", Value: 1}}},
		{name: "org_at", keys: bson.D{{Key: "orgId", Value: 1}, {Key: "at", Value: 1}}},
	},
	CollOfficerChanges: {
		{name: "status_requested", keys: bson.D{{Key: "status", Value: 1}, {Key: "requestedAt", Value: -1}}},
		{name: "org_requested", keys: bson.D{{Key: "orgId", Value: 1}, {Key: "requestedAt", Value: -1}}},
	},
	CollImportBatches: {
		{name: "created", keys: bson.D{{Key: "createdAt", Value: -1}}},
	},
}

// ensureIndexes creates the indexes in indexes that do not exist yet, and
// checks that those that exist are what the store relies on: an index of
// the same name with other keys, or without the uniqueness the store
// needs, makes Open fail rather than run on an index that does not enforce
// it. Existing indexes are listed first and only missing ones are created,
// because FerretDB 1.x drops the connection when asked to create an index
// that exists.
func (s *Store) ensureIndexes(ctx context.Context) error {
	for _, coll := range slices.Sorted(maps.Keys(indexes)) {
		c := s.db.Collection(coll)
		lctx, cancel := s.ctx(ctx)
		specs, err := c.Indexes().ListSpecifications(lctx)
		cancel()
		if err != nil {
			return fmt.Errorf("mongostore: listing the indexes of %s: %w", coll, err)
		}
		have := make(map[string]mongo.IndexSpecification, len(specs))
		for _, sp := range specs {
			have[sp.Name] = sp
		}
		var missing []mongo.IndexModel
		for _, ix := range indexes[coll] {
			sp, ok := have[ix.name]
			if !ok {
				o := options.Index().SetName(ix.name)
				if ix.unique {
					o.SetUnique(true)
				}
				missing = append(missing, mongo.IndexModel{Keys: ix.keys, Options: o})
				continue
			}
			if err := ix.matches(sp); err != nil {
				return fmt.Errorf("mongostore: index %s of %s: %w", ix.name, coll, err)
			}
		}
		if len(missing) == 0 {
			continue
		}
		cctx, cancel := s.ctx(ctx)
		_, err = c.Indexes().CreateMany(cctx, missing)
		cancel()
		if err != nil {
			return fmt.Errorf("mongostore: creating the indexes of %s: %w", coll, err)
		}
	}
	return nil
}

// matches reports how an existing index differs from ix, if it does.
func (ix index) matches(sp mongo.IndexSpecification) error {
	var keys bson.D
	if err := bson.Unmarshal(sp.KeysDocument, &keys); err != nil {
		return fmt.Errorf("decoding its keys: %w", err)
	}
	if !sameKeys(keys, ix.keys) {
		return fmt.Errorf("it exists with keys %v, want %v", keys, ix.keys)
	}
	if unique := sp.Unique != nil && *sp.Unique; unique != ix.unique {
		return fmt.Errorf("it exists with unique=%v, want unique=%v", unique, ix.unique)
	}
	return nil
}

// sameKeys compares index key documents, whatever numeric type the server
// gave the directions.
func sameKeys(a, b bson.D) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key != b[i].Key || direction(a[i].Value) != direction(b[i].Value) {
			return false
		}
	}
	return true
}

func direction(v any) any {
	switch n := v.(type) {
	case int:
		return int64(n)
	case int32:
		return int64(n)
	case int64:
		return n
	case float64:
		return int64(n)
	}
	return v
}

// storeError maps a driver error to a *publisher.Error: ENOTFOUND for a
// missing document, ECONFLICT for a unique-key violation, EINTERNAL (with
// the cause) otherwise. what says what the store was doing.
func storeError(err error, what string) error {
	if err == nil {
		return nil
	}
	var pe *publisher.Error
	if errors.As(err, &pe) {
		return err
	}
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		return publisher.WrapError(publisher.ENOTFOUND, err, "mongostore: %s: not found", what)
	case isDuplicateKey(err):
		return publisher.WrapError(publisher.ECONFLICT, err, "mongostore: %s: duplicate key", what)
	}
	return publisher.WrapError(publisher.EINTERNAL, err, "mongostore: %s", what)
}

// isDuplicateKey reports whether err is a unique-index violation: E11000
// from MongoDB (and from FerretDB on insert and upsert), or FerretDB's
// InternalError (code 1) carrying the backend's unique-constraint message,
// which is how FerretDB 1.x reports the violation on update, replace and
// findAndModify.
func isDuplicateKey(err error) bool {
	if mongo.IsDuplicateKeyError(err) {
		return true
	}
	var se mongo.ServerError
	if !errors.As(err, &se) {
		return false
	}
	return se.HasErrorCodeWithMessage(1, "UNIQUE constraint failed") || // SQLite backend
		se.HasErrorCodeWithMessage(1, "duplicate key value violates unique constraint") // PostgreSQL backend
}

// notFoundOrConflict tells why a conditional write matched nothing: the
// document is missing (ENOTFOUND) or it is not in the state the write
// required (ECONFLICT).
func (s *Store) notFoundOrConflict(ctx context.Context, coll *mongo.Collection, id, what, conflict string) error {
	n, err := coll.CountDocuments(ctx, bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return storeError(err, what)
	}
	if n == 0 {
		return publisher.Errorf(publisher.ENOTFOUND, "mongostore: %s: no such document %q", what, id)
	}
	return publisher.Errorf(publisher.ECONFLICT, "mongostore: %s: %s", what, conflict)
}

// findAll runs a find and decodes every document with conv.
func findAll[D any, T any](ctx context.Context, coll *mongo.Collection, filter any, opts *options.FindOptionsBuilder, conv func(*D) *T) ([]*T, error) {
	cur, err := coll.Find(ctx, filter, opts)
	if err != nil {
		return nil, err
	}
	defer cur.Close(ctx)
	out := []*T{}
	for cur.Next(ctx) {
		var d D
		if err := cur.Decode(&d); err != nil {
			return nil, err
		}
		out = append(out, conv(&d))
	}
	if err := cur.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// utc returns t in UTC.
func utc(t time.Time) time.Time { return t.UTC() }

// utcPtr returns a copy of *t in UTC, or nil.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// pageOptions adds skip and limit to a find.
func pageOptions(o *options.FindOptionsBuilder, limit, offset int) *options.FindOptionsBuilder {
	if offset > 0 {
		o.SetSkip(int64(offset))
	}
	if limit > 0 {
		o.SetLimit(int64(limit))
	}
	return o
}

// replace replaces the document with the given _id by doc: ENOTFOUND if
// there is none, ECONFLICT if doc breaks a unique index.
func (s *Store) replace(ctx context.Context, coll *mongo.Collection, id string, doc any, what string) error {
	res, err := coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}}, doc)
	if err != nil {
		return storeError(err, what)
	}
	if res.MatchedCount == 0 {
		return publisher.Errorf(publisher.ENOTFOUND, "mongostore: %s: no such document %q", what, id)
	}
	return nil
}

// getOne finds one document and converts it; ENOTFOUND if there is none.
func getOne[D any, T any](ctx context.Context, s *Store, coll *mongo.Collection, filter any, what string, conv func(*D) *T, opts ...options.Lister[options.FindOneOptions]) (*T, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var d D
	if err := coll.FindOne(ctx, filter, opts...).Decode(&d); err != nil {
		return nil, storeError(err, what)
	}
	return conv(&d), nil
}
