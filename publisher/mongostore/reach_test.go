package mongostore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/prasar/prasar/publisher"
	"github.com/prasar/prasar/publisher/mongostore"
	"github.com/prasar/prasar/publisher/storetest"
)

// TestReachSerialisedFerretDB runs the reach cases, the concurrent ones
// included, on FerretDB through a single pooled connection. FerretDB then
// runs one operation at a time, so each is atomic as on MongoDB, while the
// steps of concurrent readings (compare-and-set of the contribution, the
// roll-up increments, clearing the pending change) still interleave
// between goroutines: what the three-step protocol in reach.go must get
// right. With a connection pool, FerretDB loses concurrent updates
// (ferretdb-subset.md), which is why TestConformanceFerretDB skips them.
func TestReachSerialisedFerretDB(t *testing.T) {
	uri := ferretURI(t)
	one := uri + "?maxPoolSize=1"
	if strings.Contains(uri, "?") {
		one = uri + "&maxPoolSize=1"
	}
	storetest.RunReach(t, func(t *testing.T) publisher.Store {
		db := "prasar_test_" + strings.ToLower(publisher.NewToken(8))
		s, err := mongostore.Open(t.Context(), one, db, mongostore.WithTimeout(3*time.Minute))
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
	}, storetest.Options{})
}

// TestReachRepairsAnInterruptedReading leaves a reading's roll-up change
// half applied, as a worker killed between the steps would, and checks
// that the repair (and, separately, the delivery's next reading) applies
// it exactly once: to the rows it had not reached, and not again to those
// it had.
func TestReachRepairsAnInterruptedReading(t *testing.T) {
	for name, uri := range servers(t) {
		t.Run(name, func(t *testing.T) {
			for _, finish := range []string{"repair", "next reading"} {
				t.Run(finish, func(t *testing.T) {
					s := openFresh(t, uri)
					db := rawDB(t, uri, s.Database())
					ctx := context.Background()
					t0 := time.Date(2026, 3, 2, 4, 30, 0, 0, time.UTC)
					c := &publisher.Contribution{DeliveryID: "d1", PostID: "p1", OrgID: "org-a", AccountID: "a1", Platform: publisher.Facebook,
						Day: publisher.ReachDay(t0), Figures: publisher.PostFigures{Reach: ptr[int64](100)}, AsOf: t0.Add(time.Hour)}
					if _, err := s.RecordReading(ctx, nil, c); err != nil {
						t.Fatal(err)
					}
					// The second reading (reach 150): the contribution was
					// replaced with the change pending, and 3 of the 8 roll-up
					// rows got it before the worker died.
					keys := publisher.RollupKeys(c)
					op := "d1@" + "interrupted"
					var keyIDs []string
					for _, k := range keys {
						keyIDs = append(keyIDs, k.String())
					}
					old := time.Now().Add(-10 * time.Minute).UTC()
					if _, err := db.Collection(mongostore.CollReachContributions).UpdateOne(ctx, bson.D{{Key: "_id", Value: "d1"}}, bson.D{{Key: "$set", Value: bson.D{
						{Key: "reach", Value: int64(150)}, {Key: "asOf", Value: t0.Add(6 * time.Hour)}, {Key: "version", Value: int64(2)},
						{Key: "pending", Value: bson.D{{Key: "op", Value: op}, {Key: "delta", Value: bson.D{{Key: "reach", Value: int64(50)}}}, {Key: "keys", Value: keyIDs}}},
						{Key: "pendingAt", Value: old}}}}); err != nil {
						t.Fatal(err)
					}
					for _, id := range keyIDs[:3] {
						if _, err := db.Collection(mongostore.CollReachRollups).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
							bson.D{{Key: "$inc", Value: bson.D{{Key: "reach", Value: int64(50)}}}, {Key: "$push", Value: bson.D{{Key: "ops", Value: op}}}}); err != nil {
							t.Fatal(err)
						}
					}
					want := int64(150)
					switch finish {
					case "repair":
						// A change younger than the grace is left to its worker.
						if n, err := s.RepairRollups(ctx, time.Hour); err != nil || n != 0 {
							t.Fatalf("RepairRollups(1h) = %d, %v; want 0: the change is 10 minutes old", n, err)
						}
						if n, err := s.RepairRollups(ctx, time.Minute); err != nil || n != 1 {
							t.Fatalf("RepairRollups = %d, %v; want 1", n, err)
						}
						if n, err := s.RepairRollups(ctx, time.Minute); err != nil || n != 0 {
							t.Fatalf("RepairRollups again = %d, %v; want 0", n, err)
						}
					case "next reading":
						next := *c
						next.Figures.Reach, next.AsOf = ptr[int64](170), t0.Add(24*time.Hour)
						if changed, err := s.RecordReading(ctx, nil, &next); err != nil || !changed {
							t.Fatalf("the next reading: %v, %v", changed, err)
						}
						want = 170
					}
					for _, k := range keys {
						rows, err := s.ListRollups(ctx, publisher.RollupQuery{Segments: []publisher.RollupSegment{{Period: k.Period, From: k.Start, To: k.Start}},
							OrgID: k.OrgID, Platform: k.Platform})
						if err != nil {
							t.Fatal(err)
						}
						if len(rows) != 1 || rows[0].Reach != want || rows[0].Posts != 1 || rows[0].ReachPosts != 1 {
							t.Errorf("roll-up %s = %+v, want reach %d of one post", k, rows, want)
						}
						var raw struct {
							Ops []string `bson:"ops"`
						}
						if err := db.Collection(mongostore.CollReachRollups).FindOne(ctx, bson.D{{Key: "_id", Value: k.String()}}).Decode(&raw); err != nil {
							t.Fatal(err)
						}
						if len(raw.Ops) != 0 {
							t.Errorf("roll-up %s keeps operation ids %v after the change finished", k, raw.Ops)
						}
					}
					var cd struct {
						Reach   int64  `bson:"reach"`
						Pending bson.M `bson:"pending"`
					}
					if err := db.Collection(mongostore.CollReachContributions).FindOne(ctx, bson.D{{Key: "_id", Value: "d1"}}).Decode(&cd); err != nil {
						t.Fatal(err)
					}
					if cd.Reach != want || cd.Pending != nil {
						t.Errorf("contribution = reach %d, pending %v; want %d and none", cd.Reach, cd.Pending, want)
					}
				})
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
