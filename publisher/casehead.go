package publisher

import "context"

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
// the head it replaces. It is the registry's appointment of a head
// (AppointOfficer with kind "head"): the term, its revision and the
// handover record are kept as for any officer, without the credential
// rotation and loss of access that follow a nodal officer's replacement.
// Administrators only.
func (s *Service) SetOrgHead(ctx context.Context, orgID string, in HeadInput) (*Officer, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if u.Role != RoleAdmin {
		return nil, Errorf(EFORBIDDEN, "Only administrators can change the registry.")
	}
	h, err := s.appointOfficer(ctx, orgID, AppointInput{Kind: OfficerHead, UserID: in.UserID, OfficerEdit: OfficerEdit{
		Name: in.Name, Designation: in.Designation, Email: in.Email, Phone: in.Phone, OrderRef: in.OrderRef}},
		"The head of department's details need correcting.")
	if err != nil {
		return nil, err
	}
	if h.Appointed == nil {
		return nil, Errorf(EINTERNAL, "the appointment %s has no officer", h.ID)
	}
	return h.Appointed, nil
}
