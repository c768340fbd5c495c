package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

func (s *suite) testOrgs(t *testing.T) {
	t.Run("CreateOrg then GetOrg and GetOrgByCode return every field", func(t *testing.T) {
		st := s.open(t)
		o := NewOrg(t, st, func(o *publisher.Organisation) {
			o.CreatedAt = time.Date(2025, 3, 3, 15, 0, 0, 123_456_789, ist) // sub-millisecond, not UTC
		})
		got, err := st.GetOrg(t.Context(), o.ID)
		Must(t, "GetOrg", err)
		AssertEqual(t, "GetOrg", got, o)
		got, err = st.GetOrgByCode(t.Context(), o.Code)
		Must(t, "GetOrgByCode", err)
		AssertEqual(t, "GetOrgByCode", got, o)
	})
	t.Run("optional fields left empty come back empty", func(t *testing.T) {
		st := s.open(t)
		o := NewOrg(t, st, func(o *publisher.Organisation) { o.ParentID, o.District, o.ActiveFrom, o.ActiveTo = "", "", nil, nil })
		got, err := st.GetOrg(t.Context(), o.ID)
		Must(t, "GetOrg", err)
		AssertEqual(t, "GetOrg", got, o)
	})
	t.Run("CreateOrg refuses a duplicate id with ECONFLICT and keeps the first", func(t *testing.T) {
		st := s.open(t)
		o := NewOrg(t, st)
		dup := *o
		dup.Code, dup.NameEN = "OTHER-"+strings.ToUpper(uniq()), "Other"
		AssertCode(t, "CreateOrg with an existing id", st.CreateOrg(t.Context(), &dup), publisher.ECONFLICT)
		got, err := st.GetOrg(t.Context(), o.ID)
		Must(t, "GetOrg", err)
		AssertEqual(t, "the first organisation", got, o)
		_, err = st.GetOrgByCode(t.Context(), dup.Code)
		AssertCode(t, "GetOrgByCode of the refused code", err, publisher.ENOTFOUND)
	})
	t.Run("CreateOrg refuses a duplicate code with ECONFLICT", func(t *testing.T) {
		st := s.open(t)
		o := NewOrg(t, st)
		dup := &publisher.Organisation{ID: publisher.NewID(), Code: o.Code, Type: publisher.OrgBoard, NameEN: "Dup", NameHI: "Dup", CreatedAt: T0, UpdatedAt: T0}
		AssertCode(t, "CreateOrg with an existing code", st.CreateOrg(t.Context(), dup), publisher.ECONFLICT)
		_, err := st.GetOrg(t.Context(), dup.ID)
		AssertCode(t, "GetOrg of the refused organisation", err, publisher.ENOTFOUND)
	})
	t.Run("GetOrg and GetOrgByCode return ENOTFOUND for unknown ones", func(t *testing.T) {
		st := s.open(t)
		NewOrg(t, st)
		_, err := st.GetOrg(t.Context(), "no-such-org")
		AssertCode(t, "GetOrg", err, publisher.ENOTFOUND)
		_, err = st.GetOrgByCode(t.Context(), "NO-SUCH-CODE")
		AssertCode(t, "GetOrgByCode", err, publisher.ENOTFOUND)
	})
	t.Run("UpdateOrg replaces every field, clearing optional ones", func(t *testing.T) {
		st := s.open(t)
		o := NewOrg(t, st)
		other := NewOrg(t, st)
		up := &publisher.Organisation{ID: o.ID, Code: "NEW-" + strings.ToUpper(uniq()), Type: publisher.OrgDistrict,
			NameEN: "District Collectorate, Ajmer", NameHI: "जिला कलेक्टर, अजमेर", CreatedAt: at(time.Hour), UpdatedAt: at(3 * time.Hour)}
		Must(t, "UpdateOrg", st.UpdateOrg(t.Context(), up))
		got, err := st.GetOrg(t.Context(), o.ID)
		Must(t, "GetOrg", err)
		AssertEqual(t, "updated organisation", got, up)
		up2 := *up
		up2.ParentID, up2.District, up2.ActiveFrom, up2.ActiveTo = other.ID, "Ajmer", atp(time.Hour), atp(2*time.Hour)
		Must(t, "UpdateOrg setting optional fields", st.UpdateOrg(t.Context(), &up2))
		got, err = st.GetOrg(t.Context(), o.ID)
		Must(t, "GetOrg", err)
		AssertEqual(t, "updated organisation", got, &up2)
		got, err = st.GetOrg(t.Context(), other.ID)
		Must(t, "GetOrg", err)
		AssertEqual(t, "the other organisation", got, other)
	})
	t.Run("UpdateOrg returns ENOTFOUND for an unknown id and creates nothing", func(t *testing.T) {
		st := s.open(t)
		o := &publisher.Organisation{ID: publisher.NewID(), Code: "GHOST", Type: publisher.OrgBoard, NameEN: "Ghost", NameHI: "Ghost", CreatedAt: T0, UpdatedAt: T0}
		AssertCode(t, "UpdateOrg", st.UpdateOrg(t.Context(), o), publisher.ENOTFOUND)
		_, err := st.GetOrg(t.Context(), o.ID)
		AssertCode(t, "GetOrg", err, publisher.ENOTFOUND)
	})
	t.Run("UpdateOrg keeping its own code is not a conflict", func(t *testing.T) {
		st := s.open(t)
		o := NewOrg(t, st)
		o.NameEN = "Renamed"
		Must(t, "UpdateOrg", st.UpdateOrg(t.Context(), o))
		got, err := st.GetOrgByCode(t.Context(), o.Code)
		Must(t, "GetOrgByCode", err)
		AssertEqual(t, "organisation", got, o)
	})
	t.Run("UpdateOrg refuses another organisation's code with ECONFLICT", func(t *testing.T) {
		s.needsUniqueOnUpdate(t)
		st := s.open(t)
		a, b := NewOrg(t, st), NewOrg(t, st)
		up := *b
		up.Code, up.NameEN = a.Code, "Taken"
		AssertCode(t, "UpdateOrg to a taken code", st.UpdateOrg(t.Context(), &up), publisher.ECONFLICT)
		got, err := st.GetOrg(t.Context(), b.ID)
		Must(t, "GetOrg", err)
		AssertEqual(t, "the refused organisation", got, b)
		got, err = st.GetOrgByCode(t.Context(), a.Code)
		Must(t, "GetOrgByCode", err)
		AssertEqual(t, "the code's owner", got, a)
	})
	t.Run("UpdateOrg frees the old code for others", func(t *testing.T) {
		st := s.open(t)
		o := NewOrg(t, st)
		old := o.Code
		o.Code = "RENAMED-" + strings.ToUpper(uniq())
		Must(t, "UpdateOrg", st.UpdateOrg(t.Context(), o))
		_, err := st.GetOrgByCode(t.Context(), old)
		AssertCode(t, "GetOrgByCode of the old code", err, publisher.ENOTFOUND)
		n := NewOrg(t, st, func(n *publisher.Organisation) { n.Code = old })
		got, err := st.GetOrgByCode(t.Context(), old)
		Must(t, "GetOrgByCode", err)
		AssertEqual(t, "the new owner of the old code", got, n)
	})
	t.Run("ListOrgs orders by code and filters by ids and type", func(t *testing.T) {
		st := s.open(t)
		mk := func(code string, typ publisher.OrgType) *publisher.Organisation {
			return NewOrg(t, st, func(o *publisher.Organisation) { o.Code, o.Type = code, typ })
		}
		// Created out of code order, so that insertion order is not enough.
		c := mk("COOP", publisher.OrgBoard)
		a := mk("AGRI", publisher.OrgDepartment)
		d := mk("DIST-AJMER", publisher.OrgDistrict)
		b := mk("BOARD-EDU", publisher.OrgBoard)
		id := func(o *publisher.Organisation) string { return o.ID }
		cases := []struct {
			name string
			f    publisher.OrgFilter
			want []*publisher.Organisation
		}{
			{"no filter", publisher.OrgFilter{}, []*publisher.Organisation{a, b, c, d}},
			{"empty id list", publisher.OrgFilter{IDs: []string{}}, []*publisher.Organisation{a, b, c, d}},
			{"ids", publisher.OrgFilter{IDs: []string{d.ID, a.ID, "no-such-org"}}, []*publisher.Organisation{a, d}},
			{"type", publisher.OrgFilter{Type: publisher.OrgBoard}, []*publisher.Organisation{b, c}},
			{"ids and type", publisher.OrgFilter{IDs: []string{a.ID, c.ID}, Type: publisher.OrgBoard}, []*publisher.Organisation{c}},
			{"nothing matches", publisher.OrgFilter{Type: publisher.OrgCommission}, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, err := st.ListOrgs(t.Context(), tc.f)
				Must(t, "ListOrgs", err)
				assertIDs(t, "ListOrgs", ids(got, id), ids(tc.want, id))
				if len(got) == len(tc.want) {
					AssertEqual(t, "ListOrgs", got, tc.want)
				}
			})
		}
	})
}

