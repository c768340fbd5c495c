package mongostore

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/prasar/prasar/publisher"
)

// The publisher.ConnectionStore: connections in progress (collection
// oauthAuthorizations), conditional credential updates of accounts, and
// the token lifecycle's per-account state (accountTokens, keyed by the
// account id). Each conditional write is one single-document operation —
// findOneAndDelete, findOneAndUpdate, or an upsert whose insert collides
// on _id when its condition fails — so it is atomic on MongoDB (FerretDB
// 1.x does not make them atomic under concurrency; see
// shared/docs/ferretdb-subset.md).

// authorizationDoc is a connection in progress as stored.
type authorizationDoc struct {
	ID          string    `bson:"_id"`
	Phase       string    `bson:"phase"`
	SessionID   string    `bson:"sessionId"`
	UserID      string    `bson:"userId"`
	OrgID       string    `bson:"orgId"`
	Platform    string    `bson:"platform"`
	AccountID   string    `bson:"accountId"`
	RedirectURL string    `bson:"redirectUrl"`
	Sealed      string    `bson:"sealed"`
	CreatedAt   time.Time `bson:"createdAt"`
	ExpiresAt   time.Time `bson:"expiresAt"`
}

func (d *authorizationDoc) authorization() *publisher.Authorization {
	return &publisher.Authorization{ID: d.ID, Phase: publisher.AuthPhase(d.Phase), SessionID: d.SessionID, UserID: d.UserID, OrgID: d.OrgID,
		Platform: publisher.Platform(d.Platform), AccountID: d.AccountID, RedirectURL: d.RedirectURL, Sealed: d.Sealed,
		CreatedAt: utc(d.CreatedAt), ExpiresAt: utc(d.ExpiresAt)}
}

// CreateAuthorization stores a; ECONFLICT if its id exists.
func (s *Store) CreateAuthorization(ctx context.Context, a *publisher.Authorization) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.authorizations.InsertOne(ctx, &authorizationDoc{ID: a.ID, Phase: string(a.Phase), SessionID: a.SessionID, UserID: a.UserID,
		OrgID: a.OrgID, Platform: string(a.Platform), AccountID: a.AccountID, RedirectURL: a.RedirectURL, Sealed: a.Sealed,
		CreatedAt: utc(a.CreatedAt), ExpiresAt: utc(a.ExpiresAt)})
	return storeError(err, "creating authorization")
}

// GetAuthorization returns ENOTFOUND if there is no such authorization.
func (s *Store) GetAuthorization(ctx context.Context, id string) (*publisher.Authorization, error) {
	return getOne(ctx, s, s.authorizations, bson.D{{Key: "_id", Value: id}}, "getting authorization", (*authorizationDoc).authorization)
}

// TakeAuthorization deletes and returns the authorization if it belongs to
// sessionID and is in phase (one findOneAndDelete).
func (s *Store) TakeAuthorization(ctx context.Context, id, sessionID string, phase publisher.AuthPhase) (*publisher.Authorization, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var d authorizationDoc
	err := s.authorizations.FindOneAndDelete(ctx, bson.D{{Key: "_id", Value: id}, {Key: "sessionId", Value: sessionID},
		{Key: "phase", Value: string(phase)}}).Decode(&d)
	if err != nil {
		return nil, storeError(err, "taking authorization")
	}
	return d.authorization(), nil
}

// DeleteExpiredAuthorizations removes authorizations that expired before
// now.
func (s *Store) DeleteExpiredAuthorizations(ctx context.Context, now time.Time) (int, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	res, err := s.authorizations.DeleteMany(ctx, bson.D{{Key: "expiresAt", Value: bson.D{{Key: "$lt", Value: now.UTC()}}}})
	if err != nil {
		return 0, storeError(err, "deleting expired authorizations")
	}
	return int(res.DeletedCount), nil
}

