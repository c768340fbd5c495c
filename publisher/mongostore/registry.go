package mongostore

import (
	"context"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/prasar/prasar/publisher"
)

// orgDoc is an organisation as stored.
type orgDoc struct {
	ID         string     `bson:"_id"`
	Code       string     `bson:"code"`
	Type       string     `bson:"type"`
	ParentID   string     `bson:"parentId,omitempty"`
	NameEN     string     `bson:"nameEn"`
	NameHI     string     `bson:"nameHi"`
	District   string     `bson:"district,omitempty"`
	ActiveFrom *time.Time `bson:"activeFrom,omitempty"`
	ActiveTo   *time.Time `bson:"activeTo,omitempty"`
	CreatedAt  time.Time  `bson:"createdAt"`
	UpdatedAt  time.Time  `bson:"updatedAt"`
}

func newOrgDoc(o *publisher.Organisation) *orgDoc {
	return &orgDoc{ID: o.ID, Code: o.Code, Type: string(o.Type), ParentID: o.ParentID, NameEN: o.NameEN, NameHI: o.NameHI,
		District: o.District, ActiveFrom: utcPtr(o.ActiveFrom), ActiveTo: utcPtr(o.ActiveTo), CreatedAt: utc(o.CreatedAt), UpdatedAt: utc(o.UpdatedAt)}
}

func (d *orgDoc) org() *publisher.Organisation {
	return &publisher.Organisation{ID: d.ID, Code: d.Code, Type: publisher.OrgType(d.Type), ParentID: d.ParentID, NameEN: d.NameEN,
		NameHI: d.NameHI, District: d.District, ActiveFrom: utcPtr(d.ActiveFrom), ActiveTo: utcPtr(d.ActiveTo), CreatedAt: utc(d.CreatedAt), UpdatedAt: utc(d.UpdatedAt)}
}

// CreateOrg inserts o. Returns ECONFLICT if o.ID or o.Code exists.
func (s *Store) CreateOrg(ctx context.Context, o *publisher.Organisation) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.orgs.InsertOne(ctx, newOrgDoc(o))
	return storeError(err, "creating organisation")
}

// UpdateOrg replaces o. Returns ENOTFOUND if it does not exist and ECONFLICT
// if the new code belongs to another organisation.
func (s *Store) UpdateOrg(ctx context.Context, o *publisher.Organisation) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	return s.replace(ctx, s.orgs, o.ID, newOrgDoc(o), "updating organisation")
}

// GetOrg returns ENOTFOUND if there is no such organisation.
func (s *Store) GetOrg(ctx context.Context, id string) (*publisher.Organisation, error) {
	return getOne(ctx, s, s.orgs, bson.D{{Key: "_id", Value: id}}, "getting organisation", (*orgDoc).org)
}

// GetOrgByCode returns ENOTFOUND if there is no such organisation.
func (s *Store) GetOrgByCode(ctx context.Context, code string) (*publisher.Organisation, error) {
	return getOne(ctx, s, s.orgs, bson.D{{Key: "code", Value: code}}, "getting organisation by code", (*orgDoc).org)
}

// ListOrgs returns the organisations matching f, ordered by code.
func (s *Store) ListOrgs(ctx context.Context, f publisher.OrgFilter) ([]*publisher.Organisation, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	filter := bson.D{}
	if len(f.IDs) > 0 {
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$in", Value: f.IDs}}})
	}
	if f.Type != "" {
		filter = append(filter, bson.E{Key: "type", Value: string(f.Type)})
	}
	opts := options.Find().SetSort(bson.D{{Key: "code", Value: 1}, {Key: "_id", Value: 1}})
	out, err := findAll(ctx, s.orgs, filter, opts, (*orgDoc).org)
	return out, storeError(err, "listing organisations")
}

// officerDoc is an officer as stored.
type officerDoc struct {
	ID             string     `bson:"_id"`
	OrgID          string     `bson:"orgId"`
	Kind           string     `bson:"kind"`
	Name           string     `bson:"name"`
	Designation    string     `bson:"designation"`
	Posting        string     `bson:"posting"`
	Rank           string     `bson:"rank,omitempty"`
	Email          string     `bson:"email,omitempty"`
	Phone          string     `bson:"phone,omitempty"`
	AccountDetails string     `bson:"accountDetails,omitempty"`
	OrderRef       string     `bson:"orderRef,omitempty"`
	UserID         string     `bson:"userId,omitempty"`
	StartDate      time.Time  `bson:"startDate"`
	EndDate        *time.Time `bson:"endDate,omitempty"`
	CreatedAt      time.Time  `bson:"createdAt"`
	UpdatedAt      time.Time  `bson:"updatedAt"`
}

