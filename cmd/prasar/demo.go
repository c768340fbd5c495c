package main

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prasar/prasar/publisher"
)

// The registry of Haryana's departments, boards, corporations, authorities,
// commissions and district administrations (English and Hindi names as
// publicly used; codes are Prasar's own short labels).
//
//go:embed demo/haryana-organisations.csv
var demoOrgsCSV []byte

// demoOrg is an organisation the demo gives officers, users and accounts.
type demoOrg struct {
	Code, Handle string
	Officer      publisher.Officer
	Editor       string // e-mail of its editor
}

var demoOrgs = []demoOrg{
	{"AGRI", "AgricultureHry", publisher.Officer{Name: "Sunita Malik", Designation: "Deputy Director (Publicity)", Posting: "Krishi Bhawan, Panchkula", Rank: "Deputy Director", Email: "nodal.agri@example.gov.in", Phone: "+91 98765 10001"}, "editor.agri@example.gov.in"},
	{"HEALTH", "HealthHry", publisher.Officer{Name: "Dr. Rajesh Yadav", Designation: "Assistant Director (IEC)", Posting: "Directorate of Health Services, Panchkula", Rank: "Assistant Director", Email: "nodal.health@example.gov.in", Phone: "+91 98765 10002"}, "editor.health@example.gov.in"},
	{"SEDU", "EduHry", publisher.Officer{Name: "Kavita Rani", Designation: "Joint Director (Academic)", Posting: "Shiksha Sadan, Panchkula", Rank: "Joint Director", Email: "nodal.sedu@example.gov.in", Phone: "+91 98765 10003"}, "editor.sedu@example.gov.in"},
	{"TRANSPORT", "TransportHry", publisher.Officer{Name: "Amit Saini", Designation: "Public Relations Officer", Posting: "Haryana Roadways HQ, Chandigarh", Rank: "PRO", Email: "nodal.transport@example.gov.in", Phone: "+91 98765 10004"}, "editor.transport@example.gov.in"},
	{"HTC", "HaryanaTourism", publisher.Officer{Name: "Neha Gill", Designation: "Manager (Marketing)", Posting: "Haryana Tourism Corporation, Chandigarh", Rank: "Manager", Email: "nodal.htc@example.gov.in", Phone: "+91 98765 10005"}, "editor.htc@example.gov.in"},
	{"D-KARNAL", "DC_Karnal", publisher.Officer{Name: "Vikram Singh", Designation: "District Information and Public Relations Officer", Posting: "Mini Secretariat, Karnal", Rank: "DIPRO", Email: "nodal.karnal@example.gov.in", Phone: "+91 98765 10006"}, "editor.karnal@example.gov.in"},
	{"DIPRL", "DiprHaryana", publisher.Officer{Name: "Pooja Verma", Designation: "Information and Public Relations Officer (Digital Media)", Posting: "Digital Media Section, Chandigarh", Rank: "IPRO", Email: "nodal.diprl@example.gov.in", Phone: "+91 98765 10007"}, "editor.diprl@example.gov.in"},
}

// demoUser is a demo sign-in.
type demoUser struct {
	Email, Name string
	Role        publisher.Role
	OrgCode     string
	Lang        string
}

func demoUsers() []demoUser {
	us := []demoUser{
		{"admin@example.gov.in", "Digital Media Section Admin", publisher.RoleAdmin, "DIPRL", "en"},
		{"approver@example.gov.in", "Ritu Sharma (PR Section)", publisher.RoleApprover, "DIPRL", "hi"},
		{"approver2@example.gov.in", "Manoj Kumar (PR Section)", publisher.RoleApprover, "DIPRL", "en"},
		{"viewer@example.gov.in", "Chief Minister's Office (read-only)", publisher.RoleViewer, "", "en"},
	}
	for _, o := range demoOrgs {
		us = append(us, demoUser{o.Editor, o.Officer.Name, publisher.RoleEditor, o.Code, "hi"})
	}
	us = append(us, demoHeadUsers()...) // demo_cases.go
	return us
}

