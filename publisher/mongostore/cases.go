package mongostore

import (
	"context"
	"errors"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/prasar/prasar/publisher"
)

// A case is one document of the cases collection; its trail is the
// caseEvents collection, one document per event, which the store only
// inserts into and reads. There are no multi-document transactions here
// (a single mongod, FerretDB), so the trail rides on the case document:
// CreateCase and UpdateCase write the case and its new events in one
// document write — the events in the case's "pending" array — and only then
// copy the pending events into caseEvents and clear the array (if the case
// has not changed meanwhile). A process that dies, or a database that
// fails, between the two leaves the events pending in the case, where
// ListCaseEvents reads them and the case's next update copies them: the
// trail is never behind the case it records. Copying is idempotent (an
// event's id is its _id).

type caseTriageDoc struct {
	InScope    bool      `bson:"inScope"`
	Actionable bool      `bson:"actionable"`
	Reason     string    `bson:"reason"`
	ByID       string    `bson:"byId"`
	ByName     string    `bson:"byName"`
	At         time.Time `bson:"at"`
}

type caseAssignmentDoc struct {
	NodalOfficerID     string    `bson:"nodalOfficerId"`
	NodalName          string    `bson:"nodalName"`
	AlternateOfficerID string    `bson:"alternateOfficerId"`
	AlternateName      string    `bson:"alternateName"`
	Notified           int       `bson:"notified"`
	At                 time.Time `bson:"at"`
}

type caseSourceDoc struct {
	Kind  string `bson:"kind"`
	Title string `bson:"title"`
	URL   string `bson:"url"`
	Ref   string `bson:"ref"`
}

type caseActionDoc struct {
	ID                 string    `bson:"id"`
	Kind               string    `bson:"kind"`
	At                 time.Time `bson:"at"`
	ByID               string    `bson:"byId"`
	ByName             string    `bson:"byName"`
	Note               string    `bson:"note"`
	Reference          string    `bson:"reference"`
	OfficerName        string    `bson:"officerName"`
	OfficerDesignation string    `bson:"officerDesignation"`
	OfficerRank        string    `bson:"officerRank"`
	LegalBasis         string    `bson:"legalBasis"`
	Reasons            string    `bson:"reasons"`
}

// caseFields are the fields of a case that UpdateCase replaces; none is
// omitempty, so that $set overwrites a value that became empty.
type caseFields struct {
	Ref                 string             `bson:"ref"`
	OrgID               string             `bson:"orgId"`
	Status              string             `bson:"status"`
	Type                string             `bson:"type"`
	Platform            string             `bson:"platform"`
	Media               string             `bson:"media"`
	Language            string             `bson:"language"`
	URLs                []string           `bson:"urls"`
	URLKeys             []string           `bson:"urlKeys"`
	ScreenshotIDs       []string           `bson:"screenshotIds"`
	Summary             string             `bson:"summary"`
	WhereSeen           string             `bson:"whereSeen"`
	District            string             `bson:"district"`
	ReportedBy          string             `bson:"reportedBy"`
	ReportedByName      string             `bson:"reportedByName"`
	ReportedAt          time.Time          `bson:"reportedAt"`
	DeadlineAt          time.Time          `bson:"deadlineAt"`
	EscalateDMSAt       time.Time          `bson:"escalateDmsAt"`
	DuplicateOf         string             `bson:"duplicateOf"`
	LinkedReports       int                `bson:"linkedReports"`
	Triage              *caseTriageDoc     `bson:"triage"`
	Assignment          *caseAssignmentDoc `bson:"assignment"`
	Facts               string             `bson:"facts"`
	Sources             []caseSourceDoc    `bson:"sources"`
	ClarificationPostID string             `bson:"clarificationPostId"`
	ExtraPostIDs        []string           `bson:"extraPostIds"`
	PastPostIDs         []string           `bson:"pastPostIds"`
	Actions             []caseActionDoc    `bson:"actions"`
	AssignedAt          *time.Time         `bson:"assignedAt"`
	SubmittedAt         *time.Time         `bson:"submittedAt"`
	ApprovedAt          *time.Time         `bson:"approvedAt"`
	PublishedAt         *time.Time         `bson:"publishedAt"`
	ClosedAt            *time.Time         `bson:"closedAt"`
	ClosingNote         string             `bson:"closingNote"`
	EscalatedHoDAt      *time.Time         `bson:"escalatedHodAt"`
	EscalatedDMSAt      *time.Time         `bson:"escalatedDmsAt"`
	Events              int                `bson:"events"`
	LastHash            string             `bson:"lastHash"`
	CreatedAt           time.Time          `bson:"createdAt"`
	UpdatedAt           time.Time          `bson:"updatedAt"`
}