func newOfficerDoc(o *publisher.Officer) *officerDoc {
	return &officerDoc{ID: o.ID, OrgID: o.OrgID, Kind: string(o.Kind), Name: o.Name, Designation: o.Designation, Posting: o.Posting,
		Rank: o.Rank, Email: o.Email, Phone: o.Phone, AccountDetails: o.AccountDetails, OrderRef: o.OrderRef, UserID: o.UserID,
		StartDate: utc(o.StartDate), EndDate: utcPtr(o.EndDate), CreatedAt: utc(o.CreatedAt), UpdatedAt: utc(o.UpdatedAt)}
}

func (d *officerDoc) officer() *publisher.Officer {
	return &publisher.Officer{ID: d.ID, OrgID: d.OrgID, Kind: publisher.OfficerKind(d.Kind), Name: d.Name, Designation: d.Designation,
		Posting: d.Posting, Rank: d.Rank, Email: d.Email, Phone: d.Phone, AccountDetails: d.AccountDetails, OrderRef: d.OrderRef,
		UserID: d.UserID, StartDate: utc(d.StartDate), EndDate: utcPtr(d.EndDate), CreatedAt: utc(d.CreatedAt), UpdatedAt: utc(d.UpdatedAt)}
}

// CreateOfficer inserts o. Returns ECONFLICT if o.ID exists.
func (s *Store) CreateOfficer(ctx context.Context, o *publisher.Officer) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.officers.InsertOne(ctx, newOfficerDoc(o))
	return storeError(err, "creating officer")
}

// UpdateOfficer replaces o. Returns ENOTFOUND if it does not exist.
func (s *Store) UpdateOfficer(ctx context.Context, o *publisher.Officer) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	return s.replace(ctx, s.officers, o.ID, newOfficerDoc(o), "updating officer")
}

// GetOfficer returns ENOTFOUND if there is no such officer.
func (s *Store) GetOfficer(ctx context.Context, id string) (*publisher.Officer, error) {
	return getOne(ctx, s, s.officers, bson.D{{Key: "_id", Value: id}}, "getting officer", (*officerDoc).officer)
}

// ListOfficers returns officers matching f, newest start date first.
func (s *Store) ListOfficers(ctx context.Context, f publisher.OfficerFilter) ([]*publisher.Officer, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	filter := bson.D{}
	if f.OrgID != "" {
		filter = append(filter, bson.E{Key: "orgId", Value: f.OrgID})
	}
	if !f.CurrentAt.IsZero() {
		t := f.CurrentAt.UTC()
		filter = append(filter,
			bson.E{Key: "startDate", Value: bson.D{{Key: "$lte", Value: t}}},
			bson.E{Key: "$or", Value: bson.A{
				bson.D{{Key: "endDate", Value: nil}},
				bson.D{{Key: "endDate", Value: bson.D{{Key: "$gt", Value: t}}}},
			}})
	}
	opts := options.Find().SetSort(bson.D{{Key: "startDate", Value: -1}, {Key: "_id", Value: 1}})
	out, err := findAll(ctx, s.officers, filter, opts, (*officerDoc).officer)
	return out, storeError(err, "listing officers")
}

// accountDoc is a platform account as stored.
type accountDoc struct {
	ID             string     `bson:"_id"`
	OrgID          string     `bson:"orgId"`
	Platform       string     `bson:"platform"`
	Handle         string     `bson:"handle"`
	DisplayName    string     `bson:"displayName"`
	ExternalID     string     `bson:"externalId"` // always written: part of a unique key
	ProfileURL     string     `bson:"profileUrl,omitempty"`
	Status         string     `bson:"status"`
	StatusReason   string     `bson:"statusReason,omitempty"`
	Sandbox        bool       `bson:"sandbox"`
	Secret         string     `bson:"secret,omitempty"`
	TokenExpiresAt *time.Time `bson:"tokenExpiresAt,omitempty"`
	Scopes         []string   `bson:"scopes,omitempty"`
	CreatedAt      time.Time  `bson:"createdAt"`
	UpdatedAt      time.Time  `bson:"updatedAt"`
}