func (s *suite) testOfficers(t *testing.T) {
	t.Run("CreateOfficer then GetOfficer returns every field", func(t *testing.T) {
		st := s.open(t)
		o := NewOfficer(t, st, NewOrg(t, st).ID, func(o *publisher.Officer) {
			o.StartDate = time.Date(2024, 12, 1, 10, 0, 0, 999_999_999, ist)
		})
		got, err := st.GetOfficer(t.Context(), o.ID)
		Must(t, "GetOfficer", err)
		AssertEqual(t, "GetOfficer", got, o)
	})
	t.Run("CreateOfficer refuses a duplicate id with ECONFLICT", func(t *testing.T) {
		st := s.open(t)
		o := NewOfficer(t, st, "org-1")
		dup := *o
		dup.Name = "Someone Else"
		AssertCode(t, "CreateOfficer", st.CreateOfficer(t.Context(), &dup), publisher.ECONFLICT)
		got, err := st.GetOfficer(t.Context(), o.ID)
		Must(t, "GetOfficer", err)
		AssertEqual(t, "the first officer", got, o)
	})
	t.Run("GetOfficer returns ENOTFOUND for an unknown id", func(t *testing.T) {
		st := s.open(t)
		NewOfficer(t, st, "org-1")
		_, err := st.GetOfficer(t.Context(), "no-such-officer")
		AssertCode(t, "GetOfficer", err, publisher.ENOTFOUND)
	})
	t.Run("UpdateOfficer replaces every field, clearing optional ones", func(t *testing.T) {
		st := s.open(t)
		o := NewOfficer(t, st, "org-1")
		up := &publisher.Officer{ID: o.ID, OrgID: "org-2", Kind: publisher.OfficerAlternate, Name: "Arjun Singh",
			Designation: "Deputy Director", Posting: "Jodhpur", StartDate: at(time.Hour), CreatedAt: at(2 * time.Hour), UpdatedAt: at(3 * time.Hour)}
		Must(t, "UpdateOfficer", st.UpdateOfficer(t.Context(), up))
		got, err := st.GetOfficer(t.Context(), o.ID)
		Must(t, "GetOfficer", err)
		AssertEqual(t, "updated officer", got, up)
	})
	t.Run("UpdateOfficer returns ENOTFOUND for an unknown id and creates nothing", func(t *testing.T) {
		st := s.open(t)
		o := &publisher.Officer{ID: publisher.NewID(), OrgID: "org-1", Kind: publisher.OfficerNodal, Name: "Ghost", StartDate: T0}
		AssertCode(t, "UpdateOfficer", st.UpdateOfficer(t.Context(), o), publisher.ENOTFOUND)
		_, err := st.GetOfficer(t.Context(), o.ID)
		AssertCode(t, "GetOfficer", err, publisher.ENOTFOUND)
	})
	t.Run("ListOfficers returns the newest start date first and filters by organisation and current term", func(t *testing.T) {
		st := s.open(t)
		day := 24 * time.Hour
		mk := func(org string, start time.Duration, end *time.Time) *publisher.Officer {
			return NewOfficer(t, st, org, func(o *publisher.Officer) { o.StartDate, o.EndDate = at(start), end })
		}
		// Created out of start-date order.
		mid := mk("org-a", -100*day, atp(-10*day))      // ended before T0
		old := mk("org-a", -400*day, atp(-100*day))     // ended long ago
		cur := mk("org-a", -10*day, nil)                // current, open-ended
		future := mk("org-a", 10*day, nil)              // starts after T0
		endsNow := mk("org-b", -5*day, ptr(T0))         // term ends exactly at T0: not current
		startsNow := mk("org-b", 0, atp(day))           // term starts exactly at T0: current
		otherCur := mk("org-b", -200*day, atp(200*day)) // current
		id := func(o *publisher.Officer) string { return o.ID }
		cases := []struct {
			name string
			f    publisher.OfficerFilter
			want []*publisher.Officer
		}{
			{"no filter", publisher.OfficerFilter{}, []*publisher.Officer{future, startsNow, endsNow, cur, mid, otherCur, old}},
			{"organisation", publisher.OfficerFilter{OrgID: "org-a"}, []*publisher.Officer{future, cur, mid, old}},
			{"current at T0", publisher.OfficerFilter{CurrentAt: T0}, []*publisher.Officer{startsNow, cur, otherCur}},
			{"organisation, current at T0", publisher.OfficerFilter{OrgID: "org-b", CurrentAt: T0}, []*publisher.Officer{startsNow, otherCur}},
			{"current long ago", publisher.OfficerFilter{CurrentAt: at(-150 * day)}, []*publisher.Officer{otherCur, old}},
			{"unknown organisation", publisher.OfficerFilter{OrgID: "org-z"}, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, err := st.ListOfficers(t.Context(), tc.f)
				Must(t, "ListOfficers", err)
				assertIDs(t, "ListOfficers", ids(got, id), ids(tc.want, id))
				if len(got) == len(tc.want) {
					AssertEqual(t, "ListOfficers", got, tc.want)
				}
			})
		}
	})
}