// caseDoc is a case as stored.
type caseDoc struct {
	ID      string     `bson:"_id"`
	Fields  caseFields `bson:",inline"`
	Version int64      `bson:"version"`
	// Pending are trail events written with the case and not yet copied
	// into caseEvents (see above).
	Pending []*caseEventDoc `bson:"pending,omitempty"`
}

func newCaseFields(c *publisher.Case) caseFields {
	f := caseFields{Ref: c.Ref, OrgID: c.OrgID, Status: string(c.Status), Type: string(c.Type), Platform: c.Platform, Media: string(c.Media),
		Language: c.Language, URLs: c.URLs, URLKeys: c.URLKeys, ScreenshotIDs: c.ScreenshotIDs, Summary: c.Summary, WhereSeen: c.WhereSeen,
		District: c.District, ReportedBy: c.ReportedBy, ReportedByName: c.ReportedByName, ReportedAt: utc(c.ReportedAt), DeadlineAt: utc(c.DeadlineAt),
		EscalateDMSAt: utc(c.EscalateDMSAt), DuplicateOf: c.DuplicateOf, LinkedReports: c.LinkedReports, Facts: c.Facts,
		ClarificationPostID: c.ClarificationPostID, ExtraPostIDs: c.ExtraPostIDs, PastPostIDs: c.PastPostIDs,
		AssignedAt: utcPtr(c.AssignedAt), SubmittedAt: utcPtr(c.SubmittedAt), ApprovedAt: utcPtr(c.ApprovedAt), PublishedAt: utcPtr(c.PublishedAt),
		ClosedAt: utcPtr(c.ClosedAt), ClosingNote: c.ClosingNote, EscalatedHoDAt: utcPtr(c.EscalatedHoDAt), EscalatedDMSAt: utcPtr(c.EscalatedDMSAt),
		Events: c.Events, LastHash: c.LastHash, CreatedAt: utc(c.CreatedAt), UpdatedAt: utc(c.UpdatedAt)}
	if t := c.Triage; t != nil {
		f.Triage = &caseTriageDoc{InScope: t.InScope, Actionable: t.Actionable, Reason: t.Reason, ByID: t.ByID, ByName: t.ByName, At: utc(t.At)}
	}
	if a := c.Assignment; a != nil {
		f.Assignment = &caseAssignmentDoc{NodalOfficerID: a.NodalOfficerID, NodalName: a.NodalName, AlternateOfficerID: a.AlternateOfficerID,
			AlternateName: a.AlternateName, Notified: a.Notified, At: utc(a.At)}
	}
	for _, src := range c.Sources {
		f.Sources = append(f.Sources, caseSourceDoc{Kind: src.Kind, Title: src.Title, URL: src.URL, Ref: src.Ref})
	}
	for _, a := range c.Actions {
		f.Actions = append(f.Actions, caseActionDoc{ID: a.ID, Kind: string(a.Kind), At: utc(a.At), ByID: a.ByID, ByName: a.ByName, Note: a.Note,
			Reference: a.Reference, OfficerName: a.OfficerName, OfficerDesignation: a.OfficerDesignation, OfficerRank: string(a.OfficerRank),
			LegalBasis: a.LegalBasis, Reasons: a.Reasons})
	}
	return f
}

