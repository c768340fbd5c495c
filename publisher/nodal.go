package publisher

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Nodal officers: appointment with a recorded handover, editing (directly
// by administrators and the organisation's own nodal officer, with an
// administrator's confirmation for other editors), versions, and who may
// see their contact details.

// seesContacts reports whether u may see the e-mail and phone of an
// officer of orgID (personal data under the DPDP Act 2023): admins,
// approvers, and the officer's own organisation.
func seesContacts(u *User, orgID string) bool {
	return u.Role == RoleAdmin || u.Role == RoleApprover || (u.Role == RoleEditor && u.OrgID == orgID)
}

// scopeOfficer blanks o's contact details unless u may see them, and
// reports whether they were left.
func scopeOfficer(u *User, o *Officer) bool {
	if o == nil {
		return false
	}
	if !seesContacts(u, o.OrgID) {
		o.Email, o.Phone = "", ""
		return false
	}
	return o.Email != "" || o.Phone != ""
}

// auditContactView records that u was shown contact details of officers
// of orgID (every view of them is logged).
func (s *Service) auditContactView(ctx context.Context, orgID, where string, n int) {
	s.audit(ctx, "officer.view_contacts", "organisation", orgID, orgID, map[string]string{"via": where, "officers": fmt.Sprint(n)})
}

// validOfficerKind reports whether k is a kind of officer the registry
// keeps: the nodal officer, the alternate, and the head of department.
func validOfficerKind(k OfficerKind) bool {
	return k == OfficerNodal || k == OfficerAlternate || k == OfficerHead
}

// validateOfficerEdit checks and normalises an officer's fields for its
// kind. Nodal and alternate officers need all of the directive's fields;
// a head of department (to whom overdue cases escalate) needs a name, and
// the contact details are checked when given.
func validateOfficerEdit(in *OfficerEdit, kind OfficerKind, fe *fieldErrors) {
	in.Name = strings.TrimSpace(in.Name)
	in.Designation = strings.TrimSpace(in.Designation)
	in.Posting = strings.TrimSpace(in.Posting)
	in.Rank = strings.TrimSpace(in.Rank)
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	in.Phone = strings.TrimSpace(in.Phone)
	in.AccountDetails = strings.TrimSpace(in.AccountDetails)
	in.OrderRef = strings.TrimSpace(in.OrderRef)
	req := func(field, v, msg string, limit int) {
		if v == "" {
			fe.add(field, "required", msg)
		} else if utf8.RuneCountInString(v) > limit {
			fe.add(field, "too_long", fmt.Sprintf("This is longer than %d characters.", limit), "limit", fmt.Sprint(limit))
		}
	}
	opt := func(field, v string, limit int) {
		if utf8.RuneCountInString(v) > limit {
			fe.add(field, "too_long", fmt.Sprintf("This is longer than %d characters.", limit), "limit", fmt.Sprint(limit))
		}
	}
	head := kind == OfficerHead
	if head {
		req("name", in.Name, "Enter the head of department's name.", 120)
		opt("designation", in.Designation, 200)
		opt("posting", in.Posting, 200)
	} else {
		req("name", in.Name, "Enter the officer's name.", 120)
		req("designation", in.Designation, "Enter the officer's designation.", 200)
		req("posting", in.Posting, "Enter where the officer is posted.", 200)
	}
	if !ValidEmail(in.Email) && !(head && in.Email == "") {
		fe.add("email", "invalid_email", "Enter a valid e-mail address.")
	}
	if !ValidPhone(in.Phone) && !(head && in.Phone == "") {
		fe.add("phone", "invalid_phone", "Enter a phone number of 10 to 15 digits, such as +91 98765 43210 or 0172-2740000.")
	}
	if utf8.RuneCountInString(in.Rank) > 120 {
		fe.add("rank", "too_long", "This is longer than 120 characters.", "limit", "120")
	}
	if utf8.RuneCountInString(in.AccountDetails) > 2000 {
		fe.add("accountDetails", "too_long", "This is longer than 2000 characters.", "limit", "2000")
	}
	if utf8.RuneCountInString(in.OrderRef) > 200 {
		fe.add("orderRef", "too_long", "This is longer than 200 characters.", "limit", "200")
	}
}

// ValidEmail reports whether s is a plain e-mail address (no display
// name), as the registry keeps them.
func ValidEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s[strings.LastIndex(s, "@")+1:], ".")
}

