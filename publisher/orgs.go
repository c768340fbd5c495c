package publisher

import (
	"context"
	"strings"
	"time"
)

// ListOrgs returns the organisations the signed-in user may see: an
// editor's own, everyone else's all.
func (s *Service) ListOrgs(ctx context.Context) ([]*Organisation, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	f := OrgFilter{}
	if u.Role == RoleEditor {
		f.IDs = []string{u.OrgID}
	}
	return s.store.ListOrgs(ctx, f)
}

// GetOrg returns an organisation; ENOTFOUND if it is not visible.
func (s *Service) GetOrg(ctx context.Context, id string) (*Organisation, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if !ValidID(id) || !canSeeOrg(u, id) {
		return nil, Errorf(ENOTFOUND, "No such organisation.")
	}
	o, err := s.store.GetOrg(ctx, id)
	if IsCode(err, ENOTFOUND) {
		return nil, Errorf(ENOTFOUND, "No such organisation.")
	}
	return o, err
}

// OrgInput creates an organisation.
type OrgInput struct {
	Code     string  `json:"code"`
	Type     OrgType `json:"type"`
	ParentID string  `json:"parentId"`
	NameEN   string  `json:"nameEn"`
	NameHI   string  `json:"nameHi"`
	District string  `json:"district"`
}

