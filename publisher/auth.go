package publisher

import (
	"context"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// actor returns the signed-in user or EUNAUTHORIZED.
func actor(ctx context.Context) (*User, error) {
	u := UserFromContext(ctx)
	if u == nil {
		return nil, Errorf(EUNAUTHORIZED, "Please sign in.")
	}
	return u, nil
}

// canSeeOrg reports whether u may read the organisation's posts, accounts
// and history: editors only their own; everyone else all.
func canSeeOrg(u *User, orgID string) bool {
	return u.Role != RoleEditor || u.OrgID == orgID
}

// canWriteFor reports whether u may write posts and manage accounts of the
// organisation: admins for any, editors for their own.
func canWriteFor(u *User, orgID string) bool {
	return u.Role == RoleAdmin || (u.Role == RoleEditor && u.OrgID == orgID)
}

// canReview reports whether u may approve, reject or ask for changes.
func canReview(u *User) bool { return u.Role == RoleAdmin || u.Role == RoleApprover }

// Login checks an e-mail and password and opens a session. It returns the
// session's secret token (for the cookie) once; the store keeps its hash.
// Wrong credentials get one message whichever part was wrong. Guessing is
// limited per e-mail and client address (ClientIPFromContext), so that
// nobody can lock a colleague out from elsewhere, and per e-mail overall,
// so that many addresses cannot guess together.
func (s *Service) Login(ctx context.Context, email, password string) (*User, *Session, string, error) {
	now := s.now()
	key := strings.ToLower(strings.TrimSpace(email))
	keyFrom := key + "|" + ClientIPFromContext(ctx)
	if s.logins.blocked(keyFrom, now, loginMaxFailures) || s.logins.blocked(key, now, loginMaxFailuresAll) {
		return nil, nil, "", Errorf(EUNAVAILABLE, "Too many failed sign-ins for this e-mail. Try again in 15 minutes.")
	}
	u, err := s.store.GetUserByEmail(ctx, key)
	if err != nil && !IsCode(err, ENOTFOUND) {
		return nil, nil, "", err
	}
	hash := s.dummyHash
	if u != nil {
		hash = u.PasswordHash
	}
	ok, verr := s.hasher.Verify(hash, password)
	if u == nil || u.Disabled || !ok || verr != nil {
		s.logins.fail(keyFrom, now)
		s.logins.fail(key, now)
		return nil, nil, "", Errorf(EUNAUTHORIZED, "E-mail or password is wrong.")
	}
	s.logins.reset(keyFrom)
	token := NewToken(32)
	sess := &Session{ID: HashToken(token), UserID: u.ID, CSRFToken: NewToken(20), CreatedAt: now.UTC(), ExpiresAt: now.Add(s.cfg.SessionTTL).UTC()}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return nil, nil, "", err
	}
	t := now.UTC()
	u.LastLoginAt = &t
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return nil, nil, "", err
	}
	s.audit(NewContextWithUser(ctx, u), "user.login", "user", u.ID, u.OrgID, nil)
	return u, sess, token, nil
}

// Authenticate returns the user and session of a session token, or
// EUNAUTHORIZED if it is unknown, expired, or its user is disabled.
func (s *Service) Authenticate(ctx context.Context, token string) (*User, *Session, error) {
	if token == "" {
		return nil, nil, Errorf(EUNAUTHORIZED, "Please sign in.")
	}
	sess, err := s.store.GetSession(ctx, HashToken(token))
	if IsCode(err, ENOTFOUND) {
		return nil, nil, Errorf(EUNAUTHORIZED, "Your session has ended. Please sign in again.")
	} else if err != nil {
		return nil, nil, err
	}
	if !s.now().Before(sess.ExpiresAt) {
		_ = s.store.DeleteSession(ctx, sess.ID)
		return nil, nil, Errorf(EUNAUTHORIZED, "Your session has ended. Please sign in again.")
	}
	u, err := s.store.GetUser(ctx, sess.UserID)
	if IsCode(err, ENOTFOUND) || (err == nil && u.Disabled) {
		return nil, nil, Errorf(EUNAUTHORIZED, "Your account is disabled.")
	} else if err != nil {
		return nil, nil, err
	}
	return u, sess, nil
}

// Logout ends the session of a token.
func (s *Service) Logout(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	id := HashToken(token)
	if err := s.store.DeleteSession(ctx, id); err != nil && !IsCode(err, ENOTFOUND) {
		return err
	}
	if u := UserFromContext(ctx); u != nil {
		s.audit(ctx, "user.logout", "user", u.ID, u.OrgID, nil)
	}
	return nil
}

// UserInput creates or changes a user.
type UserInput struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     Role   `json:"role"`
	OrgID    string `json:"orgId"`
	Lang     string `json:"lang"`
	Password string `json:"password"`
}

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 10

