package mongostore

import (
	"context"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/prasar/prasar/publisher"
)

// The registry's own records (publisher.RegistryStore). Their documents
// are the domain's records as they are, named by their JSON tags (the
// collections are opened with UseJSONStructTags), plus _id and, for
// handovers, the key that keeps one handover running per organisation and
// kind.

// registryCollection opens a registry collection whose documents are
// named by the domain's JSON tags.
func (s *Store) registryCollection(name string) *mongo.Collection {
	return s.db.Collection(name, options.Collection().SetBSONOptions(&options.BSONOptions{UseJSONStructTags: true}))
}

// initRegistry opens the registry's collections.
func (s *Store) initRegistry() {
	s.orgEvents = s.registryCollection(CollOrgEvents)
	s.handovers = s.registryCollection(CollHandovers)
	s.officerRevisions = s.registryCollection(CollOfficerRevisions)
	s.officerChanges = s.registryCollection(CollOfficerChanges)
	s.accountProfiles = s.registryCollection(CollAccountProfiles)
	s.importBatches = s.registryCollection(CollImportBatches)
}

type orgEventDoc struct {
	ID                 string   `bson:"_id"`
	OrgIDsAll          []string `bson:"orgIds"` // OrgID and FromOrgIDs, for look-ups by any of them
	publisher.OrgEvent `bson:",inline"`
}

func (d *orgEventDoc) event() *publisher.OrgEvent { e := d.OrgEvent; return utcEvent(&e) }

func utcEvent(e *publisher.OrgEvent) *publisher.OrgEvent {
	e.EffectiveAt, e.CreatedAt, e.UpdatedAt = utc(e.EffectiveAt), utc(e.CreatedAt), utc(e.UpdatedAt)
	return e
}

// CreateOrgEvent inserts e; ECONFLICT if its id exists.
func (s *Store) CreateOrgEvent(ctx context.Context, e *publisher.OrgEvent) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.orgEvents.InsertOne(ctx, &orgEventDoc{ID: e.ID, OrgIDsAll: e.OrgIDs(), OrgEvent: *e})
	return storeError(err, "creating organisation event")
}

// UpdateOrgEvent replaces e; ENOTFOUND if it does not exist.
func (s *Store) UpdateOrgEvent(ctx context.Context, e *publisher.OrgEvent) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	return s.replace(ctx, s.orgEvents, e.ID, &orgEventDoc{ID: e.ID, OrgIDsAll: e.OrgIDs(), OrgEvent: *e}, "updating organisation event")
}

// ListOrgEvents returns the events matching f, by effective time, creation
// time and id.
func (s *Store) ListOrgEvents(ctx context.Context, f publisher.OrgEventFilter) ([]*publisher.OrgEvent, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	filter := bson.D{}
	if len(f.OrgIDs) > 0 {
		// "Array contains" per id: FerretDB serves equality on arrays.
		var or bson.A
		for _, id := range f.OrgIDs {
			or = append(or, bson.D{{Key: "orgIds", Value: id}})
		}
		filter = append(filter, bson.E{Key: "$or", Value: or})
	}
	if f.Kind != "" {
		filter = append(filter, bson.E{Key: "kind", Value: string(f.Kind)})
	}
	if f.Status != "" {
		filter = append(filter, bson.E{Key: "status", Value: string(f.Status)})
	}
	opts := options.Find().SetSort(bson.D{{Key: "effectiveAt", Value: 1}, {Key: "createdAt", Value: 1}, {Key: "_id", Value: 1}})
	out, err := findAll(ctx, s.orgEvents, filter, opts, (*orgEventDoc).event)
	return out, storeError(err, "listing organisation events")
}

// handoverDoc is a handover as stored. RunningKey is unique: it is
// "<orgId>/<kind>" while the handover runs, and "done/<id>" after, so
// that at most one handover per organisation and kind runs at a time
// (without a partial or sparse index, which FerretDB lacks or mishandles).
type handoverDoc struct {
	ID                 string `bson:"_id"`
	RunningKey         string `bson:"runningKey"`
	publisher.Handover `bson:",inline"`
}