// CreateOrg adds an organisation. Admins only.
func (s *Service) CreateOrg(ctx context.Context, in OrgInput) (*Organisation, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if u.Role != RoleAdmin {
		return nil, Errorf(EFORBIDDEN, "Only administrators can change the registry.")
	}
	var fe fieldErrors
	in.Code = strings.ToUpper(strings.TrimSpace(in.Code))
	if in.Code == "" || len(in.Code) > 32 || !ValidID(in.Code) {
		fe.add("code", "invalid_code", "Use 1–32 letters, digits, - or _.")
	}
	if !in.Type.Valid() {
		fe.add("type", "invalid_choice", "Choose the kind of organisation.")
	}
	if strings.TrimSpace(in.NameEN) == "" {
		fe.add("nameEn", "required", "Enter the English name.")
	}
	if strings.TrimSpace(in.NameHI) == "" {
		fe.add("nameHi", "required", "Enter the Hindi name.")
	}
	if in.ParentID != "" {
		if _, err := s.store.GetOrg(ctx, in.ParentID); err != nil {
			fe.add("parentId", "unknown_org", "No such parent organisation.")
		}
	}
	if err := fe.err("The organisation's details need correcting."); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	o := &Organisation{ID: NewID(), Code: in.Code, Type: in.Type, ParentID: in.ParentID, NameEN: strings.TrimSpace(in.NameEN),
		NameHI: strings.TrimSpace(in.NameHI), District: in.District, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateOrg(ctx, o); err != nil {
		if IsCode(err, ECONFLICT) {
			return nil, &Error{Code: EINVALID, Message: "The organisation's details need correcting.", Fields: []FieldError{{Field: "code", Code: "taken", Message: "Another organisation has this code."}}}
		}
		return nil, err
	}
	s.audit(ctx, "org.create", "organisation", o.ID, o.ID, map[string]string{"code": o.Code})
	return o, nil
}

// ListOfficers returns an organisation's officers. Contact details (e-mail,
// phone) are personal data: they are blanked for viewers and for editors of
// other organisations, and every view of them is audited.
func (s *Service) ListOfficers(ctx context.Context, orgID string) ([]*Officer, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if !ValidID(orgID) || !canSeeOrg(u, orgID) {
		return nil, Errorf(ENOTFOUND, "No such organisation.")
	}
	if _, err := s.store.GetOrg(ctx, orgID); IsCode(err, ENOTFOUND) {
		return nil, Errorf(ENOTFOUND, "No such organisation.")
	} else if err != nil {
		return nil, err
	}
	os, err := s.store.ListOfficers(ctx, OfficerFilter{OrgID: orgID})
	if err != nil {
		return nil, err
	}
	seesContacts := u.Role == RoleAdmin || u.Role == RoleApprover || (u.Role == RoleEditor && u.OrgID == orgID)
	if !seesContacts {
		for _, o := range os {
			o.Email, o.Phone = "", ""
		}
	} else if len(os) > 0 {
		s.audit(ctx, "officer.view_contacts", "organisation", orgID, orgID, nil)
	}
	return os, nil
}

// ListAccounts returns an organisation's accounts (all organisations' for
// orgID ""), scoped to what the signed-in user may see.
func (s *Service) ListAccounts(ctx context.Context, orgID string) ([]*Account, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if u.Role == RoleEditor {
		if orgID != "" && orgID != u.OrgID {
			return nil, Errorf(ENOTFOUND, "No such organisation.")
		}
		orgID = u.OrgID
	}
	return s.store.ListAccounts(ctx, AccountFilter{OrgID: orgID})
}

// GetAccount returns an account; ENOTFOUND if it is not visible.
func (s *Service) GetAccount(ctx context.Context, id string) (*Account, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if !ValidID(id) {
		return nil, Errorf(ENOTFOUND, "No such account.")
	}
	a, err := s.store.GetAccount(ctx, id)
	if IsCode(err, ENOTFOUND) || (err == nil && !canSeeOrg(u, a.OrgID)) {
		return nil, Errorf(ENOTFOUND, "No such account.")
	}
	return a, err
}

// AccountInput registers an account and, optionally, its credentials.
type AccountInput struct {
	OrgID       string
	Platform    Platform
	Handle      string
	DisplayName string
	ExternalID  string
	ProfileURL  string
	Sandbox     bool
	Credentials *Credentials
	Scopes      []string
}

// SaveAccount creates an account, or updates the one with the same
// platform and external id, sealing its credentials. With no such account,
// a registered account of the organisation on the platform with the same
// handle that was never connected is adopted (connectadopt.go): it gets the
// external id and credentials and keeps its registry details. Admins, and
// editors for their own organisation.
func (s *Service) SaveAccount(ctx context.Context, in AccountInput) (*Account, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if !canWriteFor(u, in.OrgID) {
		return nil, Errorf(ENOTFOUND, "No such organisation.")
	}
	var fe fieldErrors
	if !in.Platform.Valid() {
		fe.add("platform", "invalid_choice", "Choose a platform.")
	}
	if strings.TrimSpace(in.ExternalID) == "" {
		fe.add("externalId", "required", "The account's id on the platform is missing.")
	}
	if strings.TrimSpace(in.Handle) == "" {
		fe.add("handle", "required", "Enter the account's handle.")
	}
	if _, err := s.store.GetOrg(ctx, in.OrgID); err != nil {
		fe.add("orgId", "unknown_org", "No such organisation.")
	}
	if err := fe.err("The account's details need correcting."); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	existing, err := s.store.ListAccounts(ctx, AccountFilter{Platform: in.Platform, ExternalID: in.ExternalID})
	if err != nil {
		return nil, err
	}
	var a *Account
	adopt := false
	if len(existing) > 0 {
		a = existing[0]
	} else if a, err = s.registeredAccount(ctx, in.Platform, in.Handle); err != nil {
		return nil, err
	} else if a != nil {
		adopt = true
		if a.OrgID != in.OrgID {
			return nil, &Error{Code: EINVALID, Message: "This account is registered to another organisation.", Fields: []FieldError{{Field: "handle", Code: "taken", Message: "This account is registered to another organisation."}}}
		}
		// What the registry knew stays where the platform says nothing.
		in.DisplayName, in.ProfileURL = firstNonEmpty(in.DisplayName, a.DisplayName), firstNonEmpty(in.ProfileURL, a.ProfileURL)
	}
	create := a == nil
	if create {
		a = &Account{ID: NewID(), OrgID: in.OrgID, Platform: in.Platform, CreatedAt: now}
	} else if a.OrgID != in.OrgID {
		return nil, &Error{Code: EINVALID, Message: "This account is registered to another organisation.", Fields: []FieldError{{Field: "externalId", Code: "taken", Message: "This account is registered to another organisation."}}}
	}
	a.Handle, a.DisplayName, a.ExternalID, a.ProfileURL, a.Sandbox = in.Handle, in.DisplayName, in.ExternalID, in.ProfileURL, in.Sandbox
	a.Scopes, a.UpdatedAt = in.Scopes, now
	a.Status, a.StatusReason = AccountDisconnected, ""
	if c := s.connectors[in.Platform]; c != nil && c.Rules().Defunct != "" {
		a.Status, a.StatusReason = AccountDefunct, c.Rules().Defunct
	} else if in.Credentials != nil {
		if a.Secret, err = s.keyring.SealCredentials(a.ID, *in.Credentials); err != nil {
			return nil, WrapError(EINTERNAL, err, "sealing credentials")
		}
		a.TokenExpiresAt = in.Credentials.ExpiresAt
		a.Status = AccountConnected
	}
	if create {
		err = s.store.CreateAccount(ctx, a)
	} else {
		err = s.store.UpdateAccount(ctx, a)
	}
	if err != nil {
		return nil, err
	}
	action := "account.update"
	if create {
		action = "account.create"
	} else if adopt {
		action = "account.adopt_registered"
	}
	s.audit(ctx, action, "account", a.ID, a.OrgID, map[string]string{"platform": string(a.Platform), "handle": a.Handle})
	// Deliveries that waited for a reconnection can go now.
	if a.Status == AccountConnected && !create {
		s.requeueWaiting(ctx, a)
	}
	return a, nil
}

// requeueWaiting puts deliveries that waited for an account's reconnection
// back in the queue.
func (s *Service) requeueWaiting(ctx context.Context, a *Account) {
	ds, _, err := s.store.ListDeliveries(ctx, DeliveryFilter{AccountID: a.ID, Statuses: []DeliveryStatus{DeliveryNeedsReconnect}, Limit: 1000})
	if err != nil {
		s.log.ErrorContext(ctx, "listing deliveries waiting for reconnection", "account_id", a.ID, "err", err)
		return
	}
	for _, d := range ds {
		if _, err := s.store.ChangeDelivery(ctx, d.ID, DeliveryChange{From: []DeliveryStatus{DeliveryNeedsReconnect}, To: DeliveryQueued, At: s.now().UTC()}); err != nil {
			continue
		}
		if err := s.enqueuer.EnqueueDelivery(ctx, d.ID, d.Platform, time.Time{}); err != nil {
			s.log.WarnContext(ctx, "enqueue after reconnection failed; the reconciler will retry", "delivery_id", d.ID, "err", err)
		}
		s.events.Publish(Event{Kind: "delivery", PostID: d.PostID, DeliveryID: d.ID, OrgID: d.OrgID, Status: string(DeliveryQueued)})
	}
}