func (s *suite) testAccounts(t *testing.T) {
	t.Run("CreateAccount then GetAccount returns every field", func(t *testing.T) {
		st := s.open(t)
		a := NewAccount(t, st, "org-1", publisher.Facebook, func(a *publisher.Account) {
			a.TokenExpiresAt = ptr(time.Date(2025, 5, 1, 0, 0, 0, 500_000, ist))
			a.Scopes = []string{"pages_manage_posts", "pages_read_engagement", "pages_show_list"}
		})
		got, err := st.GetAccount(t.Context(), a.ID)
		Must(t, "GetAccount", err)
		AssertEqual(t, "GetAccount", got, a)
	})
	t.Run("optional fields left empty come back empty", func(t *testing.T) {
		st := s.open(t)
		a := NewAccount(t, st, "org-1", publisher.Telegram, func(a *publisher.Account) {
			a.ProfileURL, a.StatusReason, a.Sandbox, a.Secret, a.TokenExpiresAt, a.Scopes = "", "", false, "", nil, nil
			a.Status = publisher.AccountDisconnected
		})
		got, err := st.GetAccount(t.Context(), a.ID)
		Must(t, "GetAccount", err)
		AssertEqual(t, "GetAccount", got, a)
	})
	t.Run("CreateAccount refuses a duplicate id with ECONFLICT", func(t *testing.T) {
		st := s.open(t)
		a := NewAccount(t, st, "org-1", publisher.X)
		dup := *a
		dup.ExternalID, dup.Handle = "ext-other", "@other"
		AssertCode(t, "CreateAccount", st.CreateAccount(t.Context(), &dup), publisher.ECONFLICT)
		got, err := st.GetAccount(t.Context(), a.ID)
		Must(t, "GetAccount", err)
		AssertEqual(t, "the first account", got, a)
	})
	t.Run("CreateAccount refuses a duplicate platform and external id with ECONFLICT", func(t *testing.T) {
		st := s.open(t)
		a := NewAccount(t, st, "org-1", publisher.X)
		dup := &publisher.Account{ID: publisher.NewID(), OrgID: "org-2", Platform: publisher.X, Handle: "@dup", ExternalID: a.ExternalID,
			Status: publisher.AccountConnected, CreatedAt: T0, UpdatedAt: T0}
		AssertCode(t, "CreateAccount", st.CreateAccount(t.Context(), dup), publisher.ECONFLICT)
		_, err := st.GetAccount(t.Context(), dup.ID)
		AssertCode(t, "GetAccount of the refused account", err, publisher.ENOTFOUND)
	})
	t.Run("the same external id on another platform is not a conflict", func(t *testing.T) {
		st := s.open(t)
		a := NewAccount(t, st, "org-1", publisher.X)
		b := NewAccount(t, st, "org-1", publisher.Threads, func(b *publisher.Account) { b.ExternalID = a.ExternalID })
		got, err := st.GetAccount(t.Context(), b.ID)
		Must(t, "GetAccount", err)
		AssertEqual(t, "GetAccount", got, b)
	})
	t.Run("GetAccount returns ENOTFOUND for an unknown id", func(t *testing.T) {
		st := s.open(t)
		NewAccount(t, st, "org-1", publisher.X)
		_, err := st.GetAccount(t.Context(), "no-such-account")
		AssertCode(t, "GetAccount", err, publisher.ENOTFOUND)
	})
	t.Run("UpdateAccount replaces every field, clearing optional ones", func(t *testing.T) {
		st := s.open(t)
		a := NewAccount(t, st, "org-1", publisher.X)
		up := &publisher.Account{ID: a.ID, OrgID: "org-2", Platform: publisher.Bluesky, Handle: "@agri.bsky.social", DisplayName: "Agri",
			ExternalID: "did:plc:" + uniq(), Status: publisher.AccountNeedsReconnect, CreatedAt: at(time.Hour), UpdatedAt: at(2 * time.Hour)}
		Must(t, "UpdateAccount", st.UpdateAccount(t.Context(), up))
		got, err := st.GetAccount(t.Context(), a.ID)
		Must(t, "GetAccount", err)
		AssertEqual(t, "updated account", got, up)
		up2 := *up
		up2.ProfileURL, up2.StatusReason, up2.Sandbox, up2.Secret = "https://bsky.app/profile/agri", "token revoked", true, "v1.sealed.new"
		up2.TokenExpiresAt, up2.Scopes = atp(time.Hour), []string{"atproto"}
		Must(t, "UpdateAccount setting optional fields", st.UpdateAccount(t.Context(), &up2))
		got, err = st.GetAccount(t.Context(), a.ID)
		Must(t, "GetAccount", err)
		AssertEqual(t, "updated account", got, &up2)
	})
	t.Run("UpdateAccount returns ENOTFOUND for an unknown id and creates nothing", func(t *testing.T) {
		st := s.open(t)
		a := &publisher.Account{ID: publisher.NewID(), OrgID: "org-1", Platform: publisher.X, ExternalID: "ghost", CreatedAt: T0, UpdatedAt: T0}
		AssertCode(t, "UpdateAccount", st.UpdateAccount(t.Context(), a), publisher.ENOTFOUND)
		_, err := st.GetAccount(t.Context(), a.ID)
		AssertCode(t, "GetAccount", err, publisher.ENOTFOUND)
	})
	t.Run("UpdateAccount keeping its own platform and external id is not a conflict", func(t *testing.T) {
		st := s.open(t)
		a := NewAccount(t, st, "org-1", publisher.X)
		a.Handle = "@renamed"
		Must(t, "UpdateAccount", st.UpdateAccount(t.Context(), a))
		got, err := st.GetAccount(t.Context(), a.ID)
		Must(t, "GetAccount", err)
		AssertEqual(t, "account", got, a)
	})
	t.Run("UpdateAccount refuses another account's platform and external id with ECONFLICT", func(t *testing.T) {
		s.needsUniqueOnUpdate(t)
		st := s.open(t)
		a := NewAccount(t, st, "org-1", publisher.X)
		b := NewAccount(t, st, "org-1", publisher.X)
		c := NewAccount(t, st, "org-1", publisher.Facebook, func(c *publisher.Account) { c.ExternalID = a.ExternalID })
		up := *b
		up.ExternalID = a.ExternalID
		AssertCode(t, "UpdateAccount to a taken external id", st.UpdateAccount(t.Context(), &up), publisher.ECONFLICT)
		up = *c
		up.Platform = publisher.X
		AssertCode(t, "UpdateAccount to a taken platform", st.UpdateAccount(t.Context(), &up), publisher.ECONFLICT)
		for _, want := range []*publisher.Account{a, b, c} {
			got, err := st.GetAccount(t.Context(), want.ID)
			Must(t, "GetAccount", err)
			AssertEqual(t, "account after refused updates", got, want)
		}
	})
	t.Run("UpdateAccount frees the old external id for others", func(t *testing.T) {
		st := s.open(t)
		a := NewAccount(t, st, "org-1", publisher.X)
		old := a.ExternalID
		a.ExternalID = "ext-new-" + uniq()
		Must(t, "UpdateAccount", st.UpdateAccount(t.Context(), a))
		NewAccount(t, st, "org-2", publisher.X, func(b *publisher.Account) { b.ExternalID = old })
	})
	t.Run("ListAccounts orders by organisation then platform and filters by every field", func(t *testing.T) {
		st := s.open(t)
		mk := func(org string, p publisher.Platform, ext string) *publisher.Account {
			return NewAccount(t, st, org, p, func(a *publisher.Account) {
				if ext != "" {
					a.ExternalID = ext
				}
			})
		}
		// Created out of order.
		bx := mk("org-b", publisher.X, "shared-1")
		afb := mk("org-a", publisher.Facebook, "")
		bfb := mk("org-b", publisher.Facebook, "shared-1")
		ax := mk("org-a", publisher.X, "")
		ath := mk("org-a", publisher.Threads, "")
		id := func(a *publisher.Account) string { return a.ID }
		cases := []struct {
			name string
			f    publisher.AccountFilter
			want []*publisher.Account
		}{
			{"no filter", publisher.AccountFilter{}, []*publisher.Account{afb, ath, ax, bfb, bx}},
			{"organisation", publisher.AccountFilter{OrgID: "org-b"}, []*publisher.Account{bfb, bx}},
			{"platform", publisher.AccountFilter{Platform: publisher.X}, []*publisher.Account{ax, bx}},
			{"external id", publisher.AccountFilter{ExternalID: "shared-1"}, []*publisher.Account{bfb, bx}},
			{"platform and external id", publisher.AccountFilter{Platform: publisher.X, ExternalID: "shared-1"}, []*publisher.Account{bx}},
			{"ids", publisher.AccountFilter{IDs: []string{bx.ID, ath.ID, "no-such-account"}}, []*publisher.Account{ath, bx}},
			{"empty id list", publisher.AccountFilter{IDs: []string{}}, []*publisher.Account{afb, ath, ax, bfb, bx}},
			{"ids and organisation", publisher.AccountFilter{IDs: []string{bx.ID, ath.ID}, OrgID: "org-a"}, []*publisher.Account{ath}},
			{"nothing matches", publisher.AccountFilter{OrgID: "org-a", ExternalID: "shared-1"}, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, err := st.ListAccounts(t.Context(), tc.f)
				Must(t, "ListAccounts", err)
				assertIDs(t, "ListAccounts", ids(got, id), ids(tc.want, id))
				if len(got) == len(tc.want) {
					AssertEqual(t, "ListAccounts", got, tc.want)
				}
			})
		}
	})
}