// UpdateAccountCredentials writes the account's secret, token expiry,
// status and reason if its secret is still c.OldSecret (one
// findOneAndUpdate). An empty secret is stored as an absent field, as
// CreateAccount and UpdateAccount store it.
func (s *Store) UpdateAccountCredentials(ctx context.Context, id string, c publisher.CredentialsUpdate) (*publisher.Account, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	filter := bson.D{{Key: "_id", Value: id}, {Key: "secret", Value: c.OldSecret}}
	if c.OldSecret == "" {
		filter = bson.D{{Key: "_id", Value: id}, {Key: "secret", Value: bson.D{{Key: "$in", Value: bson.A{"", nil}}}}}
	}
	set := bson.D{{Key: "status", Value: string(c.Status)}, {Key: "updatedAt", Value: utc(c.At)}}
	var unset bson.D
	for _, f := range []struct {
		key   string
		value any
		empty bool
	}{
		{"secret", c.Secret, c.Secret == ""},
		{"tokenExpiresAt", utcPtr(c.TokenExpiresAt), c.TokenExpiresAt == nil},
		{"statusReason", c.StatusReason, c.StatusReason == ""},
	} {
		if f.empty {
			unset = append(unset, bson.E{Key: f.key, Value: ""})
		} else {
			set = append(set, bson.E{Key: f.key, Value: f.value})
		}
	}
	update := bson.D{{Key: "$set", Value: set}}
	if len(unset) > 0 {
		update = append(update, bson.E{Key: "$unset", Value: unset})
	}
	var d accountDoc
	err := s.accounts.FindOneAndUpdate(ctx, filter, update, options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, s.notFoundOrConflict(ctx, s.accounts, id, "updating account credentials", "the account's credentials changed meanwhile")
	} else if err != nil {
		return nil, storeError(err, "updating account credentials")
	}
	return d.account(), nil
}

// AcquireTokenLease gives holder the account's token lease: an upsert of
// the account's token state whose filter matches only a free, lapsed or
// holder's own lease. When it does not match, the upsert's insert
// collides with the existing document on _id: ECONFLICT.
func (s *Store) AcquireTokenLease(ctx context.Context, accountID, holder string, now, until time.Time) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	filter := bson.D{{Key: "_id", Value: accountID}, {Key: "$or", Value: bson.A{
		bson.D{{Key: "leaseUntil", Value: nil}},
		bson.D{{Key: "leaseUntil", Value: bson.D{{Key: "$lte", Value: now.UTC()}}}},
		bson.D{{Key: "leaseHolder", Value: holder}},
	}}}
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "leaseHolder", Value: holder}, {Key: "leaseUntil", Value: until.UTC()}}}}
	_, err := s.accountTokens.UpdateOne(ctx, filter, update, options.UpdateOne().SetUpsert(true))
	if isDuplicateKey(err) {
		return publisher.Errorf(publisher.ECONFLICT, "mongostore: taking a token lease: another worker holds it")
	}
	return storeError(err, "taking a token lease")
}

// ReleaseTokenLease ends holder's lease of the account.
func (s *Store) ReleaseTokenLease(ctx context.Context, accountID, holder string) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.accountTokens.UpdateOne(ctx, bson.D{{Key: "_id", Value: accountID}, {Key: "leaseHolder", Value: holder}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "leaseHolder", Value: ""}, {Key: "leaseUntil", Value: nil}}}})
	return storeError(err, "releasing a token lease")
}

// MarkAccountAlert records the alert key of the account if it differs from
// the one recorded: an upsert whose filter matches only another key (or
// none); when the key is the recorded one the insert collides on _id.
func (s *Store) MarkAccountAlert(ctx context.Context, accountID, key string, at time.Time) (bool, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	filter := bson.D{{Key: "_id", Value: accountID}, {Key: "alertKey", Value: bson.D{{Key: "$ne", Value: key}}}}
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "alertKey", Value: key}, {Key: "alertedAt", Value: utc(at)}}}}
	res, err := s.accountTokens.UpdateOne(ctx, filter, update, options.UpdateOne().SetUpsert(true))
	if isDuplicateKey(err) {
		return false, nil
	} else if err != nil {
		return false, storeError(err, "recording an account alert")
	}
	return res.ModifiedCount+res.UpsertedCount > 0, nil
}
