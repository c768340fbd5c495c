package publisher_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prasar/prasar/publisher"
)

// Imports: broken files show every error by line, column and reason and
// write nothing; good files write everything; an import interrupted by a
// store failure is resumed without duplicates; an export imports back
// unchanged.

// registryCounts counts what the registry holds.
func (e *env) registryCounts() string {
	e.t.Helper()
	ctx := context.Background()
	orgs, err := e.store.ListOrgs(ctx, publisher.OrgFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	officers, _ := e.store.ListOfficers(ctx, publisher.OfficerFilter{})
	accounts, _ := e.store.ListAccounts(ctx, publisher.AccountFilter{})
	hs, _ := e.store.ListHandovers(ctx, publisher.HandoverFilter{})
	return fmt.Sprintf("%d orgs, %d officers, %d accounts, %d handovers", len(orgs), len(officers), len(accounts), len(hs))
}

func csvSource(kind publisher.ImportKind, name, data string) publisher.ImportSource {
	src := publisher.ImportSource{Filename: name, Format: "csv"}
	t, errs := publisher.ParseCSV(kind, name, []byte(data))
	if t != nil {
		src.Tables = append(src.Tables, t)
	}
	src.Errors = errs
	return src
}

func errorList(es []publisher.ImportError) string {
	var out []string
	for _, e := range es {
		out = append(out, fmt.Sprintf("%d/%s/%s", e.Line, e.Column, e.Code))
	}
	return strings.Join(out, " ")
}

func TestImportBrokenFilesShowEveryErrorAndWriteNothing(t *testing.T) {
	cases := []struct {
		name  string
		kind  publisher.ImportKind
		data  string
		want  string // line/column/code of every error, in order
		check func(t *testing.T, es []publisher.ImportError)
	}{
		{
			name: "wrong columns",
			kind: publisher.ImportOrganisations,
			data: "code,type,parent,name_en,naam\nAGRI2,department,,Agri,कृषि\n",
			want: "1/parent/unknown_column 1/naam/unknown_column 1/name_hi/missing_column",
		},
		{
			name: "a column twice",
			kind: publisher.ImportOrganisations,
			data: "code,type,name_en,name_hi,Name EN\nX1,board,A,अ,B\n",
			want: "1/name_en/duplicate_column",
		},
		{
			name: "duplicate codes, bad types, missing names, unknown parents",
			kind: publisher.ImportOrganisations,
			data: "code,type,parent_code,name_en,name_hi\n" +
				"HSAMB,board,AGRI,Haryana State Agricultural Marketing Board,हरियाणा राज्य कृषि विपणन बोर्ड\n" +
				"HSAMB,board,AGRI,Duplicate,डुप्लिकेट\n" +
				"HVPN,utility,NOPE,Haryana Vidyut Prasaran Nigam,\n" +
				"HHH,board,,Hindi in Latin letters,Haryana\n" +
				"bad code!,board,,X,क\n",
			want: "3/code/duplicate_code 4/type/invalid_type 4/name_hi/required 5/name_hi/not_devanagari 6/code/invalid_code 4/parent_code/unknown_parent",
			check: func(t *testing.T, es []publisher.ImportError) {
				if es[0].Message != "The code HSAMB is also on line 2." || es[5].Value != "NOPE" {
					t.Errorf("messages: %q, %q", es[0].Message, es[5].Value)
				}
			},
		},
		{
			name: "parents in a circle",
			kind: publisher.ImportOrganisations,
			data: "code,type,parent_code,name_en,name_hi\nA1,board,B1,A,अ\nB1,board,A1,B,ब\n",
			want: "2/parent_code/parent_cycle 3/parent_code/parent_cycle",
		},
		{
			name: "bad e-mails and phones, unknown organisations, two nodal officers",
			kind: publisher.ImportOfficers,
			data: "org_code,kind,name,designation,posting,email,phone\n" +
				"AGRI,nodal,Sunita Malik,Deputy Director,Panchkula,nodal.agri@,+91 98765 10001\n" +
				"AGRI,nodal,Rakesh Kumar,PRO,Panchkula,rakesh kumar@example.gov.in,98765\n" +
				"NOPE,alternate,Asha,PRO,Karnal,asha@example.gov.in,0184-2222222\n" +
				"HEALTH,deputy,Vinod,PRO,Panchkula,vinod@example.gov.in,0172-2222222\n",
			want: "2/email/invalid_email 3/org_code/duplicate_officer 3/email/invalid_email 3/phone/invalid_phone 4/org_code/unknown_org 5/kind/invalid_kind",
			check: func(t *testing.T, es []publisher.ImportError) {
				if es[0].Value != "nodal.agri@" || !strings.Contains(es[1].Message, "line 2") {
					t.Errorf("e-mail error value %q, duplicate message %q", es[0].Value, es[1].Message)
				}
			},
		},
		{
			name: "accounts: platforms, duplicates, another organisation's account, URLs, recovery e-mails",
			kind: publisher.ImportAccounts,
			data: "org_code,platform,handle,profile_url,recovery_email,two_factor\n" +
				"AGRI,orkut,@agri,,,\n" +
				"AGRI,x,@AgriNew,https://x.com/AgriNew,social.agri@hry.gov.in,enabled\n" +
				"AGRI,x,@agrinew,,,\n" +
				"AGRI,facebook,@facebook5001,,,\n" +
				"AGRI,instagram,@agri_ig,ftp://insta,recovery@,maybe\n",
			want: "2/platform/invalid_choice 4/handle/duplicate_account 5/handle/account_taken 6/profile_url/invalid_url 6/two_factor/invalid_choice 6/recovery_email/invalid_email",
			check: func(t *testing.T, es []publisher.ImportError) {
				if es[2].Message != "This Facebook account is registered to HEALTH." {
					t.Errorf("account_taken message = %q", es[2].Message)
				}
			},
		},
		{
			name: "not UTF-8",
			kind: publisher.ImportOrganisations,
			data: "code,type,name_en,name_hi\nAGRI2,department,Agri,ok\nX,board,Caf\xe9,\xe0\xa4\n",
			want: "3//not_utf8",
		},
		{
			name: "broken quoting",
			kind: publisher.ImportOrganisations,
			data: "code,type,name_en,name_hi\nX,board,\"Unclosed,क\n",
			want: "2//bad_csv",
		},
		{
			name: "header only",
			kind: publisher.ImportAccounts,
			data: "org_code,platform,handle\n",
			want: "1//empty",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			before := e.registryCounts()
			for _, dry := range []bool{true, false} {
				res, err := e.svc.ImportRegistry(as(e.admin), csvSource(c.kind, c.name+".csv", c.data), dry)
				if err != nil {
					t.Fatal(err)
				}
				if res.Valid || res.Batch != nil {
					t.Fatalf("a broken file was accepted: %+v", res)
				}
				if got := errorList(res.Errors); got != c.want {
					t.Fatalf("errors:\n got %s\nwant %s\n%+v", got, c.want, res.Errors)
				}
				for _, ie := range res.Errors {
					if ie.Table != c.name+".csv" || ie.Message == "" {
						t.Fatalf("error without its file or reason: %+v", ie)
					}
				}
				if c.check != nil {
					c.check(t, res.Errors)
				}
			}
			if after := e.registryCounts(); after != before {
				t.Fatalf("a refused import wrote: %s → %s", before, after)
			}
		})
	}
}