func (s *Service) validateUser(ctx context.Context, in *UserInput, needPassword bool) error {
	var fe fieldErrors
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	in.Name = strings.TrimSpace(in.Name)
	if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email {
		fe.add("email", "invalid_email", "Enter a valid e-mail address.")
	}
	if in.Name == "" {
		fe.add("name", "required", "Enter the person's name.")
	} else if utf8.RuneCountInString(in.Name) > 120 {
		fe.add("name", "too_long", "The name is longer than 120 characters.", "limit", "120")
	}
	if !in.Role.Valid() {
		fe.add("role", "invalid_choice", "Choose admin, approver, editor or viewer.")
	}
	if in.Role == RoleEditor && in.OrgID == "" {
		fe.add("orgId", "required", "An editor belongs to an organisation.")
	}
	if in.OrgID != "" {
		if _, err := s.store.GetOrg(ctx, in.OrgID); IsCode(err, ENOTFOUND) {
			fe.add("orgId", "unknown_org", "No such organisation.")
		} else if err != nil {
			return err
		}
	}
	if in.Lang == "" {
		in.Lang = "hi"
	}
	if in.Lang != "hi" && in.Lang != "en" {
		fe.add("lang", "invalid_choice", "Choose hi or en.")
	}
	if needPassword || in.Password != "" {
		if utf8.RuneCountInString(in.Password) < MinPasswordLength {
			fe.add("password", "too_short", "The password must have at least 10 characters.", "min", "10")
		}
	}
	return fe.err("The user's details need correcting.")
}

// CreateUser adds a user. Admins only.
func (s *Service) CreateUser(ctx context.Context, in UserInput) (*User, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if a.Role != RoleAdmin {
		return nil, Errorf(EFORBIDDEN, "Only administrators can add users.")
	}
	if err := s.validateUser(ctx, &in, true); err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(in.Password)
	if err != nil {
		return nil, WrapError(EINTERNAL, err, "hashing password")
	}
	now := s.now().UTC()
	u := &User{ID: NewID(), Email: in.Email, Name: in.Name, Role: in.Role, OrgID: in.OrgID, Lang: in.Lang, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	if u.Role != RoleEditor {
		u.OrgID = in.OrgID // approvers/viewers may note an organisation, but are not scoped to it
	}
	if err := s.store.CreateUser(ctx, u); err != nil {
		if IsCode(err, ECONFLICT) {
			return nil, &Error{Code: EINVALID, Message: "The user's details need correcting.", Fields: []FieldError{{Field: "email", Code: "taken", Message: "A user with this e-mail already exists."}}}
		}
		return nil, err
	}
	s.audit(ctx, "user.create", "user", u.ID, u.OrgID, map[string]string{"email": u.Email, "role": string(u.Role)})
	return u, nil
}

// ListUsers returns users. Admins only.
func (s *Service) ListUsers(ctx context.Context, f UserFilter) ([]*User, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if a.Role != RoleAdmin {
		return nil, Errorf(EFORBIDDEN, "Only administrators can list users.")
	}
	return s.store.ListUsers(ctx, f)
}

// SetLanguage stores the signed-in user's interface language ("hi"/"en").
func (s *Service) SetLanguage(ctx context.Context, lang string) (*User, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if lang != "hi" && lang != "en" {
		return nil, &Error{Code: EINVALID, Message: "Choose a language.", Fields: []FieldError{{Field: "lang", Code: "invalid_choice", Message: "Choose hi or en."}}}
	}
	u, err := s.store.GetUser(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	u.Lang, u.UpdatedAt = lang, s.now().UTC()
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return nil, err
	}
	s.audit(ctx, "user.set_language", "user", u.ID, u.OrgID, map[string]string{"lang": lang})
	return u, nil
}

// ChangePassword changes the signed-in user's password and ends all their
// sessions, so that they sign in again with the new one.
func (s *Service) ChangePassword(ctx context.Context, current, next string) error {
	a, err := actor(ctx)
	if err != nil {
		return err
	}
	u, err := s.store.GetUser(ctx, a.ID)
	if err != nil {
		return err
	}
	if ok, _ := s.hasher.Verify(u.PasswordHash, current); !ok {
		return &Error{Code: EINVALID, Message: "The password was not changed.", Fields: []FieldError{{Field: "current", Code: "wrong_password", Message: "The current password is wrong."}}}
	}
	if utf8.RuneCountInString(next) < MinPasswordLength {
		return &Error{Code: EINVALID, Message: "The password was not changed.", Fields: []FieldError{{Field: "password", Code: "too_short", Message: "The password must have at least 10 characters.", Params: map[string]string{"min": "10"}}}}
	}
	if u.PasswordHash, err = s.hasher.Hash(next); err != nil {
		return WrapError(EINTERNAL, err, "hashing password")
	}
	u.UpdatedAt = s.now().UTC()
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return err
	}
	if err := s.store.DeleteUserSessions(ctx, u.ID); err != nil {
		return err
	}
	s.audit(ctx, "user.change_password", "user", u.ID, u.OrgID, nil)
	return nil
}
