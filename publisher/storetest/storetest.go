// Package storetest is the conformance suite that every publisher.Store
// must pass: sqlitestore (the embedded default) and mongostore (production,
// tested against an in-process FerretDB and, where MONGODB_URI is set, a
// real MongoDB).
//
// A store's test calls Run with a function that opens a fresh, empty store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) publisher.Store {
//			s, err := sqlitestore.Open(filepath.Join(t.TempDir(), "prasar.db"))
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		}, storetest.Options{})
//	}
//
// Every case opens its own store, so cases never see each other's data.
//
// # What is compared, and how
//
// Round trips compare the whole value with every field set. Before
// comparing, both sides are normalised (see Normalize): times are truncated
// to milliseconds and put in UTC (MongoDB keeps milliseconds; a store may
// return times in any location as long as the instant is the same), and an
// empty slice or map is treated as nil (a store need not tell [] from
// null). Nothing else is normalised: string case, pointer-ness of times
// (nil vs a zero time), booleans and numbers must survive as given.
//
// Errors are compared by code (publisher.ErrorCode): missing objects must
// be ENOTFOUND, duplicates and lost races ECONFLICT.
//
// # Orderings the suite relies on
//
// Where ports.go names an order the suite checks it; ties are not ordered
// by the contract, so the suite only requires that pages taken with
// Limit/Offset over tied rows are disjoint and together give the whole
// result in the same order as a query without Limit/Offset (a stable
// tie-breaker, such as the id, is needed). "By organisation then platform"
// (ListAccounts) means OrgID then Platform, both in byte order. A zero
// Limit means no limit; an empty id list (OrgFilter.IDs,
// AccountFilter.IDs, PostFilter.IDs) means no filter.
//
// # Store-maintained fields
//
// CreatePost sets p.Version to 1; UpdatePost increments p.Version only on
// success. ClaimDelivery sets UpdatedAt to Claim.Now, FinishDelivery to
// DeliveryResult.At, ChangeDelivery to DeliveryChange.At: these are what
// ListDueDeliveries reads as "changed".
package storetest

import (
	"strings"
	"testing"

	"github.com/prasar/prasar/publisher"
)

// Options says which guarantees the store under test cannot give. The zero
// value claims every guarantee: use it for sqlitestore and for a real
// MongoDB. A case that needs a guarantee the store lacks is skipped with a
// message naming the guarantee and Reason; it is never weakened.
type Options struct {
	// NoAtomicUpdates says that conditional single-record updates are not
	// atomic under concurrency: two concurrent claims of one delivery may
	// both succeed, concurrent compare-and-set updates of one post may all
	// succeed, and concurrent increments may be lost (FerretDB 1.x reads,
	// changes and writes back documents without a lock). The cases that run
	// concurrent writers against one record are skipped; the same
	// semantics run sequentially in other cases.
	NoAtomicUpdates bool
	// NoUniqueOnUpdate says that an update which would break a unique key
	// is not reported as ECONFLICT (FerretDB 1.x reports it as an internal
	// error). The cases that change an organisation's code, a user's
	// e-mail or an account's platform and external id to another record's
	// are skipped; unique keys on insert are always checked.
	NoUniqueOnUpdate bool
	// Reason says why the guarantees are missing and where the skipped
	// cases do run, e.g. "in-process FerretDB 1.24 (see
	// docs/ferretdb-subset.md); these cases run against a real MongoDB
	// when MONGODB_URI is set". Required when any guarantee is missing.
	Reason string
}

// OpenFunc opens a fresh, empty store for one case. It registers the
// store's clean-up (Close, removing files or databases) with t.Cleanup.
type OpenFunc func(t *testing.T) publisher.Store

// Run runs the whole suite against the stores that open returns, each case
// in its own subtest with its own fresh store.
func Run(t *testing.T, open func(t *testing.T) publisher.Store, opts Options) {
	t.Helper()
	if (opts.NoAtomicUpdates || opts.NoUniqueOnUpdate) && strings.TrimSpace(opts.Reason) == "" {
		t.Fatal("storetest: Options.Reason must say why guarantees are missing and where the skipped cases run")
	}
	s := &suite{open: open, opts: opts}
	t.Run("Organisations", s.testOrgs)
	t.Run("Officers", s.testOfficers)
	t.Run("Accounts", s.testAccounts)
	t.Run("Users", s.testUsers)
	t.Run("Sessions", s.testSessions)
	t.Run("Posts", s.testPosts)
	t.Run("PostLookups", s.testPostLookups)
	t.Run("Deliveries", s.testDeliveries)
	t.Run("Claims", s.testClaims)
	t.Run("Attempts", s.testAttempts)
	t.Run("Audit", s.testAudit)
	t.Run("Media", s.testMedia)
	t.Run("Notifications", s.testNotifications)
	t.Run("Cases", s.testCases)
	t.Run("Connections", s.testConnections)
	t.Run("Reach", s.testReach)
	t.Run("Registry", s.testRegistry)
	t.Run("Control", s.testControl)
	t.Run("Ping", s.testPing)
	t.Run("Concurrency", s.testConcurrency)
}

// suite carries Run's arguments to the cases.
type suite struct {
	open OpenFunc
	opts Options
}

// needsAtomicUpdates skips t when the store lacks atomic conditional updates.
func (s *suite) needsAtomicUpdates(t *testing.T) {
	t.Helper()
	if s.opts.NoAtomicUpdates {
		t.Skipf("needs atomic conditional updates under concurrency, which this store does not give: %s", s.opts.Reason)
	}
}

// needsUniqueOnUpdate skips t when the store does not report unique
// violations on update as ECONFLICT.
func (s *suite) needsUniqueOnUpdate(t *testing.T) {
	t.Helper()
	if s.opts.NoUniqueOnUpdate {
		t.Skipf("needs unique keys enforced as ECONFLICT on update, which this store does not give: %s", s.opts.Reason)
	}
}