func TestImportOfAGoodFileWithAnErrorElsewhereWritesNothing(t *testing.T) {
	e := newEnv(t)
	before := e.registryCounts()
	orgs, _ := publisher.ParseCSV(publisher.ImportOrganisations, "orgs.csv", []byte("code,type,parent_code,name_en,name_hi\nHSAMB,board,AGRI,Marketing Board,कृषि विपणन बोर्ड\n"))
	officers, _ := publisher.ParseCSV(publisher.ImportOfficers, "officers.csv", []byte("org_code,name,designation,posting,email,phone\nHSAMB,Ravi,PRO,Panchkula,ravi@,0172-2740000\n"))
	res, err := e.svc.ImportRegistry(as(e.admin), publisher.ImportSource{Filename: "registry", Tables: []*publisher.ImportTable{orgs, officers}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Valid || errorList(res.Errors) != "2/email/invalid_email" || res.Summary.Organisations.Create != 1 {
		t.Fatalf("result = %+v", res)
	}
	if after := e.registryCounts(); after != before {
		t.Fatalf("half an import was written: %s → %s", before, after)
	}
}

func TestImportHindiNamesWithNuktaAndTheDemoRegistry(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	data, err := os.ReadFile("../cmd/prasar/demo/haryana-organisations.csv")
	if err != nil {
		t.Fatal(err)
	}
	// The demo registry, less AGRI and HEALTH which the test env has, plus
	// rows whose Hindi names have nukta letters typed both ways: फ़ (U+095E)
	// precomposed, and ज + ◌़; with a byte-order mark as Excel saves it.
	var rows []string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if !strings.HasPrefix(l, "AGRI,") && !strings.HasPrefix(l, "HEALTH,") {
			rows = append(rows, l)
		}
	}
	rows = append(rows, "D-FARIDABAD2,district,,District Administration Faridabad (test),जिला प्रशासन \u095Eरीदाबाद",
		"ZILA,board,AGRI,Zila Parishad Board,\u091C\u093Cिला परिषद बोर्ड")
	csvData := "\uFEFF" + strings.Join(rows, "\r\n") + "\r\n"
	res, err := e.svc.ImportRegistry(as(e.admin), csvSource(publisher.ImportOrganisations, "haryana.csv", csvData), true)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Valid || res.Summary.Organisations.Create != len(rows)-1 {
		t.Fatalf("dry run = %+v / %s", res.Summary, errorList(res.Errors))
	}
	if n, _ := e.store.ListOrgs(ctx, publisher.OrgFilter{}); len(n) != 2 {
		t.Fatal("the dry run wrote")
	}
	res, err = e.svc.ImportRegistry(as(e.admin), csvSource(publisher.ImportOrganisations, "haryana.csv", csvData), false)
	if err != nil || !res.Valid || res.Batch == nil || res.Batch.Status != publisher.ImportDone {
		t.Fatalf("import = %+v (%v)", res, err)
	}
	f, err := e.store.GetOrgByCode(ctx, "D-FARIDABAD2")
	if err != nil {
		t.Fatal(err)
	}
	if f.NameHI != "जिला प्रशासन \u092B\u093Cरीदाबाद" {
		t.Fatalf("the precomposed nukta letter was stored as %q (% x)", f.NameHI, f.NameHI)
	}
	z, _ := e.store.GetOrgByCode(ctx, "ZILA")
	if z.NameHI != "\u091C\u093Cिला परिषद बोर्ड" || z.ParentID != e.org.ID {
		t.Fatalf("ZILA = %+v", z)
	}
	hvpn, _ := e.store.GetOrgByCode(ctx, "HVPN")
	power, _ := e.store.GetOrgByCode(ctx, "POWER")
	if hvpn == nil || power == nil || hvpn.ParentID != power.ID {
		t.Fatal("a unit was not put under its department")
	}
	// Importing the same file again changes nothing; the same name typed
	// with the other nukta form is no change either.
	again := strings.Replace(csvData, "\u095Eरीदाबाद", "\u092B\u093Cरीदाबाद", 1)
	res, err = e.svc.ImportRegistry(as(e.admin), csvSource(publisher.ImportOrganisations, "haryana.csv", again), true)
	if err != nil || res.Summary.Organisations.Unchanged != len(rows)-1 || res.Summary.Organisations.Create+res.Summary.Organisations.Update != 0 {
		t.Fatalf("re-import = %+v (%v)", res.Summary, err)
	}
}

// failingStore fails the nth CreateOrg (1-based) once.
type failingStore struct {
	publisher.Store
	n, calls atomic.Int32
}

func (f *failingStore) CreateOrg(ctx context.Context, o *publisher.Organisation) error {
	if f.calls.Add(1) == f.n.Load() {
		return publisher.WrapError(publisher.EINTERNAL, errors.New("disk I/O error"), "sqlitestore: creating an organisation")
	}
	return f.Store.CreateOrg(ctx, o)
}

func TestImportInterruptedByTheStoreIsResumedWithoutDuplicates(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	fs := &failingStore{Store: e.store}
	fs.n.Store(3)
	svc, err := publisher.New(publisher.Config{}, publisher.Deps{Store: fs, Enqueuer: e.queue, Keyring: e.keyring, Hasher: passhashCheap(), Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	orgs := "code,type,parent_code,name_en,name_hi\n" +
		"B1,board,AGRI,Board One,बोर्ड एक\nB2,board,AGRI,Board Two,बोर्ड दो\nB3,board,B2,Board Three,बोर्ड तीन\nB4,board,,Board Four,बोर्ड चार\n"
	accounts := "org_code,platform,handle,two_factor\nB3,x,@BoardThree,enabled\nB4,koo,@BoardFour,\n"
	ot, _ := publisher.ParseCSV(publisher.ImportOrganisations, "orgs.csv", []byte(orgs))
	at, _ := publisher.ParseCSV(publisher.ImportAccounts, "accounts.csv", []byte(accounts))
	src := publisher.ImportSource{Filename: "registry.xlsx", Format: "xlsx", Tables: []*publisher.ImportTable{ot, at}}
	res, err := svc.ImportRegistry(as(e.admin), src, false)
	wantCode(t, err, publisher.EUNAVAILABLE)
	if res == nil || res.Batch == nil || res.Batch.Status != publisher.ImportFailed || res.Batch.Written != 2 {
		t.Fatalf("interrupted import = %+v", res)
	}
	stored, _ := e.store.GetImportBatch(ctx, res.Batch.ID)
	if stored.Status != publisher.ImportFailed || stored.Written != 2 {
		t.Fatalf("stored batch = %s after %d steps", stored.Status, stored.Written)
	}
	for range 2 {
		b, err := svc.ResumeImport(as(e.admin), res.Batch.ID)
		if err != nil {
			t.Fatal(err)
		}
		if b.Status != publisher.ImportDone || b.Written != 6 {
			t.Fatalf("resumed batch = %s, %d written", b.Status, b.Written)
		}
	}
	all, _ := e.store.ListOrgs(ctx, publisher.OrgFilter{})
	if len(all) != 6 {
		t.Fatalf("%d organisations after resuming, want 6 (2 + 4, none twice)", len(all))
	}
	b3, _ := e.store.GetOrgByCode(ctx, "B3")
	b2, _ := e.store.GetOrgByCode(ctx, "B2")
	if b3.ParentID != b2.ID {
		t.Fatal("B3 is not under B2")
	}
	as3, _ := e.store.ListAccounts(ctx, publisher.AccountFilter{OrgID: b3.ID})
	b4, _ := e.store.GetOrgByCode(ctx, "B4")
	as4, _ := e.store.ListAccounts(ctx, publisher.AccountFilter{OrgID: b4.ID})
	if len(as3) != 1 || as3[0].Status != publisher.AccountDisconnected || len(as4) != 1 || as4[0].Status != publisher.AccountDefunct {
		t.Fatalf("accounts = %+v / %+v", as3, as4)
	}
	ps, _ := e.store.ListAccountProfiles(ctx, []string{as3[0].ID})
	if len(ps) != 1 || ps[0].TwoFactor != publisher.TwoFactorEnabled {
		t.Fatalf("profile = %+v", ps)
	}
}

func TestExportImportsBackUnchanged(t *testing.T) {
	e := newEnv(t)
	e.appoint(e.org, "Sunita Malik", "sunita@example.gov.in", e.editor.ID)
	if _, err := e.svc.SaveAccountProfile(as(e.editor), e.xAcct.ID, publisher.AccountProfileInput{Verification: publisher.VerificationVerified,
		Badge: "grey", TwoFactor: publisher.TwoFactorEnabled, RecoveryEmail: "social.agri@hry.gov.in"}); err != nil {
		t.Fatal(err)
	}
	ex, err := e.svc.ExportRegistry(as(e.admin))
	if err != nil {
		t.Fatal(err)
	}
	var src publisher.ImportSource
	for _, k := range publisher.ImportKinds {
		data, err := ex.Table(string(k)).WriteCSV()
		if err != nil {
			t.Fatal(err)
		}
		tb, errs := publisher.ParseCSV(k, string(k)+".csv", data)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		src.Tables = append(src.Tables, tb)
	}
	res, err := e.svc.ImportRegistry(as(e.admin), src, true)
	if err != nil {
		t.Fatal(err)
	}
	s := res.Summary
	if !res.Valid || s.Organisations != (publisher.ImportCounts{Unchanged: 2}) || s.Officers != (publisher.ImportCounts{Unchanged: 1}) ||
		s.Accounts != (publisher.ImportCounts{Unchanged: 5}) {
		t.Fatalf("re-importing the export = %+v, errors %s", s, errorList(res.Errors))
	}
	_, err = e.svc.ImportRegistry(as(e.editor), src, true)
	wantCode(t, err, publisher.EFORBIDDEN)
}
