package mongostore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/prasar/prasar/publisher"
)

// contentDoc is a post's (or revision's) content as stored.
type contentDoc struct {
	BodyHI   string                `bson:"bodyHi"`
	BodyEN   string                `bson:"bodyEn"`
	Link     string                `bson:"link"`
	MediaIDs []string              `bson:"mediaIds"`
	AltText  string                `bson:"altText"`
	Variants map[string]variantDoc `bson:"variants"`
}

type variantDoc struct {
	Text string `bson:"text"`
}

func newContentDoc(c *publisher.Content) contentDoc {
	d := contentDoc{BodyHI: c.BodyHI, BodyEN: c.BodyEN, Link: c.Link, MediaIDs: c.MediaIDs, AltText: c.AltText}
	if c.Variants != nil {
		d.Variants = make(map[string]variantDoc, len(c.Variants))
		for p, v := range c.Variants {
			d.Variants[string(p)] = variantDoc{Text: v.Text}
		}
	}
	return d
}

func (d *contentDoc) content() publisher.Content {
	c := publisher.Content{BodyHI: d.BodyHI, BodyEN: d.BodyEN, Link: d.Link, MediaIDs: d.MediaIDs, AltText: d.AltText}
	if d.Variants != nil {
		c.Variants = make(map[publisher.Platform]publisher.Variant, len(d.Variants))
		for p, v := range d.Variants {
			c.Variants[publisher.Platform(p)] = publisher.Variant{Text: v.Text}
		}
	}
	return c
}

type reviewDoc struct {
	At       time.Time `bson:"at"`
	UserID   string    `bson:"userId"`
	UserName string    `bson:"userName,omitempty"`
	Action   string    `bson:"action"`
	Revision int       `bson:"revision"`
	Comment  string    `bson:"comment,omitempty"`
}

// revisionDoc is one element of a post's embedded revisions array.
type revisionDoc struct {
	Revision    int        `bson:"revision"`
	Content     contentDoc `bson:"content"`
	Targets     []string   `bson:"targets"`
	ContentHash string     `bson:"contentHash"`
	EditedBy    string     `bson:"editedBy"`
	EditedAt    time.Time  `bson:"editedAt"`
}

func newRevisionDoc(r *publisher.PostRevision) *revisionDoc {
	return &revisionDoc{Revision: r.Revision, Content: newContentDoc(&r.Content), Targets: r.Targets, ContentHash: r.ContentHash,
		EditedBy: r.EditedBy, EditedAt: utc(r.EditedAt)}
}

func (d *revisionDoc) revision(postID string) *publisher.PostRevision {
	return &publisher.PostRevision{PostID: postID, Revision: d.Revision, Content: d.content(), Targets: d.Targets,
		ContentHash: d.ContentHash, EditedBy: d.EditedBy, EditedAt: utc(d.EditedAt)}
}

func (d *revisionDoc) content() publisher.Content { return d.Content.content() }

// postFields are the fields of a post that UpdatePost replaces. None is
// omitempty: $set must overwrite a value that became empty (a cleared
// schedule, a withdrawn approval) rather than leave the old one.
type postFields struct {
	OrgID            string      `bson:"orgId"`
	AuthorID         string      `bson:"authorId"`
	Kind             string      `bson:"kind"`
	CaseID           string      `bson:"caseId"`
	Title            string      `bson:"title"`
	Status           string      `bson:"status"`
	Revision         int         `bson:"revision"`
	Content          contentDoc  `bson:"content"`
	Targets          []string    `bson:"targets"`
	ContentHash      string      `bson:"contentHash"`
	ScheduledAt      *time.Time  `bson:"scheduledAt"`
	SubmittedAt      *time.Time  `bson:"submittedAt"`
	ApprovedRevision int         `bson:"approvedRevision"`
	ApprovedBy       string      `bson:"approvedBy"`
	ApprovedAt       *time.Time  `bson:"approvedAt"`
	FanoutRevision   int         `bson:"fanoutRevision"`
	Review           []reviewDoc `bson:"review"`
	CreatedAt        time.Time   `bson:"createdAt"`
	UpdatedAt        time.Time   `bson:"updatedAt"`
}

// postDoc is a post as stored, with its revisions embedded.
type postDoc struct {
	ID        string        `bson:"_id"`
	Fields    postFields    `bson:",inline"`
	Version   int64         `bson:"version"`
	Revisions []revisionDoc `bson:"revisions,omitempty"`
}