// demoPlatformIDs gives each platform a realistic shape of account id.
var demoPlatformIDs = map[publisher.Platform]string{
	publisher.Facebook:  "1010%04d",
	publisher.Instagram: "178414%04d",
	publisher.X:         "14650%04d",
	publisher.Threads:   "2690%04d",
	publisher.Telegram:  "-100190%04d",
	publisher.Mastodon:  "11090%04d",
	publisher.Bluesky:   "did:plc:hry%04d",
	publisher.LinkedIn:  "urn:li:organization:90%04d",
	publisher.Koo:       "koo%04d",
}

// tokenMinter mints sandbox credentials for demo accounts.
type tokenMinter interface {
	MintToken(platform, accountID, displayName string, ttl time.Duration) string
}

// seedDemo fills an empty store with the demo: the registry of Haryana's
// organisations, nodal officers and users for a handful of them, sandbox
// accounts on every platform, and a few posts and cases (and, once the
// HTTP server is up, seedDemoHistory adds the past month). It returns the
// demo password and whether this start wrote the demo's content (its first
// start).
func seedDemo(ctx context.Context, c Config, store publisher.Store, svc *publisher.Service, minter tokenMinter) (string, bool, error) {
	ctx = publisher.SystemContext(ctx)
	if c.Demo == "off" {
		return "", false, nil
	}
	password, err := demoPassword(c)
	if err != nil {
		return "", false, err
	}
	if c.Demo == "auto" {
		users, err := store.ListUsers(ctx, publisher.UserFilter{})
		if err != nil {
			return "", false, err
		}
		if len(users) > 0 {
			return password, false, nil
		}
	}

	// The demo's content (posts, cases, its past month) is written once:
	// PRASAR_DEMO=on at a later start only fills in what is missing of the
	// registry, the users and the accounts.
	_, err = store.GetUserByEmail(ctx, demoUsers()[0].Email)
	fresh := publisher.IsCode(err, publisher.ENOTFOUND)
	if err != nil && !fresh {
		return "", false, err
	}

	// Organisations, parents first.
	rows, err := csv.NewReader(bytes.NewReader(demoOrgsCSV)).ReadAll()
	if err != nil {
		return "", false, fmt.Errorf("demo organisations: %w", err)
	}
	ids := map[string]string{}
	for pass := 0; pass < 2; pass++ {
		for _, r := range rows[1:] {
			code, typ, parent, en, hi := r[0], r[1], r[2], r[3], r[4]
			if _, done := ids[code]; done || (pass == 0) != (parent == "") {
				continue
			}
			if o, err := store.GetOrgByCode(ctx, code); err == nil {
				ids[code] = o.ID
				continue
			}
			district := ""
			if typ == "district" {
				district = strings.TrimPrefix(en, "District Administration ")
			}
			o, err := svc.CreateOrg(ctx, publisher.OrgInput{Code: code, Type: publisher.OrgType(typ), ParentID: ids[parent], NameEN: en, NameHI: hi, District: district})
			if err != nil {
				return "", false, fmt.Errorf("demo organisation %s: %w", code, err)
			}
			ids[code] = o.ID
		}
	}

	// Nodal officers.
	start := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, d := range demoOrgs {
		existing, err := store.ListOfficers(ctx, publisher.OfficerFilter{OrgID: ids[d.Code]})
		if err != nil {
			return "", false, err
		}
		if len(existing) > 0 {
			continue
		}
		o := d.Officer
		now := time.Now().UTC()
		o.ID, o.OrgID, o.Kind, o.StartDate, o.CreatedAt, o.UpdatedAt = publisher.NewID(), ids[d.Code], publisher.OfficerNodal, start, now, now
		o.OrderRef = "DIPRL/DMS/2025/" + d.Code
		o.AccountDetails = "Facebook, X, Instagram, Threads, Telegram, Mastodon, Bluesky and LinkedIn accounts as registered in Prasar (sandbox)"
		if err := store.CreateOfficer(ctx, &o); err != nil {
			return "", false, fmt.Errorf("demo officer of %s: %w", d.Code, err)
		}
	}

	// Users.
	for _, u := range demoUsers() {
		if _, err := store.GetUserByEmail(ctx, u.Email); err == nil {
			continue
		}
		if _, err := svc.CreateUser(ctx, publisher.UserInput{Email: u.Email, Name: u.Name, Role: u.Role, OrgID: ids[u.OrgCode], Lang: u.Lang, Password: password}); err != nil {
			return "", false, fmt.Errorf("demo user %s: %w", u.Email, err)
		}
	}

	// Sandbox accounts on every platform Prasar has a connector for, and
	// Koo as the registry entry of a defunct platform.
	accounts := map[string][]string{}
	for i, d := range demoOrgs {
		for _, p := range publisher.Platforms {
			conn := svc.Connector(p)
			if conn == nil && p != publisher.Koo {
				continue
			}
			ext := fmt.Sprintf(demoPlatformIDs[p], i+1)
			handle := "@" + d.Handle
			if p == publisher.Telegram {
				handle = "@" + strings.ToLower(d.Handle)
			}
			org, _ := store.GetOrg(ctx, ids[d.Code])
			in := publisher.AccountInput{OrgID: ids[d.Code], Platform: p, Handle: handle, DisplayName: org.NameEN, ExternalID: ext, Sandbox: true,
				ProfileURL: strings.TrimRight(c.SandboxURL, "/") + "/" + string(p) + "/www/" + ext}
			if conn != nil && p != publisher.Koo {
				in.Credentials = &publisher.Credentials{AccessToken: minter.MintToken(string(p), ext, org.NameEN, 365*24*time.Hour)}
			}
			a, err := svc.SaveAccount(ctx, in)
			if err != nil {
				return "", false, fmt.Errorf("demo %s account of %s: %w", p, d.Code, err)
			}
			if a.Status == publisher.AccountConnected {
				accounts[d.Code] = append(accounts[d.Code], a.ID)
			}
		}
	}
	if err := seedDemoRegistry(ctx, store, svc, ids); err != nil {
		return "", false, err
	}
	if !fresh {
		return password, false, nil
	}
	if err := seedDemoPosts(ctx, store, svc, ids, accounts); err != nil {
		return "", false, err
	}
	if err := seedDemoCases(ctx, store, svc, ids, accounts); err != nil {
		return "", false, err
	}
	if err := seedDemoTokenAlerts(ctx, store, svc, minter, ids); err != nil { // demo_accounts.go
		return "", false, err
	}
	return password, true, nil
}