func newAccountDoc(a *publisher.Account) *accountDoc {
	return &accountDoc{ID: a.ID, OrgID: a.OrgID, Platform: string(a.Platform), Handle: a.Handle, DisplayName: a.DisplayName,
		ExternalID: a.ExternalID, ProfileURL: a.ProfileURL, Status: string(a.Status), StatusReason: a.StatusReason, Sandbox: a.Sandbox,
		Secret: a.Secret, TokenExpiresAt: utcPtr(a.TokenExpiresAt), Scopes: a.Scopes, CreatedAt: utc(a.CreatedAt), UpdatedAt: utc(a.UpdatedAt)}
}

func (d *accountDoc) account() *publisher.Account {
	return &publisher.Account{ID: d.ID, OrgID: d.OrgID, Platform: publisher.Platform(d.Platform), Handle: d.Handle,
		DisplayName: d.DisplayName, ExternalID: d.ExternalID, ProfileURL: d.ProfileURL, Status: publisher.AccountStatus(d.Status),
		StatusReason: d.StatusReason, Sandbox: d.Sandbox, Secret: d.Secret, TokenExpiresAt: utcPtr(d.TokenExpiresAt), Scopes: d.Scopes,
		CreatedAt: utc(d.CreatedAt), UpdatedAt: utc(d.UpdatedAt)}
}

// CreateAccount inserts a. Returns ECONFLICT if a.ID exists or another
// account has the same platform and external id.
func (s *Store) CreateAccount(ctx context.Context, a *publisher.Account) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.accounts.InsertOne(ctx, newAccountDoc(a))
	return storeError(err, "creating account")
}

// UpdateAccount replaces a. Returns ENOTFOUND if it does not exist and
// ECONFLICT if it would duplicate another's platform and external id.
func (s *Store) UpdateAccount(ctx context.Context, a *publisher.Account) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	return s.replace(ctx, s.accounts, a.ID, newAccountDoc(a), "updating account")
}

// GetAccount returns ENOTFOUND if there is no such account.
func (s *Store) GetAccount(ctx context.Context, id string) (*publisher.Account, error) {
	return getOne(ctx, s, s.accounts, bson.D{{Key: "_id", Value: id}}, "getting account", (*accountDoc).account)
}

// ListAccounts returns accounts matching f, by organisation then platform
// (then handle and id, so that pages are stable).
func (s *Store) ListAccounts(ctx context.Context, f publisher.AccountFilter) ([]*publisher.Account, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	filter := bson.D{}
	if f.OrgID != "" {
		filter = append(filter, bson.E{Key: "orgId", Value: f.OrgID})
	}
	if f.Platform != "" {
		filter = append(filter, bson.E{Key: "platform", Value: string(f.Platform)})
	}
	if f.ExternalID != "" {
		filter = append(filter, bson.E{Key: "externalId", Value: f.ExternalID})
	}
	if len(f.IDs) > 0 {
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$in", Value: f.IDs}}})
	}
	opts := options.Find().SetSort(bson.D{{Key: "orgId", Value: 1}, {Key: "platform", Value: 1}, {Key: "handle", Value: 1}, {Key: "_id", Value: 1}})
	out, err := findAll(ctx, s.accounts, filter, opts, (*accountDoc).account)
	return out, storeError(err, "listing accounts")
}

// userDoc is a user as stored. EmailLower carries the unique index that
// makes e-mails unique case-insensitively.
type userDoc struct {
	ID           string     `bson:"_id"`
	Email        string     `bson:"email"`
	EmailLower   string     `bson:"emailLower"`
	Name         string     `bson:"name"`
	Role         string     `bson:"role"`
	OrgID        string     `bson:"orgId,omitempty"`
	Lang         string     `bson:"lang"`
	PasswordHash string     `bson:"passwordHash"`
	Disabled     bool       `bson:"disabled"`
	CreatedAt    time.Time  `bson:"createdAt"`
	UpdatedAt    time.Time  `bson:"updatedAt"`
	LastLoginAt  *time.Time `bson:"lastLoginAt,omitempty"`
}

// foldEmail is the form of an e-mail address that uniqueness and look-ups
// compare.
func foldEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

func newUserDoc(u *publisher.User) *userDoc {
	return &userDoc{ID: u.ID, Email: u.Email, EmailLower: foldEmail(u.Email), Name: u.Name, Role: string(u.Role), OrgID: u.OrgID,
		Lang: u.Lang, PasswordHash: u.PasswordHash, Disabled: u.Disabled, CreatedAt: utc(u.CreatedAt), UpdatedAt: utc(u.UpdatedAt),
		LastLoginAt: utcPtr(u.LastLoginAt)}
}