func newPostFields(p *publisher.Post) postFields {
	f := postFields{OrgID: p.OrgID, AuthorID: p.AuthorID, Kind: string(p.Kind), CaseID: p.CaseID, Title: p.Title,
		Status: string(p.Status), Revision: p.Revision, Content: newContentDoc(&p.Content), Targets: p.Targets,
		ContentHash: p.ContentHash, ScheduledAt: utcPtr(p.ScheduledAt), SubmittedAt: utcPtr(p.SubmittedAt),
		ApprovedRevision: p.ApprovedRevision, ApprovedBy: p.ApprovedBy, ApprovedAt: utcPtr(p.ApprovedAt),
		FanoutRevision: p.FanoutRevision, CreatedAt: utc(p.CreatedAt), UpdatedAt: utc(p.UpdatedAt)}
	if p.Review != nil {
		f.Review = make([]reviewDoc, len(p.Review))
		for i, r := range p.Review {
			f.Review[i] = reviewDoc{At: utc(r.At), UserID: r.UserID, UserName: r.UserName, Action: r.Action, Revision: r.Revision, Comment: r.Comment}
		}
	}
	return f
}

func (d *postDoc) post() *publisher.Post {
	f := &d.Fields
	p := &publisher.Post{ID: d.ID, OrgID: f.OrgID, AuthorID: f.AuthorID, Kind: publisher.PostKind(f.Kind), CaseID: f.CaseID,
		Title: f.Title, Status: publisher.PostStatus(f.Status), Revision: f.Revision, Content: f.Content.content(),
		Targets: f.Targets, ContentHash: f.ContentHash, ScheduledAt: utcPtr(f.ScheduledAt), SubmittedAt: utcPtr(f.SubmittedAt),
		ApprovedRevision: f.ApprovedRevision, ApprovedBy: f.ApprovedBy, ApprovedAt: utcPtr(f.ApprovedAt),
		FanoutRevision: f.FanoutRevision, CreatedAt: utc(f.CreatedAt), UpdatedAt: utc(f.UpdatedAt), Version: d.Version}
	if f.Review != nil {
		p.Review = make([]publisher.ReviewEntry, len(f.Review))
		for i, r := range f.Review {
			p.Review[i] = publisher.ReviewEntry{At: utc(r.At), UserID: r.UserID, UserName: r.UserName, Action: r.Action, Revision: r.Revision, Comment: r.Comment}
		}
	}
	return p
}

// withoutRevisions is the projection of a post without its revisions.
var withoutRevisions = bson.D{{Key: "revisions", Value: 0}}