// seedDemoPosts writes a few posts as the demo users would: one published,
// one waiting for review, one draft.
func seedDemoPosts(ctx context.Context, store publisher.Store, svc *publisher.Service, ids map[string]string, accounts map[string][]string) error {
	as := func(email string) (context.Context, error) {
		u, err := store.GetUserByEmail(ctx, email)
		if err != nil {
			return nil, err
		}
		return publisher.NewContextWithUser(ctx, u), nil
	}
	agri, err := as("editor.agri@example.gov.in")
	if err != nil {
		return err
	}
	health, err := as("editor.health@example.gov.in")
	if err != nil {
		return err
	}
	approver, err := as("approver@example.gov.in")
	if err != nil {
		return err
	}
	p1, err := svc.CreatePost(agri, publisher.PostInput{
		Title: "मेरी फसल मेरा ब्यौरा: रबी पंजीकरण",
		Content: publisher.Content{
			BodyHI: "किसान भाई ध्यान दें! रबी फसलों का पंजीकरण 'मेरी फसल मेरा ब्यौरा' पोर्टल पर 31 दिसंबर तक करवाएं। पंजीकृत किसानों को ही MSP पर खरीद का लाभ मिलेगा।",
			BodyEN: "Farmers: register your rabi crops on the Meri Fasal Mera Byora portal by 31 December. Only registered farmers can sell at MSP.",
			Link:   "https://fasal.haryana.gov.in",
			// X and Bluesky count the two languages together as too long.
			Variants: shortVariants("किसान भाई ध्यान दें! रबी फसलों का पंजीकरण 'मेरी फसल मेरा ब्यौरा' पोर्टल पर 31 दिसंबर तक करवाएं। Register your rabi crops by 31 December."),
		},
		Targets: textTargets(ctx, svc, store, accounts["AGRI"]),
	})
	if err != nil {
		return fmt.Errorf("demo post: %w", err)
	}
	if p1, err = svc.SubmitPost(agri, p1.ID, p1.Revision); err != nil {
		return fmt.Errorf("demo post: %w", err)
	}
	if _, err = svc.ApprovePost(approver, p1.ID, p1.Revision, "Approved for all accounts."); err != nil {
		return fmt.Errorf("demo post: %w", err)
	}
	p2, err := svc.CreatePost(health, publisher.PostInput{
		Title: "Ayushman Bharat card camps",
		Content: publisher.Content{
			BodyHI:   "आयुष्मान भारत - चिरायु हरियाणा: अपने नज़दीकी सामुदायिक स्वास्थ्य केंद्र पर इस सप्ताह विशेष कार्ड शिविर में अपना कार्ड बनवाएं।",
			BodyEN:   "Ayushman Bharat – Chirayu Haryana: special card camps at every Community Health Centre this week. Bring your Parivar Pehchan Patra.",
			Variants: shortVariants("आयुष्मान भारत - चिरायु हरियाणा: इस सप्ताह हर सामुदायिक स्वास्थ्य केंद्र पर कार्ड शिविर। Ayushman card camps at every CHC this week."),
		},
		Targets: textTargets(ctx, svc, store, accounts["HEALTH"]),
	})
	if err != nil {
		return fmt.Errorf("demo post: %w", err)
	}
	if _, err = svc.SubmitPost(health, p2.ID, p2.Revision); err != nil {
		return fmt.Errorf("demo post: %w", err)
	}
	_, err = svc.CreatePost(agri, publisher.PostInput{
		Title:   "Draft: natural farming training",
		Content: publisher.Content{BodyEN: "Free training in natural farming at Krishi Vigyan Kendras across the state. Details soon."},
	})
	if err != nil {
		return fmt.Errorf("demo post: %w", err)
	}
	return nil
}