func (d *caseDoc) kase() *publisher.Case {
	f := &d.Fields
	c := &publisher.Case{ID: d.ID, Ref: f.Ref, OrgID: f.OrgID, Status: publisher.CaseStatus(f.Status), Type: publisher.CaseType(f.Type),
		Platform: f.Platform, Media: publisher.CaseMedia(f.Media), Language: f.Language, URLs: f.URLs, URLKeys: f.URLKeys,
		ScreenshotIDs: f.ScreenshotIDs, Summary: f.Summary, WhereSeen: f.WhereSeen, District: f.District, ReportedBy: f.ReportedBy,
		ReportedByName: f.ReportedByName, ReportedAt: utc(f.ReportedAt), DeadlineAt: utc(f.DeadlineAt), EscalateDMSAt: utc(f.EscalateDMSAt),
		DuplicateOf: f.DuplicateOf, LinkedReports: f.LinkedReports, Facts: f.Facts, ClarificationPostID: f.ClarificationPostID,
		ExtraPostIDs: f.ExtraPostIDs, PastPostIDs: f.PastPostIDs, AssignedAt: utcPtr(f.AssignedAt), SubmittedAt: utcPtr(f.SubmittedAt),
		ApprovedAt: utcPtr(f.ApprovedAt), PublishedAt: utcPtr(f.PublishedAt), ClosedAt: utcPtr(f.ClosedAt), ClosingNote: f.ClosingNote,
		EscalatedHoDAt: utcPtr(f.EscalatedHoDAt), EscalatedDMSAt: utcPtr(f.EscalatedDMSAt), Events: f.Events, LastHash: f.LastHash,
		CreatedAt: utc(f.CreatedAt), UpdatedAt: utc(f.UpdatedAt), Version: d.Version}
	if t := f.Triage; t != nil {
		c.Triage = &publisher.CaseTriage{InScope: t.InScope, Actionable: t.Actionable, Reason: t.Reason, ByID: t.ByID, ByName: t.ByName, At: utc(t.At)}
	}
	if a := f.Assignment; a != nil {
		c.Assignment = &publisher.CaseAssignment{NodalOfficerID: a.NodalOfficerID, NodalName: a.NodalName, AlternateOfficerID: a.AlternateOfficerID,
			AlternateName: a.AlternateName, Notified: a.Notified, At: utc(a.At)}
	}
	for _, src := range f.Sources {
		c.Sources = append(c.Sources, publisher.CaseSource{Kind: src.Kind, Title: src.Title, URL: src.URL, Ref: src.Ref})
	}
	for _, a := range f.Actions {
		c.Actions = append(c.Actions, publisher.CaseAction{ID: a.ID, Kind: publisher.CaseActionKind(a.Kind), At: utc(a.At), ByID: a.ByID, ByName: a.ByName,
			Note: a.Note, Reference: a.Reference, OfficerName: a.OfficerName, OfficerDesignation: a.OfficerDesignation,
			OfficerRank: publisher.OfficerRank(a.OfficerRank), LegalBasis: a.LegalBasis, Reasons: a.Reasons})
	}
	return c
}

// caseEventDoc is one trail event as stored.
type caseEventDoc struct {
	ID        string            `bson:"_id"`
	CaseID    string            `bson:"caseId"`
	Seq       int               `bson:"seq"`
	At        time.Time         `bson:"at"`
	ActorID   string            `bson:"actorId"`
	ActorName string            `bson:"actorName"`
	ActorRole string            `bson:"actorRole"`
	Kind      string            `bson:"kind"`
	From      string            `bson:"from"`
	To        string            `bson:"to"`
	Note      string            `bson:"note"`
	Details   map[string]string `bson:"details"`
	Hash      string            `bson:"hash"`
}

func (d *caseEventDoc) event() *publisher.CaseEvent {
	return &publisher.CaseEvent{ID: d.ID, CaseID: d.CaseID, Seq: d.Seq, At: utc(d.At), ActorID: d.ActorID, ActorName: d.ActorName,
		ActorRole: publisher.Role(d.ActorRole), Kind: d.Kind, From: publisher.CaseStatus(d.From), To: publisher.CaseStatus(d.To), Note: d.Note,
		Details: d.Details, Hash: d.Hash}
}

func newCaseEventDocs(evs []*publisher.CaseEvent) []*caseEventDoc {
	docs := make([]*caseEventDoc, 0, len(evs))
	for _, e := range evs {
		docs = append(docs, &caseEventDoc{ID: e.ID, CaseID: e.CaseID, Seq: e.Seq, At: utc(e.At), ActorID: e.ActorID, ActorName: e.ActorName,
			ActorRole: string(e.ActorRole), Kind: e.Kind, From: string(e.From), To: string(e.To), Note: e.Note, Details: e.Details, Hash: e.Hash})
	}
	return docs
}