func newHandoverDoc(h *publisher.Handover) *handoverDoc {
	key := "done/" + h.ID
	if h.Status == publisher.HandoverRunning {
		key = h.OrgID + "/" + string(h.Kind)
	}
	return &handoverDoc{ID: h.ID, RunningKey: key, Handover: *h}
}

func (d *handoverDoc) handover() *publisher.Handover {
	h := d.Handover
	h.EffectiveAt, h.CreatedAt, h.UpdatedAt, h.CompletedAt = utc(h.EffectiveAt), utc(h.CreatedAt), utc(h.UpdatedAt), utcPtr(h.CompletedAt)
	for i := range h.Accounts {
		h.Accounts[i].RotatedAt = utcPtr(h.Accounts[i].RotatedAt)
	}
	return &h
}

// CreateHandover inserts h; ECONFLICT if its id exists or another handover
// of its organisation and kind is running.
func (s *Store) CreateHandover(ctx context.Context, h *publisher.Handover) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.handovers.InsertOne(ctx, newHandoverDoc(h))
	return storeError(err, "creating handover")
}

// UpdateHandover replaces h; ENOTFOUND if it does not exist.
func (s *Store) UpdateHandover(ctx context.Context, h *publisher.Handover) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	return s.replace(ctx, s.handovers, h.ID, newHandoverDoc(h), "updating handover")
}

// GetHandover returns a handover; ENOTFOUND if there is none.
func (s *Store) GetHandover(ctx context.Context, id string) (*publisher.Handover, error) {
	return getOne(ctx, s, s.handovers, bson.D{{Key: "_id", Value: id}}, "getting handover", (*handoverDoc).handover)
}

// ListHandovers returns the handovers matching f, newest first.
func (s *Store) ListHandovers(ctx context.Context, f publisher.HandoverFilter) ([]*publisher.Handover, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	filter := bson.D{}
	if f.OrgID != "" {
		filter = append(filter, bson.E{Key: "orgId", Value: f.OrgID})
	}
	if len(f.Statuses) > 0 {
		filter = append(filter, bson.E{Key: "status", Value: bson.D{{Key: "$in", Value: f.Statuses}}})
	}
	opts := options.Find().SetSort(bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}})
	out, err := findAll(ctx, s.handovers, filter, pageOptions(opts, f.Limit, 0), (*handoverDoc).handover)
	return out, storeError(err, "listing handovers")
}

type officerRevisionDoc struct {
	ID                        string `bson:"_id"`
	publisher.OfficerRevision `bson:",inline"`
}

func (d *officerRevisionDoc) revision() *publisher.OfficerRevision {
	r := d.OfficerRevision
	r.At = utc(r.At)
	r.Officer = *utcOfficer(&r.Officer)
	return &r
}

func utcOfficer(o *publisher.Officer) *publisher.Officer {
	c := *o
	c.StartDate, c.EndDate, c.CreatedAt, c.UpdatedAt = utc(c.StartDate), utcPtr(c.EndDate), utc(c.CreatedAt), utc(c.UpdatedAt)
	return &c
}

// AddOfficerRevision inserts r; ECONFLICT if its id exists.
func (s *Store) AddOfficerRevision(ctx context.Context, r *publisher.OfficerRevision) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.officerRevisions.InsertOne(ctx, &officerRevisionDoc{ID: r.ID, OfficerRevision: *r})
	return storeError(err, "adding officer revision")
}

// ListOfficerRevisions returns the revisions matching f, oldest first.
func (s *Store) ListOfficerRevisions(ctx context.Context, f publisher.OfficerRevisionFilter) ([]*publisher.OfficerRevision, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	filter := bson.D{}
	if f.OfficerID != "" {
		filter = append(filter, bson.E{Key: "officerId", Value: f.OfficerID})
	}
	if f.OrgID != "" {
		filter = append(filter, bson.E{Key: "orgId", Value: f.OrgID})
	}
	opts := options.Find().SetSort(bson.D{{Key: "at", Value: 1}, {Key: "_id", Value: 1}})
	out, err := findAll(ctx, s.officerRevisions, filter, opts, (*officerRevisionDoc).revision)
	return out, storeError(err, "listing officer revisions")
}