// ValidPhone reports whether s is a phone number: digits with optional
// +, spaces, hyphens, dots and brackets, 10 to 15 digits in all.
func ValidPhone(s string) bool {
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0, r == ' ', r == '-', r == '.', r == '(', r == ')':
		default:
			return false
		}
	}
	return digits >= 10 && digits <= 15
}

func (e OfficerEdit) apply(o *Officer) {
	o.Name, o.Designation, o.Posting, o.Rank = e.Name, e.Designation, e.Posting, e.Rank
	o.Email, o.Phone, o.AccountDetails, o.OrderRef = e.Email, e.Phone, e.AccountDetails, e.OrderRef
}

// EditOf returns o's editable fields.
func EditOf(o *Officer) OfficerEdit {
	return OfficerEdit{Name: o.Name, Designation: o.Designation, Posting: o.Posting, Rank: o.Rank, Email: o.Email, Phone: o.Phone,
		AccountDetails: o.AccountDetails, OrderRef: o.OrderRef}
}

// keepRevision stores o's current version.
func (s *Service) keepRevision(ctx context.Context, o *Officer, reason, changeID string) error {
	r := &OfficerRevision{ID: NewID(), OfficerID: o.ID, OrgID: o.OrgID, Officer: *o, Reason: reason, ChangeID: changeID, At: s.now().UTC()}
	if u := UserFromContext(ctx); u != nil {
		r.ActorID = u.ID
	}
	return s.store.AddOfficerRevision(ctx, r)
}

// AppointInput appoints an organisation's nodal officer, alternate
// officer or head of department.
type AppointInput struct {
	Kind OfficerKind `json:"kind"`
	OfficerEdit
	// UserID is the officer's user account in Prasar, if they have one.
	UserID string `json:"userId"`
	// StartDate is when the term starts (default now).
	StartDate *time.Time `json:"startDate"`
	Note      string     `json:"note"`
	// RevokeAccess disables the outgoing officer's user account (when it
	// is an editor of this organisation). Default true: nil means true.
	RevokeAccess *bool `json:"revokeAccess"`
}

// AppointOfficer appoints an organisation's nodal officer, alternate
// officer or head of department (kind "head", to whom its overdue cases
// escalate) and runs the handover: the current officer of that kind's term
// ends, the new one starts, and the people concerned are notified. For a
// nodal or alternate officer the outgoing officer's user also loses access
// and the organisation's accounts are listed for credential rotation; a
// head of department is not given the accounts' credentials, so neither
// applies. An organisation has at most one current officer of each kind;
// of two concurrent appointments one gets ECONFLICT. Admins only.
func (s *Service) AppointOfficer(ctx context.Context, orgID string, in AppointInput) (*Handover, error) {
	return s.appointOfficer(ctx, orgID, in, "The officer's details need correcting.")
}

// appointOfficer is AppointOfficer; invalid is the message of its
// EINVALID error.
func (s *Service) appointOfficer(ctx context.Context, orgID string, in AppointInput, invalid string) (*Handover, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if u.Role != RoleAdmin {
		return nil, Errorf(EFORBIDDEN, "Only administrators appoint nodal officers and heads of department.")
	}
	org, err := s.GetOrg(ctx, orgID)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	start := now
	if in.StartDate != nil {
		start = in.StartDate.UTC()
	}
	var fe fieldErrors
	if in.Kind == "" {
		in.Kind = OfficerNodal
	}
	if !validOfficerKind(in.Kind) {
		fe.add("kind", "invalid_choice", "Choose nodal, alternate or head.")
	}
	validateOfficerEdit(&in.OfficerEdit, in.Kind, &fe)
	if !activeAt(org, start) {
		fe.add("orgId", "closed", "This organisation is closed (merged or dissolved).")
	}
	in.UserID = strings.TrimSpace(in.UserID)
	if in.UserID != "" {
		if fu := s.checkOfficerUser(ctx, in.UserID, orgID); fu != nil {
			fe = append(fe, *fu)
		}
	}
	if err := fe.err(invalid); err != nil {
		return nil, err
	}
	o := &Officer{ID: NewID(), OrgID: orgID, Kind: in.Kind, UserID: in.UserID, StartDate: start, CreatedAt: now, UpdatedAt: now}
	in.OfficerEdit.apply(o)
	h, err := s.planHandover(ctx, o, NewID(), in.Note, in.RevokeAccess == nil || *in.RevokeAccess)
	if err != nil {
		return nil, err
	}
	if err := s.runHandover(ctx, h); err != nil {
		return nil, err
	}
	return s.scopedHandover(ctx, u, h), nil
}