func (s *suite) testUsers(t *testing.T) {
	t.Run("CreateUser then GetUser returns every field", func(t *testing.T) {
		st := s.open(t)
		u := NewUser(t, st, "org-1", func(u *publisher.User) {
			u.Email, u.Disabled = "Ravi.Kumar."+uniq()+"@Rajasthan.GOV.in", true
			u.LastLoginAt = ptr(time.Date(2025, 3, 3, 11, 0, 0, 1_500_000, ist))
		})
		got, err := st.GetUser(t.Context(), u.ID)
		Must(t, "GetUser", err)
		AssertEqual(t, "GetUser (the e-mail keeps its case)", got, u)
	})
	t.Run("optional fields left empty come back empty", func(t *testing.T) {
		st := s.open(t)
		u := NewUser(t, st, "", func(u *publisher.User) { u.Role, u.LastLoginAt, u.PasswordHash = publisher.RoleViewer, nil, "" })
		got, err := st.GetUser(t.Context(), u.ID)
		Must(t, "GetUser", err)
		AssertEqual(t, "GetUser", got, u)
	})
	t.Run("GetUserByEmail matches case-insensitively", func(t *testing.T) {
		st := s.open(t)
		u := NewUser(t, st, "org-1", func(u *publisher.User) { u.Email = "Asha.Verma@Example.GOV.in" })
		NewUser(t, st, "org-1")
		for _, e := range []string{"Asha.Verma@Example.GOV.in", "asha.verma@example.gov.in", "ASHA.VERMA@EXAMPLE.GOV.IN"} {
			got, err := st.GetUserByEmail(t.Context(), e)
			Must(t, "GetUserByEmail "+e, err)
			AssertEqual(t, "GetUserByEmail "+e, got, u)
		}
		_, err := st.GetUserByEmail(t.Context(), "asha.verma@example.gov")
		AssertCode(t, "GetUserByEmail of a prefix", err, publisher.ENOTFOUND)
	})
	t.Run("CreateUser refuses a duplicate id with ECONFLICT", func(t *testing.T) {
		st := s.open(t)
		u := NewUser(t, st, "org-1")
		dup := *u
		dup.Email = "other." + uniq() + "@example.org"
		AssertCode(t, "CreateUser", st.CreateUser(t.Context(), &dup), publisher.ECONFLICT)
		got, err := st.GetUser(t.Context(), u.ID)
		Must(t, "GetUser", err)
		AssertEqual(t, "the first user", got, u)
		_, err = st.GetUserByEmail(t.Context(), dup.Email)
		AssertCode(t, "GetUserByEmail of the refused e-mail", err, publisher.ENOTFOUND)
	})
	t.Run("CreateUser refuses an existing e-mail in another case with ECONFLICT", func(t *testing.T) {
		st := s.open(t)
		u := NewUser(t, st, "org-1", func(u *publisher.User) { u.Email = "asha@example.gov.in" })
		for _, e := range []string{"asha@example.gov.in", "Asha@Example.gov.in"} {
			dup := &publisher.User{ID: publisher.NewID(), Email: e, Name: "Dup", Role: publisher.RoleViewer, Lang: "en", CreatedAt: T0, UpdatedAt: T0}
			AssertCode(t, "CreateUser "+e, st.CreateUser(t.Context(), dup), publisher.ECONFLICT)
			_, err := st.GetUser(t.Context(), dup.ID)
			AssertCode(t, "GetUser of the refused user", err, publisher.ENOTFOUND)
		}
		got, err := st.GetUserByEmail(t.Context(), "ASHA@example.gov.in")
		Must(t, "GetUserByEmail", err)
		AssertEqual(t, "the e-mail's owner", got, u)
	})
	t.Run("GetUser and GetUserByEmail return ENOTFOUND for unknown ones", func(t *testing.T) {
		st := s.open(t)
		NewUser(t, st, "org-1")
		_, err := st.GetUser(t.Context(), "no-such-user")
		AssertCode(t, "GetUser", err, publisher.ENOTFOUND)
		_, err = st.GetUserByEmail(t.Context(), "nobody@example.org")
		AssertCode(t, "GetUserByEmail", err, publisher.ENOTFOUND)
	})
	t.Run("UpdateUser replaces every field, clearing optional ones", func(t *testing.T) {
		st := s.open(t)
		u := NewUser(t, st, "org-1")
		up := &publisher.User{ID: u.ID, Email: "new." + uniq() + "@example.org", Name: "Ravi K.", Role: publisher.RoleApprover,
			Lang: "en", PasswordHash: "$argon2id$new", Disabled: true, CreatedAt: at(time.Hour), UpdatedAt: at(2 * time.Hour)}
		Must(t, "UpdateUser", st.UpdateUser(t.Context(), up))
		got, err := st.GetUser(t.Context(), u.ID)
		Must(t, "GetUser", err)
		AssertEqual(t, "updated user", got, up)
		_, err = st.GetUserByEmail(t.Context(), u.Email)
		AssertCode(t, "GetUserByEmail of the old e-mail", err, publisher.ENOTFOUND)
		got, err = st.GetUserByEmail(t.Context(), up.Email)
		Must(t, "GetUserByEmail of the new e-mail", err)
		AssertEqual(t, "user by new e-mail", got, up)
	})
	t.Run("UpdateUser returns ENOTFOUND for an unknown id and creates nothing", func(t *testing.T) {
		st := s.open(t)
		u := &publisher.User{ID: publisher.NewID(), Email: "ghost@example.org", Role: publisher.RoleViewer, CreatedAt: T0, UpdatedAt: T0}
		AssertCode(t, "UpdateUser", st.UpdateUser(t.Context(), u), publisher.ENOTFOUND)
		_, err := st.GetUserByEmail(t.Context(), u.Email)
		AssertCode(t, "GetUserByEmail", err, publisher.ENOTFOUND)
	})
	t.Run("UpdateUser changing the case of its own e-mail is not a conflict", func(t *testing.T) {
		st := s.open(t)
		u := NewUser(t, st, "org-1", func(u *publisher.User) { u.Email = "ravi@example.gov.in" })
		u.Email, u.LastLoginAt = "Ravi@Example.gov.in", atp(5*time.Hour)
		Must(t, "UpdateUser", st.UpdateUser(t.Context(), u))
		got, err := st.GetUserByEmail(t.Context(), "ravi@example.gov.in")
		Must(t, "GetUserByEmail", err)
		AssertEqual(t, "user", got, u)
	})
	t.Run("UpdateUser refuses another user's e-mail, in any case, with ECONFLICT", func(t *testing.T) {
		s.needsUniqueOnUpdate(t)
		st := s.open(t)
		a := NewUser(t, st, "org-1", func(u *publisher.User) { u.Email = "asha@example.gov.in" })
		b := NewUser(t, st, "org-1")
		for _, e := range []string{"asha@example.gov.in", "ASHA@example.gov.in"} {
			up := *b
			up.Email = e
			AssertCode(t, "UpdateUser to "+e, st.UpdateUser(t.Context(), &up), publisher.ECONFLICT)
		}
		got, err := st.GetUser(t.Context(), b.ID)
		Must(t, "GetUser", err)
		AssertEqual(t, "the refused user", got, b)
		got, err = st.GetUserByEmail(t.Context(), a.Email)
		Must(t, "GetUserByEmail", err)
		AssertEqual(t, "the e-mail's owner", got, a)
	})
	t.Run("ListUsers orders by e-mail and filters by organisation and role", func(t *testing.T) {
		st := s.open(t)
		mk := func(email, org string, r publisher.Role) *publisher.User {
			return NewUser(t, st, org, func(u *publisher.User) { u.Email, u.Role = email, r })
		}
		c := mk("chetan@example.org", "org-a", publisher.RoleEditor)
		a := mk("anita@example.org", "org-b", publisher.RoleEditor)
		d := mk("dev@example.org", "", publisher.RoleAdmin)
		b := mk("bhavna@example.org", "org-a", publisher.RoleViewer)
		id := func(u *publisher.User) string { return u.ID }
		cases := []struct {
			name string
			f    publisher.UserFilter
			want []*publisher.User
		}{
			{"no filter", publisher.UserFilter{}, []*publisher.User{a, b, c, d}},
			{"organisation", publisher.UserFilter{OrgID: "org-a"}, []*publisher.User{b, c}},
			{"role", publisher.UserFilter{Role: publisher.RoleEditor}, []*publisher.User{a, c}},
			{"organisation and role", publisher.UserFilter{OrgID: "org-a", Role: publisher.RoleEditor}, []*publisher.User{c}},
			{"nothing matches", publisher.UserFilter{Role: publisher.RoleApprover}, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, err := st.ListUsers(t.Context(), tc.f)
				Must(t, "ListUsers", err)
				assertIDs(t, "ListUsers", ids(got, id), ids(tc.want, id))
				if len(got) == len(tc.want) {
					AssertEqual(t, "ListUsers", got, tc.want)
				}
			})
		}
	})
}