func (d *userDoc) user() *publisher.User {
	return &publisher.User{ID: d.ID, Email: d.Email, Name: d.Name, Role: publisher.Role(d.Role), OrgID: d.OrgID, Lang: d.Lang,
		PasswordHash: d.PasswordHash, Disabled: d.Disabled, CreatedAt: utc(d.CreatedAt), UpdatedAt: utc(d.UpdatedAt),
		LastLoginAt: utcPtr(d.LastLoginAt)}
}

// CreateUser inserts u. Returns ECONFLICT if u.ID or u.Email (compared
// case-insensitively) exists.
func (s *Store) CreateUser(ctx context.Context, u *publisher.User) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.users.InsertOne(ctx, newUserDoc(u))
	return storeError(err, "creating user")
}

// UpdateUser replaces u. Returns ENOTFOUND if it does not exist and
// ECONFLICT if the new e-mail belongs to another user.
func (s *Store) UpdateUser(ctx context.Context, u *publisher.User) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	return s.replace(ctx, s.users, u.ID, newUserDoc(u), "updating user")
}

// GetUser returns ENOTFOUND if there is no such user.
func (s *Store) GetUser(ctx context.Context, id string) (*publisher.User, error) {
	return getOne(ctx, s, s.users, bson.D{{Key: "_id", Value: id}}, "getting user", (*userDoc).user)
}

// GetUserByEmail matches case-insensitively; ENOTFOUND if none.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (*publisher.User, error) {
	return getOne(ctx, s, s.users, bson.D{{Key: "emailLower", Value: foldEmail(email)}}, "getting user by e-mail", (*userDoc).user)
}

// ListUsers returns users matching f, by e-mail compared case-insensitively
// (then by id).
func (s *Store) ListUsers(ctx context.Context, f publisher.UserFilter) ([]*publisher.User, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	filter := bson.D{}
	if f.OrgID != "" {
		filter = append(filter, bson.E{Key: "orgId", Value: f.OrgID})
	}
	if f.Role != "" {
		filter = append(filter, bson.E{Key: "role", Value: string(f.Role)})
	}
	opts := options.Find().SetSort(bson.D{{Key: "emailLower", Value: 1}, {Key: "_id", Value: 1}})
	out, err := findAll(ctx, s.users, filter, opts, (*userDoc).user)
	return out, storeError(err, "listing users")
}

// sessionDoc is a session as stored; its _id is the token's hash.
type sessionDoc struct {
	ID        string    `bson:"_id"`
	UserID    string    `bson:"userId"`
	CSRFToken string    `bson:"csrfToken"`
	CreatedAt time.Time `bson:"createdAt"`
	ExpiresAt time.Time `bson:"expiresAt"`
}

func (d *sessionDoc) session() *publisher.Session {
	return &publisher.Session{ID: d.ID, UserID: d.UserID, CSRFToken: d.CSRFToken, CreatedAt: utc(d.CreatedAt), ExpiresAt: utc(d.ExpiresAt)}
}

// CreateSession inserts sess. Returns ECONFLICT if its id exists.
func (s *Store) CreateSession(ctx context.Context, sess *publisher.Session) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.sessions.InsertOne(ctx, &sessionDoc{ID: sess.ID, UserID: sess.UserID, CSRFToken: sess.CSRFToken,
		CreatedAt: utc(sess.CreatedAt), ExpiresAt: utc(sess.ExpiresAt)})
	return storeError(err, "creating session")
}

// GetSession returns ENOTFOUND if there is no such session; expired
// sessions are returned until DeleteExpiredSessions removes them.
func (s *Store) GetSession(ctx context.Context, id string) (*publisher.Session, error) {
	return getOne(ctx, s, s.sessions, bson.D{{Key: "_id", Value: id}}, "getting session", (*sessionDoc).session)
}

// DeleteSession removes a session; removing one that does not exist is not
// an error.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.sessions.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	return storeError(err, "deleting session")
}

// DeleteUserSessions signs a user out everywhere.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.sessions.DeleteMany(ctx, bson.D{{Key: "userId", Value: userID}})
	return storeError(err, "deleting the user's sessions")
}

// DeleteExpiredSessions removes sessions that expired before now and says
// how many.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	res, err := s.sessions.DeleteMany(ctx, bson.D{{Key: "expiresAt", Value: bson.D{{Key: "$lt", Value: now.UTC()}}}})
	if err != nil {
		return 0, storeError(err, "deleting expired sessions")
	}
	return int(res.DeletedCount), nil
}