// checkOfficerUser checks the user account an officer is linked to.
func (s *Service) checkOfficerUser(ctx context.Context, userID, orgID string) *FieldError {
	x, err := s.store.GetUser(ctx, userID)
	switch {
	case err != nil || !ValidID(userID):
		return &FieldError{Field: "userId", Code: "unknown_user", Message: "No such user."}
	case x.Disabled:
		return &FieldError{Field: "userId", Code: "user_disabled", Message: "This user is disabled."}
	case x.Role == RoleEditor && x.OrgID != orgID:
		return &FieldError{Field: "userId", Code: "other_org", Message: "This user is an editor of another organisation."}
	}
	return nil
}

// planHandover records the handover that appoints o (status running) and
// returns it; ECONFLICT if another one for the organisation and kind is
// running.
func (s *Service) planHandover(ctx context.Context, o *Officer, id, note string, revoke bool) (*Handover, error) {
	return s.planHandoverOf(ctx, o.OrgID, o.Kind, o, o.StartDate, id, note, revoke, "")
}

// planHandoverOf records the handover of the organisation's officer of kind
// at effective: to the officer o, or, with o nil, to nobody (the post falls
// vacant). With wantFrom set, the officer current at effective must be
// that one (ECONFLICT otherwise, and nothing recorded).
func (s *Service) planHandoverOf(ctx context.Context, orgID string, kind OfficerKind, o *Officer, effective time.Time, id, note string, revoke bool,
	wantFrom string) (*Handover, error) {
	now := s.now().UTC()
	h := &Handover{ID: id, OrgID: orgID, Kind: kind, Appointed: o, EffectiveAt: effective, Note: strings.TrimSpace(note),
		Status: HandoverRunning, CreatedAt: now, UpdatedAt: now}
	if o != nil {
		h.ToOfficerID = o.ID
	}
	if u := UserFromContext(ctx); u != nil {
		h.ActorID = u.ID
	}
	current, err := s.store.ListOfficers(ctx, OfficerFilter{OrgID: orgID, CurrentAt: effective})
	if err != nil {
		return nil, err
	}
	for _, c := range current {
		if c.Kind == kind && c.ID != h.ToOfficerID {
			h.FromOfficerID, h.FromUserID = c.ID, c.UserID
			break
		}
	}
	if wantFrom != "" && h.FromOfficerID != wantFrom {
		return nil, Errorf(ECONFLICT, "This officer was not the organisation's current %s officer on that date.", kind)
	}
	if h.FromOfficerID != "" && kind != OfficerHead {
		// The outgoing officer knew the accounts' credentials.
		as, err := s.store.ListAccounts(ctx, AccountFilter{OrgID: orgID})
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			if a.Status != AccountDefunct && s.platformDefunct(a.Platform) == "" {
				h.Accounts = append(h.Accounts, RotationItem{AccountID: a.ID, Platform: a.Platform, Handle: a.Handle})
			}
		}
	}
	switch {
	case h.FromUserID == "":
	case kind == OfficerHead:
		h.AccessNote = "kept: a head of department's sign-in does not depend on the appointment"
	case !revoke:
		h.AccessNote = "kept: the administrator chose not to revoke access"
	case o != nil && h.FromUserID == o.UserID:
		h.AccessNote = "kept: the same person continues"
	}
	if err := s.store.CreateHandover(ctx, h); err != nil {
		if IsCode(err, ECONFLICT) {
			return nil, Errorf(ECONFLICT, "Another appointment for this organisation's %s officer is in progress. Try again in a moment.", kind)
		}
		return nil, err
	}
	return h, nil
}