func (s *suite) testSessions(t *testing.T) {
	t.Run("CreateSession then GetSession returns every field", func(t *testing.T) {
		st := s.open(t)
		ss := NewSession(t, st, "user-1", time.Date(2025, 3, 4, 9, 0, 0, 750_000_001, ist))
		got, err := st.GetSession(t.Context(), ss.ID)
		Must(t, "GetSession", err)
		AssertEqual(t, "GetSession", got, ss)
	})
	t.Run("GetSession returns ENOTFOUND for an unknown id", func(t *testing.T) {
		st := s.open(t)
		NewSession(t, st, "user-1", at(time.Hour))
		_, err := st.GetSession(t.Context(), publisher.HashToken("no such token"))
		AssertCode(t, "GetSession", err, publisher.ENOTFOUND)
	})
	t.Run("DeleteSession removes that session only", func(t *testing.T) {
		st := s.open(t)
		a := NewSession(t, st, "user-1", at(time.Hour))
		b := NewSession(t, st, "user-1", at(time.Hour))
		Must(t, "DeleteSession", st.DeleteSession(t.Context(), a.ID))
		_, err := st.GetSession(t.Context(), a.ID)
		AssertCode(t, "GetSession of the deleted session", err, publisher.ENOTFOUND)
		got, err := st.GetSession(t.Context(), b.ID)
		Must(t, "GetSession of the other session", err)
		AssertEqual(t, "the other session", got, b)
		if err := st.DeleteSession(t.Context(), a.ID); err != nil && !publisher.IsCode(err, publisher.ENOTFOUND) {
			t.Errorf("DeleteSession of a deleted session: got %v, want nil or ENOTFOUND", err)
		}
	})
	t.Run("DeleteUserSessions signs one user out everywhere", func(t *testing.T) {
		st := s.open(t)
		a1 := NewSession(t, st, "user-a", at(time.Hour))
		a2 := NewSession(t, st, "user-a", at(2*time.Hour))
		b := NewSession(t, st, "user-b", at(time.Hour))
		Must(t, "DeleteUserSessions", st.DeleteUserSessions(t.Context(), "user-a"))
		for _, ss := range []*publisher.Session{a1, a2} {
			_, err := st.GetSession(t.Context(), ss.ID)
			AssertCode(t, "GetSession of user-a's session", err, publisher.ENOTFOUND)
		}
		got, err := st.GetSession(t.Context(), b.ID)
		Must(t, "GetSession of user-b's session", err)
		AssertEqual(t, "user-b's session", got, b)
		Must(t, "DeleteUserSessions of a user without sessions", st.DeleteUserSessions(t.Context(), "user-c"))
	})
	t.Run("DeleteExpiredSessions removes the sessions that expired before now and counts them", func(t *testing.T) {
		st := s.open(t)
		gone := []*publisher.Session{NewSession(t, st, "user-a", at(-time.Hour)), NewSession(t, st, "user-b", at(-time.Second))}
		kept := []*publisher.Session{NewSession(t, st, "user-a", at(time.Second)), NewSession(t, st, "user-b", at(24*time.Hour))}
		n, err := st.DeleteExpiredSessions(t.Context(), T0)
		Must(t, "DeleteExpiredSessions", err)
		if n != len(gone) {
			t.Errorf("DeleteExpiredSessions removed %d sessions, want %d", n, len(gone))
		}
		for _, ss := range gone {
			_, err := st.GetSession(t.Context(), ss.ID)
			AssertCode(t, "GetSession of an expired session", err, publisher.ENOTFOUND)
		}
		for _, ss := range kept {
			got, err := st.GetSession(t.Context(), ss.ID)
			Must(t, "GetSession of a live session", err)
			AssertEqual(t, "live session", got, ss)
		}
		n, err = st.DeleteExpiredSessions(t.Context(), T0)
		Must(t, "DeleteExpiredSessions again", err)
		if n != 0 {
			t.Errorf("DeleteExpiredSessions again removed %d sessions, want 0", n)
		}
	})
}