// checkCaseEvents refuses events of another case.
func checkCaseEvents(caseID string, evs []*publisher.CaseEvent, what string) error {
	for _, e := range evs {
		if e.CaseID != caseID {
			return publisher.Errorf(publisher.EINTERNAL, "mongostore: %s %q: event %q belongs to case %q", what, caseID, e.ID, e.CaseID)
		}
	}
	return nil
}

// copyPendingEvents copies the pending events of the case at version into
// caseEvents, skipping those already there, then clears them from the case
// unless it changed since (whoever changed it copies them too). It reports
// whether every event is now in caseEvents; if not, they stay pending in
// the case, which is enough: ListCaseEvents reads them there and the next
// update copies them.
func (s *Store) copyPendingEvents(ctx context.Context, caseID string, version int64, pending []*caseEventDoc) bool {
	if len(pending) == 0 {
		return true
	}
	docs := make([]any, len(pending))
	for i, d := range pending {
		docs[i] = d
	}
	if _, err := s.caseEvents.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false)); err != nil && !onlyDuplicateKeys(err) {
		return false
	}
	_, err := s.cases.UpdateOne(ctx, bson.D{{Key: "_id", Value: caseID}, {Key: "version", Value: version}}, bson.D{{Key: "$unset", Value: bson.D{{Key: "pending", Value: ""}}}})
	return err == nil
}

// onlyDuplicateKeys reports whether every write error of an insert is a
// duplicate key (the event was copied before).
func onlyDuplicateKeys(err error) bool {
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || bwe.WriteConcernError != nil || len(bwe.WriteErrors) == 0 {
		return mongo.IsDuplicateKeyError(err)
	}
	for _, we := range bwe.WriteErrors {
		if !mongo.IsDuplicateKeyError(we) {
			return false
		}
	}
	return true
}

