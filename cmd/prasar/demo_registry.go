package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/prasar/prasar/publisher"
)

// demoRegistryOrg is an organisation whose registry the demo fills in
// partly, so that the compliance review has every kind of gap to show.
type demoRegistryOrg struct {
	Code      string
	Officer   *publisher.Officer
	Platforms []publisher.Platform // accounts registered, not connected
	Handle    string
}

var demoRegistryOrgs = []demoRegistryOrg{
	{"HVPN", &publisher.Officer{Name: "Rajiv Sharma", Designation: "Public Relations Officer", Posting: "Shakti Bhawan, Panchkula", Rank: "PRO",
		Email: "pro.hvpn@example.gov.in", Phone: "+91 172 256 0001"}, []publisher.Platform{publisher.Facebook, publisher.X}, "HVPNL_Official"},
	{"HSVP", &publisher.Officer{Name: "Anita Dahiya", Designation: "Assistant Public Relations Officer", Posting: "HSVP HQ, Panchkula", Rank: "APRO",
		Email: "apro.hsvp@example.gov.in", Phone: "+91 172 257 0002"}, []publisher.Platform{publisher.X}, "HSVPofficial"},
	{"D-GURUGRAM", &publisher.Officer{Name: "Sandeep Kaushik", Designation: "District Information and Public Relations Officer", Posting: "Mini Secretariat, Gurugram",
		Rank: "DIPRO", Email: "dipro.gurugram@example.gov.in", Phone: "+91 124 232 0003"}, []publisher.Platform{publisher.Facebook, publisher.X, publisher.Instagram}, "DC_Gurugram"},
	{"D-PANCHKULA", &publisher.Officer{Name: "Meenakshi Rana", Designation: "District Information and Public Relations Officer", Posting: "Mini Secretariat, Panchkula",
		Rank: "DIPRO", Email: "dipro.panchkula@example.gov.in", Phone: "+91 172 258 0004"}, nil, ""},
	{"POLICE", nil, []publisher.Platform{publisher.Facebook, publisher.X, publisher.Instagram}, "police_haryana"},
}

// seedDemoRegistry fills in the registry of the demo beyond the seeded
// organisations' officers and sandbox accounts: the demo editors become
// their organisations' nodal officers (so that they edit their officer
// details directly), every officer's first version is kept, the demo
// accounts get their registry details (verification, two-factor login,
// recovery e-mail), and a few more organisations get officers and
// registered accounts that are not connected — the compliance review
// then shows full marks, partial ones and every kind of gap.
func seedDemoRegistry(ctx context.Context, store publisher.Store, svc *publisher.Service, ids map[string]string) error {
	for _, d := range demoOrgs {
		os, err := store.ListOfficers(ctx, publisher.OfficerFilter{OrgID: ids[d.Code]})
		if err != nil {
			return err
		}
		u, err := store.GetUserByEmail(ctx, d.Editor)
		if err != nil {
			return fmt.Errorf("demo registry: %w", err)
		}
		for _, o := range os {
			if o.UserID != "" {
				continue
			}
			o.UserID = u.ID
			if err := store.UpdateOfficer(ctx, o); err != nil {
				return fmt.Errorf("demo registry: %w", err)
			}
			if err := keepDemoVersion(ctx, store, o); err != nil {
				return err
			}
		}
		as, err := store.ListAccounts(ctx, publisher.AccountFilter{OrgID: ids[d.Code]})
		if err != nil {
			return err
		}
		for _, a := range as {
			in := publisher.AccountProfileInput{Verification: publisher.VerificationUnknown, TwoFactor: publisher.TwoFactorUnknown}
			switch a.Platform {
			case publisher.Facebook, publisher.Instagram:
				in = publisher.AccountProfileInput{Verification: publisher.VerificationVerified, TwoFactor: publisher.TwoFactorEnabled,
					RecoveryEmail: "social." + strings.ToLower(d.Code) + "@example.gov.in"}
			case publisher.X:
				in = publisher.AccountProfileInput{Verification: publisher.VerificationVerified, Badge: "grey", TwoFactor: publisher.TwoFactorEnabled,
					RecoveryEmail: "social." + strings.ToLower(d.Code) + "@example.gov.in"}
			}
			if _, err := svc.SaveAccountProfile(ctx, a.ID, in); err != nil {
				return fmt.Errorf("demo registry: %w", err)
			}
		}
	}
	start := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	for _, d := range demoRegistryOrgs {
		orgID := ids[d.Code]
		if orgID == "" {
			continue
		}
		if d.Officer != nil {
			os, err := store.ListOfficers(ctx, publisher.OfficerFilter{OrgID: orgID})
			if err != nil {
				return err
			}
			if len(os) == 0 {
				o := *d.Officer
				now := time.Now().UTC()
				o.ID, o.OrgID, o.Kind, o.StartDate, o.CreatedAt, o.UpdatedAt = publisher.NewID(), orgID, publisher.OfficerNodal, start, now, now
				o.OrderRef, o.AccountDetails = "DIPRL/DMS/2025/"+d.Code, "As registered in Prasar"
				if err := store.CreateOfficer(ctx, &o); err != nil {
					return fmt.Errorf("demo officer of %s: %w", d.Code, err)
				}
				if err := keepDemoVersion(ctx, store, &o); err != nil {
					return err
				}
			}
		}
		for _, p := range d.Platforms {
			handle := "@" + d.Handle
			if _, err := svc.RegisterAccount(ctx, publisher.RegisterAccountInput{OrgID: orgID, Platform: p, Handle: handle,
				ProfileURL:          "https://www.example.net/" + string(p) + "/" + d.Handle,
				AccountProfileInput: publisher.AccountProfileInput{TwoFactor: publisher.TwoFactorDisabled}}); err != nil {
				return fmt.Errorf("demo %s account of %s: %w", p, d.Code, err)
			}
		}
	}
	return nil
}

// keepDemoVersion stores an officer's first version, as an appointment
// through Prasar would.
func keepDemoVersion(ctx context.Context, store publisher.Store, o *publisher.Officer) error {
	r := &publisher.OfficerRevision{ID: publisher.NewID(), OfficerID: o.ID, OrgID: o.OrgID, Officer: *o, Reason: "appointed",
		ActorID: publisher.SystemUser.ID, At: o.StartDate}
	if err := store.AddOfficerRevision(ctx, r); err != nil {
		return fmt.Errorf("demo officer version: %w", err)
	}
	return nil
}