// CreatePost inserts p with Version 1 and rev as its first revision, in one
// document. Returns ECONFLICT if p.ID exists.
func (s *Store) CreatePost(ctx context.Context, p *publisher.Post, rev *publisher.PostRevision) error {
	if rev != nil && rev.PostID != p.ID {
		return publisher.Errorf(publisher.EINTERNAL, "mongostore: creating post %q: the revision belongs to post %q", p.ID, rev.PostID)
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	d := &postDoc{ID: p.ID, Fields: newPostFields(p), Version: 1}
	if rev != nil {
		d.Revisions = []revisionDoc{*newRevisionDoc(rev)}
	}
	if _, err := s.posts.InsertOne(ctx, d); err != nil {
		return storeError(err, "creating post")
	}
	p.Version = 1
	return nil
}

// UpdatePost replaces p if its stored version equals p.Version, and adds
// rev if it is not nil, in one update of the post's document: the filter
// holds the version check and the absence of rev's revision, so the post,
// its new version and the revision are written together or not at all. On
// success p.Version is incremented. Returns ENOTFOUND if p does not exist
// and ECONFLICT if the version is stale or rev's revision exists.
func (s *Store) UpdatePost(ctx context.Context, p *publisher.Post, rev *publisher.PostRevision) error {
	if rev != nil && rev.PostID != p.ID {
		return publisher.Errorf(publisher.EINTERNAL, "mongostore: updating post %q: the revision belongs to post %q", p.ID, rev.PostID)
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	filter := bson.D{{Key: "_id", Value: p.ID}, {Key: "version", Value: p.Version}}
	set, err := toBSON(newPostFields(p))
	if err != nil {
		return publisher.WrapError(publisher.EINTERNAL, err, "mongostore: updating post %q: encoding", p.ID)
	}
	set = append(set, bson.E{Key: "version", Value: p.Version + 1})
	update := bson.D{{Key: "$set", Value: set}}
	if rev != nil {
		filter = append(filter, bson.E{Key: "revisions.revision", Value: bson.D{{Key: "$ne", Value: rev.Revision}}})
		update = append(update, bson.E{Key: "$push", Value: bson.D{{Key: "revisions", Value: newRevisionDoc(rev)}}})
	}
	res, err := s.posts.UpdateOne(ctx, filter, update)
	if err != nil {
		return storeError(err, "updating post")
	}
	if res.MatchedCount == 0 {
		what := "the post changed since it was read"
		if rev != nil {
			what = fmt.Sprintf("the post changed since it was read, or revision %d exists", rev.Revision)
		}
		return s.notFoundOrConflict(ctx, s.posts, p.ID, "updating post", what)
	}
	p.Version++
	return nil
}

// toBSON encodes v as a bson.D.
func toBSON(v any) (bson.D, error) {
	b, err := bson.Marshal(v)
	if err != nil {
		return nil, err
	}
	var d bson.D
	if err := bson.Unmarshal(b, &d); err != nil {
		return nil, err
	}
	return d, nil
}

// GetPost returns ENOTFOUND if there is no such post.
func (s *Store) GetPost(ctx context.Context, id string) (*publisher.Post, error) {
	return getOne(ctx, s, s.posts, bson.D{{Key: "_id", Value: id}}, "getting post", (*postDoc).post,
		options.FindOne().SetProjection(withoutRevisions))
}

// ListPosts returns posts matching f, most recently updated first (with
// f.OldestFirst: by submission, creation and id, ascending), and the
// number of matches without Limit/Offset.
func (s *Store) ListPosts(ctx context.Context, f publisher.PostFilter) ([]*publisher.Post, int, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	filter := bson.D{}
	if len(f.IDs) > 0 {
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$in", Value: f.IDs}}})
	}
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
	if f.AuthorID != "" {
		filter = append(filter, bson.E{Key: "authorId", Value: f.AuthorID})
	}
	if f.Kind != "" {
		filter = append(filter, bson.E{Key: "kind", Value: string(f.Kind)})
	}
	if !f.UpdatedAfter.IsZero() {
		filter = append(filter, bson.E{Key: "updatedAt", Value: bson.D{{Key: "$gt", Value: f.UpdatedAfter.UTC()}}})
	}
	n, err := s.posts.CountDocuments(ctx, filter)
	if err != nil {
		return nil, 0, storeError(err, "counting posts")
	}
	sort := bson.D{{Key: "updatedAt", Value: -1}, {Key: "_id", Value: -1}}
	if f.OldestFirst {
		// null (never submitted) sorts before every date.
		sort = bson.D{{Key: "submittedAt", Value: 1}, {Key: "createdAt", Value: 1}, {Key: "_id", Value: 1}}
	}
	opts := options.Find().SetProjection(withoutRevisions).SetSort(sort)
	out, err := findAll(ctx, s.posts, filter, pageOptions(opts, f.Limit, f.Offset), (*postDoc).post)
	if err != nil {
		return nil, 0, storeError(err, "listing posts")
	}
	return out, int(n), nil
}

// revisionsOf reads only the revisions array of a post;
// mongo.ErrNoDocuments if there is no such post.
func (s *Store) revisionsOf(ctx context.Context, postID string) ([]revisionDoc, error) {
	var d struct {
		Revisions []revisionDoc `bson:"revisions"`
	}
	err := s.posts.FindOne(ctx, bson.D{{Key: "_id", Value: postID}},
		options.FindOne().SetProjection(bson.D{{Key: "revisions", Value: 1}})).Decode(&d)
	if err != nil {
		return nil, err
	}
	return d.Revisions, nil
}

// GetRevision returns ENOTFOUND if there is no such revision.
func (s *Store) GetRevision(ctx context.Context, postID string, revision int) (*publisher.PostRevision, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	revs, err := s.revisionsOf(ctx, postID)
	if err != nil {
		return nil, storeError(err, "getting revision")
	}
	for i := range revs {
		if revs[i].Revision == revision {
			return revs[i].revision(postID), nil
		}
	}
	return nil, publisher.Errorf(publisher.ENOTFOUND, "mongostore: getting revision: post %q has no revision %d", postID, revision)
}

// ListRevisions returns a post's revisions, oldest first; none if there is
// no such post.
func (s *Store) ListRevisions(ctx context.Context, postID string) ([]*publisher.PostRevision, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	revs, err := s.revisionsOf(ctx, postID)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return []*publisher.PostRevision{}, nil
	} else if err != nil {
		return nil, storeError(err, "listing revisions")
	}
	slices.SortStableFunc(revs, func(a, b revisionDoc) int { return cmp.Compare(a.Revision, b.Revision) })
	out := make([]*publisher.PostRevision, len(revs))
	for i := range revs {
		out[i] = revs[i].revision(postID)
	}
	return out, nil
}