// CreateCase inserts c with Version 1 and its first events in one document
// write (see above). Returns ECONFLICT if c.ID exists.
func (s *Store) CreateCase(ctx context.Context, c *publisher.Case, evs []*publisher.CaseEvent) error {
	if err := checkCaseEvents(c.ID, evs, "creating case"); err != nil {
		return err
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	pending := newCaseEventDocs(evs)
	if _, err := s.cases.InsertOne(ctx, &caseDoc{ID: c.ID, Fields: newCaseFields(c), Version: 1, Pending: pending}); err != nil {
		return storeError(err, "creating case")
	}
	c.Version = 1
	s.copyPendingEvents(ctx, c.ID, 1, pending)
	return nil
}

// UpdateCase replaces c if its stored version equals c.Version, adding evs
// to its trail in the same document write (see above). On success
// c.Version is incremented. Returns ENOTFOUND if c does not exist and
// ECONFLICT if the version is stale or an event's seq is taken; then
// nothing is written.
func (s *Store) UpdateCase(ctx context.Context, c *publisher.Case, evs []*publisher.CaseEvent) error {
	if err := checkCaseEvents(c.ID, evs, "updating case"); err != nil {
		return err
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	set, err := toBSON(newCaseFields(c))
	if err != nil {
		return publisher.WrapError(publisher.EINTERNAL, err, "mongostore: updating case %q: encoding", c.ID)
	}
	set = append(set, bson.E{Key: "version", Value: c.Version + 1})
	update := bson.D{{Key: "$set", Value: set}}
	if len(evs) > 0 {
		update = append(update, bson.E{Key: "$push", Value: bson.D{{Key: "pending", Value: bson.D{{Key: "$each", Value: newCaseEventDocs(evs)}}}}})
	}
	filter := bson.D{{Key: "_id", Value: c.ID}, {Key: "version", Value: c.Version}}
	if len(evs) > 0 {
		// Events are numbered after the case's last (its event count): a
		// new event whose number is taken is refused with the write.
		minSeq := evs[0].Seq
		for _, e := range evs {
			minSeq = min(minSeq, e.Seq)
		}
		filter = append(filter, bson.E{Key: "events", Value: bson.D{{Key: "$lt", Value: minSeq}}})
	}
	var after caseDoc
	err = s.cases.FindOneAndUpdate(ctx, filter, update,
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&after)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return s.notFoundOrConflict(ctx, s.cases, c.ID, "updating case", "the case changed since it was read, or an event's number is taken")
	} else if err != nil {
		return storeError(err, "updating case")
	}
	c.Version++
	// The pending events include any an earlier update left behind.
	s.copyPendingEvents(ctx, c.ID, after.Version, after.Pending)
	return nil
}

// GetCase returns ENOTFOUND if there is no such case.
func (s *Store) GetCase(ctx context.Context, id string) (*publisher.Case, error) {
	return getOne(ctx, s, s.cases, bson.D{{Key: "_id", Value: id}}, "getting case", (*caseDoc).kase)
}

// ListCases returns the cases matching f, most recently reported first,
// and the number of matches without Limit/Offset.
func (s *Store) ListCases(ctx context.Context, f publisher.CaseFilter) ([]*publisher.Case, int, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	filter := bson.D{}
	if f.OrgID != "" {
		filter = append(filter, bson.E{Key: "orgId", Value: f.OrgID})
	}
	if len(f.Statuses) > 0 {
		st := make(bson.A, len(f.Statuses))
		for i, v := range f.Statuses {
			st[i] = string(v)
		}
		filter = append(filter, bson.E{Key: "status", Value: bson.D{{Key: "$in", Value: st}}})
	}
	for _, e := range []struct{ key, v string }{{"type", string(f.Type)}, {"platform", f.Platform}, {"district", f.District}} {
		if e.v != "" {
			filter = append(filter, bson.E{Key: e.key, Value: e.v})
		}
	}
	reported := bson.D{}
	if !f.ReportedFrom.IsZero() {
		reported = append(reported, bson.E{Key: "$gte", Value: f.ReportedFrom.UTC()})
	}
	if !f.ReportedTo.IsZero() {
		reported = append(reported, bson.E{Key: "$lt", Value: f.ReportedTo.UTC()})
	}
	if len(reported) > 0 {
		filter = append(filter, bson.E{Key: "reportedAt", Value: reported})
	}
	if !f.DueBefore.IsZero() {
		filter = append(filter, bson.E{Key: "deadlineAt", Value: bson.D{{Key: "$lte", Value: f.DueBefore.UTC()}}})
	}
	n, err := s.cases.CountDocuments(ctx, filter)
	if err != nil {
		return nil, 0, storeError(err, "counting cases")
	}
	opts := options.Find().SetSort(bson.D{{Key: "reportedAt", Value: -1}, {Key: "_id", Value: -1}})
	out, err := findAll(ctx, s.cases, filter, pageOptions(opts, f.Limit, f.Offset), (*caseDoc).kase)
	if err != nil {
		return nil, 0, storeError(err, "listing cases")
	}
	return out, int(n), nil
}

// FindCasesByURL returns the cases with any of the URL keys, earliest
// reported first.
func (s *Store) FindCasesByURL(ctx context.Context, keys []string) ([]*publisher.Case, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	ks := make(bson.A, len(keys))
	for i, k := range keys {
		ks[i] = k
	}
	opts := options.Find().SetSort(bson.D{{Key: "reportedAt", Value: 1}, {Key: "_id", Value: 1}})
	out, err := findAll(ctx, s.cases, bson.D{{Key: "urlKeys", Value: bson.D{{Key: "$in", Value: ks}}}}, opts, (*caseDoc).kase)
	return out, storeError(err, "finding cases by URL")
}

// ListCaseEvents returns a case's trail by seq: the events in caseEvents
// and those still pending in the case (see above).
func (s *Store) ListCaseEvents(ctx context.Context, caseID string) ([]*publisher.CaseEvent, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	out, err := findAll(ctx, s.caseEvents, bson.D{{Key: "caseId", Value: caseID}}, options.Find().SetSort(bson.D{{Key: "seq", Value: 1}}), (*caseEventDoc).event)
	if err != nil {
		return nil, storeError(err, "listing a case's trail")
	}
	var kase caseDoc
	err = s.cases.FindOne(ctx, bson.D{{Key: "_id", Value: caseID}}).Decode(&kase)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return out, nil
	} else if err != nil {
		return nil, storeError(err, "listing a case's trail")
	}
	if len(kase.Pending) == 0 {
		return out, nil
	}
	seen := make(map[string]bool, len(out))
	for _, e := range out {
		seen[e.ID] = true
	}
	for _, d := range kase.Pending {
		if !seen[d.ID] {
			out = append(out, d.event())
		}
	}
	slices.SortFunc(out, func(a, b *publisher.CaseEvent) int { return a.Seq - b.Seq })
	return out, nil
}