type officerChangeDoc struct {
	ID                      string `bson:"_id"`
	publisher.OfficerChange `bson:",inline"`
}

func (d *officerChangeDoc) change() *publisher.OfficerChange {
	c := d.OfficerChange
	c.RequestedAt, c.DecidedAt = utc(c.RequestedAt), utcPtr(c.DecidedAt)
	c.Before = *utcOfficer(&c.Before)
	return &c
}

// CreateOfficerChange inserts c; ECONFLICT if its id exists.
func (s *Store) CreateOfficerChange(ctx context.Context, c *publisher.OfficerChange) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.officerChanges.InsertOne(ctx, &officerChangeDoc{ID: c.ID, OfficerChange: *c})
	return storeError(err, "creating officer change")
}

// GetOfficerChange returns a change; ENOTFOUND if there is none.
func (s *Store) GetOfficerChange(ctx context.Context, id string) (*publisher.OfficerChange, error) {
	return getOne(ctx, s, s.officerChanges, bson.D{{Key: "_id", Value: id}}, "getting officer change", (*officerChangeDoc).change)
}

// DecideOfficerChange replaces c if the stored one is pending; ENOTFOUND
// if there is none, ECONFLICT if it was decided.
func (s *Store) DecideOfficerChange(ctx context.Context, c *publisher.OfficerChange) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	res, err := s.officerChanges.ReplaceOne(ctx, bson.D{{Key: "_id", Value: c.ID}, {Key: "status", Value: string(publisher.ChangePending)}},
		&officerChangeDoc{ID: c.ID, OfficerChange: *c})
	if err != nil {
		return storeError(err, "deciding officer change")
	}
	if res.MatchedCount == 0 {
		return s.notFoundOrConflict(ctx, s.officerChanges, c.ID, "deciding officer change", "the change was decided already")
	}
	return nil
}

// ListOfficerChanges returns the changes matching f, newest first.
func (s *Store) ListOfficerChanges(ctx context.Context, f publisher.OfficerChangeFilter) ([]*publisher.OfficerChange, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	filter := bson.D{}
	if f.OrgID != "" {
		filter = append(filter, bson.E{Key: "orgId", Value: f.OrgID})
	}
	if f.OfficerID != "" {
		filter = append(filter, bson.E{Key: "officerId", Value: f.OfficerID})
	}
	if f.Status != "" {
		filter = append(filter, bson.E{Key: "status", Value: string(f.Status)})
	}
	opts := options.Find().SetSort(bson.D{{Key: "requestedAt", Value: -1}, {Key: "_id", Value: -1}})
	out, err := findAll(ctx, s.officerChanges, filter, opts, (*officerChangeDoc).change)
	return out, storeError(err, "listing officer changes")
}

type accountProfileDoc struct {
	ID                       string `bson:"_id"`
	publisher.AccountProfile `bson:",inline"`
}

func (d *accountProfileDoc) profile() *publisher.AccountProfile {
	p := d.AccountProfile
	p.UpdatedAt = utc(p.UpdatedAt)
	return &p
}

// PutAccountProfile creates or replaces the profile of p.AccountID.
func (s *Store) PutAccountProfile(ctx context.Context, p *publisher.AccountProfile) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.accountProfiles.ReplaceOne(ctx, bson.D{{Key: "_id", Value: p.AccountID}}, &accountProfileDoc{ID: p.AccountID, AccountProfile: *p},
		options.Replace().SetUpsert(true))
	return storeError(err, "saving account profile")
}

// ListAccountProfiles returns the profiles of the given accounts (all for
// none), by account id.
func (s *Store) ListAccountProfiles(ctx context.Context, accountIDs []string) ([]*publisher.AccountProfile, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	filter := bson.D{}
	if len(accountIDs) > 0 {
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$in", Value: accountIDs}}})
	}
	out, err := findAll(ctx, s.accountProfiles, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}), (*accountProfileDoc).profile)
	return out, storeError(err, "listing account profiles")
}