// textTargets keeps the accounts whose platform takes a text-only post.
func textTargets(ctx context.Context, svc *publisher.Service, store publisher.Store, ids []string) []string {
	var out []string
	for _, id := range ids {
		a, err := store.GetAccount(ctx, id)
		if err != nil {
			continue
		}
		if c := svc.Connector(a.Platform); c != nil && !c.Rules().RequiresMedia {
			out = append(out, id)
		}
	}
	return out
}

// demoPassword returns PRASAR_DEMO_PASSWORD, or the password generated into
// DataDir/demo-credentials.txt (created once, mode 0600).
func demoPassword(c Config) (string, error) {
	if c.DemoPassword != "" {
		return c.DemoPassword, nil
	}
	path := filepath.Join(c.DataDir, "demo-credentials.txt")
	f, err := os.Open(path)
	if err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if pw, ok := strings.CutPrefix(sc.Text(), "password: "); ok {
				return pw, nil
			}
		}
		return "", fmt.Errorf("%s has no password line", path)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	pw := "Demo-" + publisher.NewToken(8)
	var b strings.Builder
	fmt.Fprintf(&b, "# Prasar demo sign-ins (sandbox data). Every demo user has this password.\npassword: %s\n", pw)
	for _, u := range demoUsers() {
		fmt.Fprintf(&b, "%-9s %s\n", u.Role, u.Email)
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return "", err
	}
	if err := writeFileExcl(path, []byte(b.String()), 0o600); err != nil {
		return "", err
	}
	return pw, nil
}

// printDemo writes the demo's sign-ins to w.
func printDemo(w io.Writer, baseURL, password string) {
	fmt.Fprintf(w, "\n  Prasar is running at %s\n\n  Demo sign-ins (password for all: %s):\n", baseURL, password)
	for _, u := range demoUsers() {
		fmt.Fprintf(w, "    %-9s %s\n", u.Role, u.Email)
	}
	fmt.Fprintf(w, "\n  Sandbox platforms: %s/sandbox/\n\n", baseURL)
}
