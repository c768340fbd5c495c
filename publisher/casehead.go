package publisher

import (
	"context"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// HeadInput records an organisation's head of department: the person a
// missed case deadline escalates to first.
type HeadInput struct {
	Name        string `json:"name"`
	Designation string `json:"designation"`
	Email       string `json:"email"`
	Phone       string `json:"phone"`
	// UserID, if set, is the head's Prasar sign-in: escalations then reach
	// them in the app (and by e-mail); without one they are e-mailed.
	UserID   string `json:"userId"`
	OrderRef string `json:"orderRef"`
}

// SetOrgHead records an organisation's head of department — a registry
// officer of kind OfficerHead whose term starts now — and ends the term of
// the head it replaces. Administrators only.
func (s *Service) SetOrgHead(ctx context.Context, orgID string, in HeadInput) (*Officer, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if u.Role != RoleAdmin {
		return nil, Errorf(EFORBIDDEN, "Only administrators can change the registry.")
	}
	if !ValidID(orgID) {
		return nil, Errorf(ENOTFOUND, "No such organisation.")
	}
	if _, err := s.store.GetOrg(ctx, orgID); IsCode(err, ENOTFOUND) {
		return nil, Errorf(ENOTFOUND, "No such organisation.")
	} else if err != nil {
		return nil, err
	}
	var fe fieldErrors
	for _, f := range []*string{&in.Name, &in.Designation, &in.Email, &in.Phone, &in.UserID, &in.OrderRef} {
		*f = strings.TrimSpace(*f)
	}
	in.Email = strings.ToLower(in.Email)
	if in.Name == "" {
		fe.add("name", "required", "Enter the head of department's name.")
	}
	for _, f := range []struct{ name, v string }{{"name", in.Name}, {"designation", in.Designation}, {"phone", in.Phone}, {"orderRef", in.OrderRef}} {
		if utf8.RuneCountInString(f.v) > 200 {
			fe.add(f.name, "too_long", "This is longer than 200 characters.", "limit", "200")
		}
	}
	if in.Email != "" {
		if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email {
			fe.add("email", "invalid_email", "Enter a valid e-mail address.")
		}
	}
	if in.UserID != "" {
		if _, err := s.store.GetUser(ctx, in.UserID); IsCode(err, ENOTFOUND) || !ValidID(in.UserID) {
			fe.add("userId", "unknown_user", "No such user.")
		} else if err != nil {
			return nil, err
		}
	}
	if err := fe.err("The head of department's details need correcting."); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	current, err := s.store.ListOfficers(ctx, OfficerFilter{OrgID: orgID, CurrentAt: now})
	if err != nil {
		return nil, err
	}
	for _, o := range current {
		if o.Kind != OfficerHead {
			continue
		}
		o.EndDate, o.UpdatedAt = &now, now
		if err := s.store.UpdateOfficer(ctx, o); err != nil {
			return nil, err
		}
		s.audit(ctx, "officer.end_term", "officer", o.ID, orgID, map[string]string{"kind": string(OfficerHead)})
	}
	o := &Officer{ID: NewID(), OrgID: orgID, Kind: OfficerHead, Name: in.Name, Designation: in.Designation, Email: in.Email, Phone: in.Phone,
		UserID: in.UserID, OrderRef: in.OrderRef, StartDate: now, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateOfficer(ctx, o); err != nil {
		return nil, err
	}
	s.audit(ctx, "officer.set_head", "officer", o.ID, orgID, map[string]string{"name": o.Name})
	return o, nil
}
