package publisher

import (
	"context"
	"strings"
	"time"
)

// Notification is a message to one user, shown in the app (and e-mailed
// when a Mailer is configured): an account about to expire, a case
// assigned, a deadline missed, a post waiting for review.
type Notification struct {
	ID        string     `json:"id"`
	UserID    string     `json:"userId"`
	OrgID     string     `json:"orgId,omitempty"`
	Kind      string     `json:"kind"` // e.g. "account.expiring", "case.escalated"
	Subject   string     `json:"subject"`
	Body      string     `json:"body"`
	Link      string     `json:"link,omitempty"` // a path in the app, e.g. /posts/ID
	CreatedAt time.Time  `json:"createdAt"`
	ReadAt    *time.Time `json:"readAt,omitempty"`
}

// NotificationFilter selects a user's notifications, newest first.
type NotificationFilter struct {
	UserID     string
	UnreadOnly bool
	Limit      int
	Offset     int
}

// NotificationStore keeps notifications.
type NotificationStore interface {
	// CreateNotifications inserts ns. Returns ECONFLICT if an id exists.
	CreateNotifications(ctx context.Context, ns []*Notification) error
	// ListNotifications returns notifications matching f, newest first, and
	// the number of matches without Limit/Offset.
	ListNotifications(ctx context.Context, f NotificationFilter) ([]*Notification, int, error)
	// MarkNotificationsRead marks the user's notifications with the given
	// ids (all of the user's unread ones when ids is empty) read at at, and
	// returns how many changed. Other users' notifications are untouched.
	MarkNotificationsRead(ctx context.Context, userID string, ids []string, at time.Time) (int, error)
}

// Mailer sends e-mail (SMTP in production). Optional: without one,
// notifications are in the app only.
type Mailer interface {
	Send(ctx context.Context, to []string, subject, body string) error
}

// Recipients names who a notification is for. Users are de-duplicated;
// disabled users are skipped.
type Recipients struct {
	UserIDs []string
	// OrgOfficers adds the organisation's current nodal and alternate
	// officers (their user accounts), or, if it has none with a user
	// account, its editors.
	OrgOfficers string
	// Roles adds every user with one of these roles (e.g. the Digital
	// Media Section's admins).
	Roles []Role
}

// Notify creates in-app notifications for the recipients and e-mails them
// in the background when a Mailer is configured. It returns how many users
// were notified. A failed e-mail is logged, never returned: the in-app
// notification stands.
func (s *Service) Notify(ctx context.Context, to Recipients, orgID, kind, subject, body, link string) (int, error) {
	users, err := s.resolveRecipients(ctx, to)
	if err != nil {
		return 0, err
	}
	if len(users) == 0 {
		s.log.WarnContext(ctx, "notification has no recipients", "kind", kind, "org_id", orgID)
		return 0, nil
	}
	now := s.now().UTC()
	ns := make([]*Notification, 0, len(users))
	var emails []string
	for _, u := range users {
		ns = append(ns, &Notification{ID: NewID(), UserID: u.ID, OrgID: orgID, Kind: kind, Subject: subject, Body: body, Link: link, CreatedAt: now})
		emails = append(emails, u.Email)
	}
	if err := s.store.CreateNotifications(ctx, ns); err != nil {
		return 0, err
	}
	if s.mailer != nil {
		text := body
		if link != "" {
			text += "\n\n" + strings.TrimRight(s.cfg.BaseURL, "/") + link
		}
		go func(ctx context.Context) {
			ctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			if err := s.mailer.Send(ctx, emails, "[Prasar] "+subject, text); err != nil {
				s.log.ErrorContext(ctx, "sending notification e-mail failed", "kind", kind, "recipients", len(emails), "err", err)
			}
		}(context.WithoutCancel(ctx))
	}
	return len(ns), nil
}

// resolveRecipients turns Recipients into enabled users, without repeats.
func (s *Service) resolveRecipients(ctx context.Context, to Recipients) ([]*User, error) {
	seen := map[string]bool{}
	var out []*User
	add := func(u *User) {
		if u != nil && !u.Disabled && !seen[u.ID] {
			seen[u.ID] = true
			out = append(out, u)
		}
	}
	for _, id := range to.UserIDs {
		u, err := s.store.GetUser(ctx, id)
		if IsCode(err, ENOTFOUND) {
			continue
		} else if err != nil {
			return nil, err
		}
		add(u)
	}
	if to.OrgOfficers != "" {
		os, err := s.store.ListOfficers(ctx, OfficerFilter{OrgID: to.OrgOfficers, CurrentAt: s.now()})
		if err != nil {
			return nil, err
		}
		found := false
		for _, o := range os {
			if o.UserID == "" || o.Kind == OfficerHead {
				continue
			}
			u, err := s.store.GetUser(ctx, o.UserID)
			if err == nil && !u.Disabled {
				add(u)
				found = true
			}
		}
		if !found {
			eds, err := s.store.ListUsers(ctx, UserFilter{OrgID: to.OrgOfficers, Role: RoleEditor})
			if err != nil {
				return nil, err
			}
			for _, u := range eds {
				add(u)
			}
		}
	}
	for _, r := range to.Roles {
		us, err := s.store.ListUsers(ctx, UserFilter{Role: r})
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			add(u)
		}
	}
	return out, nil
}

// ListNotifications returns the signed-in user's notifications and the
// number of matches.
func (s *Service) ListNotifications(ctx context.Context, unreadOnly bool, limit, offset int) ([]*Notification, int, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, 0, err
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	return s.store.ListNotifications(ctx, NotificationFilter{UserID: u.ID, UnreadOnly: unreadOnly, Limit: limit, Offset: max(offset, 0)})
}

// MarkNotificationsRead marks the signed-in user's notifications read (all
// unread ones when ids is empty).
func (s *Service) MarkNotificationsRead(ctx context.Context, ids []string) (int, error) {
	u, err := actor(ctx)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		if !ValidID(id) {
			return 0, &Error{Code: EINVALID, Message: "Unknown notification.", Fields: []FieldError{{Field: "ids", Code: "invalid_id", Message: "Unknown notification."}}}
		}
	}
	return s.store.MarkNotificationsRead(ctx, u.ID, ids, s.now().UTC())
}