type importBatchDoc struct {
	ID                    string `bson:"_id"`
	publisher.ImportBatch `bson:",inline"`
}

func (d *importBatchDoc) batch() *publisher.ImportBatch {
	b := d.ImportBatch
	b.CreatedAt, b.UpdatedAt = utc(b.CreatedAt), utc(b.UpdatedAt)
	return &b
}

// CreateImportBatch inserts b; ECONFLICT if its id exists.
func (s *Store) CreateImportBatch(ctx context.Context, b *publisher.ImportBatch) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.importBatches.InsertOne(ctx, &importBatchDoc{ID: b.ID, ImportBatch: *b})
	return storeError(err, "creating import batch")
}

// UpdateImportBatch replaces b; ENOTFOUND if it does not exist.
func (s *Store) UpdateImportBatch(ctx context.Context, b *publisher.ImportBatch) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	return s.replace(ctx, s.importBatches, b.ID, &importBatchDoc{ID: b.ID, ImportBatch: *b}, "updating import batch")
}

// GetImportBatch returns a batch; ENOTFOUND if there is none.
func (s *Store) GetImportBatch(ctx context.Context, id string) (*publisher.ImportBatch, error) {
	return getOne(ctx, s, s.importBatches, bson.D{{Key: "_id", Value: id}}, "getting import batch", (*importBatchDoc).batch)
}

// ListImportBatches returns the newest batches, at most limit (0: all).
func (s *Store) ListImportBatches(ctx context.Context, limit int) ([]*publisher.ImportBatch, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	opts := options.Find().SetSort(bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}})
	out, err := findAll(ctx, s.importBatches, bson.D{}, pageOptions(opts, limit, 0), (*importBatchDoc).batch)
	return out, storeError(err, "listing import batches")
}

// activityDoc is the part of a delivery PublishedActivity reads.
type activityDoc struct {
	OrgID       string    `bson:"orgId"`
	PostID      string    `bson:"postId"`
	PublishedAt time.Time `bson:"publishedAt"`
}

// PublishedActivity counts the deliveries published since since, by
// organisation. It reads the matching deliveries' organisation, post and
// time and counts here: several accumulators in one $group are among
// what FerretDB gets wrong.
func (s *Store) PublishedActivity(ctx context.Context, since time.Time) ([]*publisher.OrgActivity, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	filter := bson.D{{Key: "status", Value: string(publisher.DeliveryPublished)}, {Key: "publishedAt", Value: bson.D{{Key: "$gte", Value: utc(since)}}}}
	opts := options.Find().SetProjection(bson.D{{Key: "orgId", Value: 1}, {Key: "postId", Value: 1}, {Key: "publishedAt", Value: 1}, {Key: "_id", Value: 0}})
	ds, err := findAll(ctx, s.deliveries, filter, opts, func(d *activityDoc) *activityDoc { return d })
	if err != nil {
		return nil, storeError(err, "reading published activity")
	}
	byOrg := map[string]*publisher.OrgActivity{}
	posts := map[string]map[string]bool{}
	for _, d := range ds {
		a := byOrg[d.OrgID]
		if a == nil {
			a = &publisher.OrgActivity{OrgID: d.OrgID}
			byOrg[d.OrgID], posts[d.OrgID] = a, map[string]bool{}
		}
		a.Deliveries++
		if !posts[d.OrgID][d.PostID] {
			posts[d.OrgID][d.PostID] = true
			a.Posts++
		}
		if t := utc(d.PublishedAt); t.After(a.LastPublishedAt) {
			a.LastPublishedAt = t
		}
	}
	out := make([]*publisher.OrgActivity, 0, len(byOrg))
	for _, a := range byOrg {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b *publisher.OrgActivity) int {
		switch {
		case a.OrgID < b.OrgID:
			return -1
		case a.OrgID > b.OrgID:
			return 1
		}
		return 0
	})
	return out, nil
}