// runHandover carries out a recorded handover. Every step checks the state
// first, so running it again after an interruption does nothing twice.
func (s *Service) runHandover(ctx context.Context, h *Handover) error {
	org, err := s.store.GetOrg(ctx, h.OrgID)
	if err != nil {
		return err
	}
	// Every other current officer of this kind ends where the new term
	// starts (one, unless older data had more).
	current, err := s.store.ListOfficers(ctx, OfficerFilter{OrgID: h.OrgID, CurrentAt: h.EffectiveAt})
	if err != nil {
		return err
	}
	for _, c := range current {
		if c.Kind == h.Kind && c.ID != h.ToOfficerID {
			if err := s.endTerm(ctx, c.ID, h.EffectiveAt, "term_ended"); err != nil {
				return err
			}
		}
	}
	if h.ToOfficerID == "" {
		// The post falls vacant: nobody to appoint.
	} else if _, err := s.store.GetOfficer(ctx, h.ToOfficerID); IsCode(err, ENOTFOUND) {
		if h.Appointed == nil {
			return Errorf(EINTERNAL, "the handover %s has no planned officer", h.ID)
		}
		if err := s.store.CreateOfficer(ctx, h.Appointed); err != nil && !IsCode(err, ECONFLICT) {
			return err
		}
		if err := s.keepRevision(ctx, h.Appointed, "appointed", ""); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	revoke := h.FromUserID != "" && h.AccessNote == "" && !h.AccessRevoked
	var old *User
	if revoke {
		if old, err = s.store.GetUser(ctx, h.FromUserID); IsCode(err, ENOTFOUND) {
			h.AccessNote, revoke = "the user account no longer exists", false
		} else if err != nil {
			return err
		} else if old.Role != RoleEditor || old.OrgID != h.OrgID {
			h.AccessNote, revoke = "kept: the user is not an editor of this organisation ("+string(old.Role)+")", false
		}
	}
	// People are told before access goes, so that the outgoing officer
	// gets the notice too.
	handles := make([]string, 0, len(h.Accounts))
	for _, a := range h.Accounts {
		handles = append(handles, a.Platform.Title()+" "+a.Handle)
	}
	name := ""
	if h.Appointed != nil {
		name = h.Appointed.Name
	}
	subject := fmt.Sprintf("New %s officer for %s", h.Kind, org.Code)
	body := fmt.Sprintf("%s is now the %s officer of %s.", name, h.Kind, org.NameEN)
	switch {
	case h.ToOfficerID == "" && h.Kind == OfficerHead:
		subject = "Head of department's post vacant at " + org.Code
		body = fmt.Sprintf("The head of department of %s has left and nobody is appointed yet; overdue fake-news cases escalate to the Digital Media Section meanwhile.", org.NameEN)
	case h.ToOfficerID == "":
		subject = fmt.Sprintf("%s officer's post vacant at %s", strings.ToUpper(string(h.Kind[:1]))+string(h.Kind[1:]), org.Code)
		body = fmt.Sprintf("The %s officer of %s has left and nobody is appointed yet: appoint one in the registry.", h.Kind, org.NameEN)
	case h.Kind == OfficerHead:
		subject = "New head of department for " + org.Code
		body = fmt.Sprintf("%s is now the head of department of %s; the organisation's overdue fake-news cases escalate to them.", name, org.NameEN)
	}
	if len(handles) > 0 {
		body += " Change the passwords and recovery details of these accounts, then confirm each in Prasar: " + strings.Join(handles, ", ") + "."
	}
	// The organisation's officers (the new one among them) always; the
	// administrators and the outgoing officer when it is a handover (a
	// first appointment, as a registry import makes by the hundred, is
	// not news to them).
	to := Recipients{OrgOfficers: h.OrgID}
	if h.FromOfficerID != "" {
		to.Roles = []Role{RoleAdmin}
	}
	if h.FromUserID != "" {
		to.UserIDs = []string{h.FromUserID}
	}
	if _, err := s.Notify(ctx, to, h.OrgID, "officer.handover", subject, body, "/registry/orgs/"+h.OrgID); err != nil {
		s.log.WarnContext(ctx, "notifying a handover failed", "handover_id", h.ID, "err", err)
	}
	if revoke {
		if !old.Disabled {
			old.Disabled, old.UpdatedAt = true, s.now().UTC()
			if err := s.store.UpdateUser(ctx, old); err != nil {
				return err
			}
		}
		if err := s.store.DeleteUserSessions(ctx, old.ID); err != nil {
			return err
		}
		h.AccessRevoked = true
		s.audit(ctx, "user.disable", "user", old.ID, h.OrgID, map[string]string{"reason": "handover", "handover_id": h.ID})
	}
	now := s.now().UTC()
	h.Status, h.UpdatedAt = HandoverRotation, now
	if rotationDone(h) {
		h.Status, h.CompletedAt = HandoverComplete, &now
	}
	if err := s.store.UpdateHandover(ctx, h); err != nil {
		return err
	}
	action, object := "officer.appoint", h.ToOfficerID
	if h.ToOfficerID == "" {
		action, object = "officer.vacate", h.FromOfficerID
	}
	s.audit(ctx, action, "officer", object, h.OrgID, map[string]string{"handover_id": h.ID, "kind": string(h.Kind),
		"from_officer_id": h.FromOfficerID, "access_revoked": fmt.Sprint(h.AccessRevoked)})
	return nil
}

// VacateInput ends an officer's term with nobody to follow.
type VacateInput struct {
	// EndDate is when the term ended (default now); not in the future,
	// not before the term started.
	EndDate *time.Time `json:"endDate"`
	Note    string     `json:"note"`
	// RevokeAccess disables the officer's user account (when it is an
	// editor of the organisation). Default true: nil means true.
	RevokeAccess *bool `json:"revokeAccess"`
}

// EndOfficerTerm records that a current officer has left with nobody
// appointed yet (a transfer, say): the term ends, the post is vacant — the
// compliance dashboard shows the gap — until someone is appointed. As with
// a handover, a nodal or alternate officer's user loses access and the
// organisation's accounts are listed for credential rotation, and the
// organisation's officers and the administrators are told. Admins only.
func (s *Service) EndOfficerTerm(ctx context.Context, officerID string, in VacateInput) (*Handover, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if u.Role != RoleAdmin {
		return nil, Errorf(EFORBIDDEN, "Only administrators end officers' terms.")
	}
	o, err := s.store.GetOfficer(ctx, officerID)
	if IsCode(err, ENOTFOUND) || !ValidID(officerID) {
		return nil, Errorf(ENOTFOUND, "No such officer.")
	} else if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	end := now
	if in.EndDate != nil {
		end = in.EndDate.UTC()
	}
	var fe fieldErrors
	switch {
	case o.EndDate != nil && !o.EndDate.After(now):
		fe.add("officerId", "not_current", "This officer's term has already ended.")
	case end.After(now.Add(time.Minute)):
		fe.add("endDate", "in_future", "A term is ended when the officer has left: the date cannot be in the future.")
	case end.Before(o.StartDate):
		fe.add("endDate", "before_start", "The term cannot end before it started.", "startDate", o.StartDate.Format(time.DateOnly))
	}
	if utf8.RuneCountInString(in.Note) > 500 {
		fe.add("note", "too_long", "The note is longer than 500 characters.", "limit", "500")
	}
	if err := fe.err("The term cannot be ended as asked."); err != nil {
		return nil, err
	}
	h, err := s.planHandoverOf(ctx, o.OrgID, o.Kind, nil, end, NewID(), in.Note, in.RevokeAccess == nil || *in.RevokeAccess, o.ID)
	if err != nil {
		return nil, err
	}
	if err := s.runHandover(ctx, h); err != nil {
		return nil, err
	}
	return s.scopedHandover(ctx, u, h), nil
}

func rotationDone(h *Handover) bool {
	for _, a := range h.Accounts {
		if a.RotatedAt == nil {
			return false
		}
	}
	return true
}

// ResumeHandover finishes a handover that was interrupted. Admins only.
func (s *Service) ResumeHandover(ctx context.Context, id string) (*Handover, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if u.Role != RoleAdmin {
		return nil, Errorf(EFORBIDDEN, "Only administrators appoint nodal officers.")
	}
	h, err := s.store.GetHandover(ctx, id)
	if IsCode(err, ENOTFOUND) || !ValidID(id) {
		return nil, Errorf(ENOTFOUND, "No such handover.")
	} else if err != nil {
		return nil, err
	}
	if h.Status == HandoverRunning {
		if err := s.runHandover(ctx, h); err != nil {
			return nil, err
		}
	}
	return s.scopedHandover(ctx, u, h), nil
}

// ConfirmRotation records that an account's credentials were changed after
// a handover. Admins, and editors of the organisation.
func (s *Service) ConfirmRotation(ctx context.Context, handoverID, accountID string) (*Handover, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	h, err := s.store.GetHandover(ctx, handoverID)
	if IsCode(err, ENOTFOUND) || !ValidID(handoverID) || (err == nil && !canSeeOrg(u, h.OrgID)) {
		return nil, Errorf(ENOTFOUND, "No such handover.")
	} else if err != nil {
		return nil, err
	}
	if !canWriteFor(u, h.OrgID) {
		return nil, Errorf(EFORBIDDEN, "Only the organisation's editors and administrators confirm credential changes.")
	}
	if h.Status == HandoverRunning {
		return nil, Errorf(ECONFLICT, "The handover is still running.")
	}
	found := false
	now := s.now().UTC()
	for i := range h.Accounts {
		if h.Accounts[i].AccountID == accountID {
			found = true
			if h.Accounts[i].RotatedAt == nil {
				h.Accounts[i].RotatedAt, h.Accounts[i].RotatedBy = &now, u.ID
			}
		}
	}
	if !found {
		return nil, &Error{Code: EINVALID, Message: "This account is not part of the handover.", Fields: []FieldError{{Field: "accountId", Code: "unknown_account", Message: "This account is not part of the handover."}}}
	}
	h.UpdatedAt = now
	if rotationDone(h) && h.Status != HandoverComplete {
		h.Status, h.CompletedAt = HandoverComplete, &now
	}
	if err := s.store.UpdateHandover(ctx, h); err != nil {
		return nil, err
	}
	s.audit(ctx, "handover.rotated", "handover", h.ID, h.OrgID, map[string]string{"account_id": accountID})
	return s.scopedHandover(ctx, u, h), nil
}

// scopedHandover blanks the planned officer's contact details unless u may
// see them (and logs the view if they were shown).
func (s *Service) scopedHandover(ctx context.Context, u *User, h *Handover) *Handover {
	c := *h
	if h.Appointed != nil {
		o := *h.Appointed
		if scopeOfficer(u, &o) {
			s.auditContactView(ctx, o.OrgID, "handover", 1)
		}
		c.Appointed = &o
	}
	return &c
}

// ListHandovers returns an organisation's handovers (all organisations'
// for orgID ""), newest first, as the signed-in user may see them.
func (s *Service) ListHandovers(ctx context.Context, orgID string, statuses []HandoverStatus) ([]*Handover, error) {
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
	hs, err := s.store.ListHandovers(ctx, HandoverFilter{OrgID: orgID, Statuses: statuses, Limit: 500})
	if err != nil {
		return nil, err
	}
	shown := map[string]int{}
	for i, h := range hs {
		if h.Appointed != nil {
			o := *h.Appointed
			if scopeOfficer(u, &o) {
				shown[o.OrgID]++
			}
			hs[i].Appointed = &o
		}
	}
	for org, n := range shown {
		s.auditContactView(ctx, org, "handovers", n)
	}
	return hs, nil
}

// EditOfficerResult is what EditOfficer did: changed the officer, or
// recorded the change for an administrator to confirm.
type EditOfficerResult struct {
	Officer *Officer       `json:"officer"`
	Change  *OfficerChange `json:"change,omitempty"` // set when the change waits for confirmation
}

// EditOfficer changes an officer's details. Administrators and the
// organisation's current nodal officer change them at once; other editors
// of the organisation propose the change, which an administrator confirms
// or rejects (DecideOfficerChange). Every version is kept.
func (s *Service) EditOfficer(ctx context.Context, officerID string, in OfficerEdit, comment string) (*EditOfficerResult, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if !ValidID(officerID) {
		return nil, Errorf(ENOTFOUND, "No such officer.")
	}
	o, err := s.store.GetOfficer(ctx, officerID)
	if IsCode(err, ENOTFOUND) || (err == nil && !canSeeOrg(u, o.OrgID)) {
		return nil, Errorf(ENOTFOUND, "No such officer.")
	} else if err != nil {
		return nil, err
	}
	if !canWriteFor(u, o.OrgID) {
		return nil, Errorf(EFORBIDDEN, "Only administrators and the organisation's own editors change officers' details.")
	}
	var fe fieldErrors
	validateOfficerEdit(&in, o.Kind, &fe)
	if err := fe.err("The officer's details need correcting."); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	direct := u.Role == RoleAdmin
	if !direct {
		if !o.Current(now) {
			return nil, Errorf(EFORBIDDEN, "Only administrators change the records of past officers.")
		}
		direct, err = s.isNodalOfficer(ctx, u, o.OrgID, now)
		if err != nil {
			return nil, err
		}
	}
	if EditOf(o) == in {
		return &EditOfficerResult{Officer: o}, nil
	}
	if direct {
		in.apply(o)
		o.UpdatedAt = now
		if err := s.store.UpdateOfficer(ctx, o); err != nil {
			return nil, err
		}
		if err := s.keepRevision(ctx, o, "edited", ""); err != nil {
			return nil, err
		}
		s.audit(ctx, "officer.edit", "officer", o.ID, o.OrgID, nil)
		return &EditOfficerResult{Officer: o}, nil
	}
	c := &OfficerChange{ID: NewID(), OfficerID: o.ID, OrgID: o.OrgID, Before: *o, Proposed: in, Comment: strings.TrimSpace(comment),
		Status: ChangePending, RequestedBy: u.ID, RequestedAt: now}
	if err := s.store.CreateOfficerChange(ctx, c); err != nil {
		return nil, err
	}
	s.audit(ctx, "officer.propose_change", "officer", o.ID, o.OrgID, map[string]string{"change_id": c.ID})
	org, _ := s.store.GetOrg(ctx, o.OrgID)
	code := o.OrgID
	if org != nil {
		code = org.Code
	}
	if _, err := s.Notify(ctx, Recipients{Roles: []Role{RoleAdmin}}, o.OrgID, "officer.change_proposed", "Officer details to confirm: "+code,
		u.Name+" proposed a change to the details of "+o.Name+". Confirm or reject it in Prasar.", "/registry/changes"); err != nil {
		s.log.WarnContext(ctx, "notifying a proposed change failed", "change_id", c.ID, "err", err)
	}
	return &EditOfficerResult{Officer: o, Change: c}, nil
}

// isNodalOfficer reports whether u is a current nodal officer of orgID.
func (s *Service) isNodalOfficer(ctx context.Context, u *User, orgID string, at time.Time) (bool, error) {
	if u.Role != RoleEditor || u.OrgID != orgID {
		return false, nil
	}
	os, err := s.store.ListOfficers(ctx, OfficerFilter{OrgID: orgID, CurrentAt: at})
	if err != nil {
		return false, err
	}
	for _, o := range os {
		if o.Kind == OfficerNodal && o.UserID == u.ID {
			return true, nil
		}
	}
	return false, nil
}

// DecideOfficerChange confirms (approve) or rejects a proposed change of
// officer details. Admins only. The proposal, the version before it and
// the decision all stay in the history.
func (s *Service) DecideOfficerChange(ctx context.Context, id string, approve bool, comment string) (*OfficerChange, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if u.Role != RoleAdmin {
		return nil, Errorf(EFORBIDDEN, "Only administrators confirm changes of officers' details.")
	}
	c, err := s.store.GetOfficerChange(ctx, id)
	if IsCode(err, ENOTFOUND) || !ValidID(id) {
		return nil, Errorf(ENOTFOUND, "No such change.")
	} else if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	c.Status, c.DecidedBy, c.DecidedAt, c.Decision = ChangeRejected, u.ID, &now, strings.TrimSpace(comment)
	if approve {
		c.Status = ChangeApproved
	}
	// The decision is stored first and only once: of two administrators
	// deciding at once, one wins and the other gets ECONFLICT.
	if err := s.store.DecideOfficerChange(ctx, c); err != nil {
		if IsCode(err, ECONFLICT) {
			return nil, Errorf(ECONFLICT, "This change was decided already.")
		}
		return nil, err
	}
	if approve {
		o, err := s.store.GetOfficer(ctx, c.OfficerID)
		if err != nil {
			return nil, err
		}
		c.Proposed.apply(o)
		o.UpdatedAt = now
		if err := s.store.UpdateOfficer(ctx, o); err != nil {
			return nil, err
		}
		if err := s.keepRevision(ctx, o, "change_approved", c.ID); err != nil {
			return nil, err
		}
	}
	s.audit(ctx, "officer.change_"+string(c.Status), "officer", c.OfficerID, c.OrgID, map[string]string{"change_id": c.ID})
	word := "rejected"
	if approve {
		word = "confirmed"
	}
	if _, err := s.Notify(ctx, Recipients{UserIDs: []string{c.RequestedBy}}, c.OrgID, "officer.change_decided", "Officer details "+word,
		"Your change to the details of "+c.Before.Name+" was "+word+".", "/registry/orgs/"+c.OrgID); err != nil {
		s.log.WarnContext(ctx, "notifying a decision failed", "change_id", c.ID, "err", err)
	}
	return s.scopedChange(ctx, u, c), nil
}

func (s *Service) scopedChange(ctx context.Context, u *User, c *OfficerChange) *OfficerChange {
	x := *c
	if !seesContacts(u, c.OrgID) {
		x.Before.Email, x.Before.Phone, x.Proposed.Email, x.Proposed.Phone = "", "", "", ""
	} else {
		s.auditContactView(ctx, c.OrgID, "officer_change", 1)
	}
	return &x
}

// ListOfficerChanges returns proposed changes of officer details: admins
// and approvers all organisations', editors their own's.
func (s *Service) ListOfficerChanges(ctx context.Context, orgID string, status OfficerChangeStatus) ([]*OfficerChange, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	switch u.Role {
	case RoleViewer:
		return nil, Errorf(EFORBIDDEN, "Viewers do not see proposed changes of officers' details.")
	case RoleEditor:
		if orgID != "" && orgID != u.OrgID {
			return nil, Errorf(ENOTFOUND, "No such organisation.")
		}
		orgID = u.OrgID
	}
	cs, err := s.store.ListOfficerChanges(ctx, OfficerChangeFilter{OrgID: orgID, Status: status})
	if err != nil {
		return nil, err
	}
	for i, c := range cs {
		cs[i] = s.scopedChange(ctx, u, c)
	}
	return cs, nil
}

// OfficerHistory is every version of an organisation's officers, as the
// signed-in user may see them.
func (s *Service) officerRevisions(ctx context.Context, u *User, orgIDs []string) ([]*OfficerRevision, error) {
	var out []*OfficerRevision
	shown := map[string]int{}
	for _, id := range orgIDs {
		rs, err := s.store.ListOfficerRevisions(ctx, OfficerRevisionFilter{OrgID: id})
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			if scopeOfficer(u, &r.Officer) {
				shown[r.OrgID]++
			}
		}
		out = append(out, rs...)
	}
	for org, n := range shown {
		s.auditContactView(ctx, org, "officer_history", n)
	}
	return out, nil
}

// scopedOfficers returns officers with contact details blanked where u may
// not see them, and logs the views of those shown.
func (s *Service) scopedOfficers(ctx context.Context, u *User, os []*Officer, where string) []*Officer {
	shown := map[string]int{}
	for _, o := range os {
		if scopeOfficer(u, o) {
			shown[o.OrgID]++
		}
	}
	for org, n := range shown {
		s.auditContactView(ctx, org, where, n)
	}
	return os
}
