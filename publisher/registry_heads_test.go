package publisher_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

// Heads of department in the registry: appointed like the other officers
// (a term, its versions, a handover record), without the credential
// rotation and loss of access that follow a nodal officer's replacement,
// and imported and exported with the kind "head".

func TestRegistryAppointsHeadsOfDepartment(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	nodal := e.appoint(e.org, "Sunita Malik", "sunita@example.gov.in", e.editor.ID)

	_, err := e.svc.AppointOfficer(as(e.admin), e.org.ID, publisher.AppointInput{Kind: "chief", OfficerEdit: publisher.OfficerEdit{Name: "X"}})
	wantField(t, err, "kind", "invalid_choice")
	_, err = e.svc.AppointOfficer(as(e.admin), e.org.ID, publisher.AppointInput{Kind: publisher.OfficerHead,
		OfficerEdit: publisher.OfficerEdit{Name: " ", Email: "not-mail", Phone: "12"}})
	wantField(t, err, "name", "required")
	wantField(t, err, "email", "invalid_email")
	wantField(t, err, "phone", "invalid_phone")
	for _, f := range publisher.ErrorFields(err) {
		if f.Field == "designation" || f.Field == "posting" {
			t.Errorf("a head of department needs no %s: %+v", f.Field, f)
		}
	}
	_, err = e.svc.AppointOfficer(as(e.editor), e.org.ID, publisher.AppointInput{Kind: publisher.OfficerHead, OfficerEdit: publisher.OfficerEdit{Name: "X"}})
	wantCode(t, err, publisher.EFORBIDDEN)

	// The first head: a name is enough; the head signs in as an editor of
	// the organisation.
	first, err := e.svc.AppointOfficer(as(e.admin), e.org.ID, publisher.AppointInput{Kind: publisher.OfficerHead, UserID: e.editor.ID,
		OfficerEdit: publisher.OfficerEdit{Name: "Dr. Raja Sekhar Vundru", Designation: "Additional Chief Secretary"}})
	if err != nil {
		t.Fatal(err)
	}
	if first.Kind != publisher.OfficerHead || first.Status != publisher.HandoverComplete || first.Appointed == nil || first.Appointed.Kind != publisher.OfficerHead {
		t.Fatalf("first head = %+v", first)
	}
	e.clock.Add(24 * time.Hour)
	// The next head replaces the first; the nodal officer stays.
	next, err := e.svc.AppointOfficer(as(e.admin), e.org.ID, publisher.AppointInput{Kind: publisher.OfficerHead,
		OfficerEdit: publisher.OfficerEdit{Name: "Anurag Rastogi", Designation: "ACS", Email: "ACS.Agri@Example.gov.in", Phone: "0172-2740000"}})
	if err != nil {
		t.Fatal(err)
	}
	if next.FromOfficerID != first.ToOfficerID || len(next.Accounts) != 0 || next.AccessRevoked || next.Status != publisher.HandoverComplete {
		t.Errorf("replacing a head = %+v; want the old head ended, nothing to rotate, access kept, complete", next)
	}
	if next.Appointed.Email != "acs.agri@example.gov.in" {
		t.Errorf("head's e-mail %q, want it lower-cased", next.Appointed.Email)
	}
	if u, _ := e.store.GetUser(ctx, e.editor.ID); u.Disabled {
		t.Error("replacing a head of department disabled the old head's user (an editor of the organisation)")
	}
	var heads, nodals []string
	for _, o := range e.current(e.org) {
		switch o.Kind {
		case publisher.OfficerHead:
			heads = append(heads, o.Name)
		case publisher.OfficerNodal:
			nodals = append(nodals, o.Name)
		}
	}
	if strings.Join(heads, ",") != "Anurag Rastogi" || len(nodals) != 1 || nodals[0] != nodal.Appointed.Name {
		t.Errorf("current heads %v, nodal officers %v; want the new head and the nodal officer unchanged", heads, nodals)
	}
	revs, err := e.store.ListOfficerRevisions(ctx, publisher.OfficerRevisionFilter{OrgID: e.org.ID})
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, r := range revs {
		if r.Officer.Kind == publisher.OfficerHead {
			reasons = append(reasons, r.Officer.Name+":"+r.Reason)
		}
	}
	for _, want := range []string{"Dr. Raja Sekhar Vundru:appointed", "Dr. Raja Sekhar Vundru:term_ended", "Anurag Rastogi:appointed"} {
		if !strings.Contains(strings.Join(reasons, " "), want) {
			t.Errorf("the heads' versions %v lack %q", reasons, want)
		}
	}
	ns, _, err := e.store.ListNotifications(ctx, publisher.NotificationFilter{UserID: e.admin.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) == 0 || ns[0].Kind != "officer.handover" || !strings.Contains(ns[0].Subject, "head of department") || strings.Contains(ns[0].Body, "passwords") {
		t.Errorf("the administrators' notice = %+v, want the new head of department without a credential rotation", ns)
	}
	// An administrator edits the head's details; a head needs no posting.
	res, err := e.svc.EditOfficer(as(e.admin), next.ToOfficerID, publisher.OfficerEdit{Name: "Anurag Rastogi", Designation: "Additional Chief Secretary"}, "")
	if err != nil || res.Officer.Designation != "Additional Chief Secretary" || res.Officer.Email != "" {
		t.Errorf("editing the head = %+v, %v", res, err)
	}
	// The registry page shows the head among the organisation's officers.
	page, err := e.svc.RegistryOrg(as(e.approver), e.org.ID)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, o := range page.Officers {
		found = found || (o.Kind == publisher.OfficerHead && o.Name == "Anurag Rastogi" && o.EndDate == nil)
	}
	if !found {
		t.Errorf("the registry page's officers lack the current head: %+v", page.Officers)
	}
}

func TestSetOrgHeadIsTheRegistrysAppointment(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	e.clock.Add(time.Minute)
	h, err := e.svc.SetOrgHead(as(e.admin), e.org.ID, publisher.HeadInput{Name: "Anurag Rastogi", Designation: "ACS", OrderRef: "No. 12/2026-GAD"})
	if err != nil {
		t.Fatal(err)
	}
	hs, err := e.svc.ListHandovers(as(e.admin), e.org.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 1 || hs[0].Kind != publisher.OfficerHead || hs[0].ToOfficerID != h.ID || hs[0].FromOfficerID == "" || len(hs[0].Accounts) != 0 {
		t.Fatalf("handovers after SetOrgHead = %+v; want one of kind head from the old head, nothing to rotate", hs)
	}
	revs, err := e.store.ListOfficerRevisions(ctx, publisher.OfficerRevisionFilter{OfficerID: h.ID})
	if err != nil || len(revs) != 1 || revs[0].Reason != "appointed" {
		t.Errorf("the head's versions = %+v, %v; want the appointment", revs, err)
	}
	if u, _ := e.store.GetUser(ctx, e.hod.ID); u.Disabled {
		t.Error("the old head's user was disabled")
	}
}

func TestImportAndExportCarryHeadsOfDepartment(t *testing.T) {
	e := newEnv(t)
	e.appoint(e.org, "Sunita Malik", "sunita@example.gov.in", e.editor.ID)
	bad := "org_code,kind,name,designation,posting,email,phone\n" +
		"AGRI,chief,A,B,C,a@example.gov.in,+91 98765 43210\n" +
		"AGRI,head,,ACS,,,\n" +
		"AGRI,head,X,ACS,,not-mail,\n"
	res, err := e.svc.ImportRegistry(as(e.admin), csvSource(publisher.ImportOfficers, "officers.csv", bad), true)
	if err != nil {
		t.Fatal(err)
	}
	if got := errorList(res.Errors); res.Valid || !strings.Contains(got, "2/kind/invalid_kind") || !strings.Contains(got, "3/name/required") ||
		!strings.Contains(got, "4/email/invalid_email") || !strings.Contains(got, "4/org_code/duplicate_officer") {
		t.Fatalf("errors = %s", got)
	}
	good := "org_code,kind,name,designation,posting,email,phone\n" +
		"AGRI,head,Dr. Raja Sekhar Vundru,Additional Chief Secretary,,,\n" +
		"HEALTH,Head,Sudhir Rajpal,ACS,Chandigarh,acs.health@example.gov.in,0172-2740001\n"
	res, err = e.svc.ImportRegistry(as(e.admin), csvSource(publisher.ImportOfficers, "heads.csv", good), false)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Valid || res.Summary.Officers != (publisher.ImportCounts{Create: 2}) {
		t.Fatalf("import of heads = %+v, errors %s", res.Summary, errorList(res.Errors))
	}
	var heads []string
	for _, org := range []*publisher.Organisation{e.org, e.otherOrg} {
		for _, o := range e.current(org) {
			if o.Kind == publisher.OfficerHead {
				heads = append(heads, org.Code+":"+o.Name)
			}
		}
	}
	if strings.Join(heads, ",") != "AGRI:Dr. Raja Sekhar Vundru,HEALTH:Sudhir Rajpal" {
		t.Errorf("current heads after the import = %v", heads)
	}
	if u, _ := e.store.GetUser(context.Background(), e.editor.ID); u.Disabled {
		t.Error("importing a head replaced the nodal officer")
	}
	// Importing the same file again changes nothing (the head without an
	// e-mail is matched by name).
	res, err = e.svc.ImportRegistry(as(e.admin), csvSource(publisher.ImportOfficers, "heads.csv", good), true)
	if err != nil || !res.Valid || res.Summary.Officers != (publisher.ImportCounts{Unchanged: 2}) {
		t.Fatalf("importing the heads again = %+v, %v, errors %s", res.Summary, err, errorList(res.Errors))
	}
	// The export's officers table has the heads with their kind, and
	// imports back unchanged.
	ex, err := e.svc.ExportRegistry(as(e.admin))
	if err != nil {
		t.Fatal(err)
	}
	data, err := ex.Table(string(publisher.ImportOfficers)).WriteCSV()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "AGRI,head,Dr. Raja Sekhar Vundru") || !strings.Contains(string(data), "AGRI,nodal,Sunita Malik") {
		t.Errorf("the exported officers lack a head or the nodal officer:\n%s", data)
	}
	tb, errs := publisher.ParseCSV(publisher.ImportOfficers, "officers.csv", data)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	res, err = e.svc.ImportRegistry(as(e.admin), publisher.ImportSource{Filename: "officers.csv", Format: "csv", Tables: []*publisher.ImportTable{tb}}, true)
	if err != nil || !res.Valid || res.Summary.Officers != (publisher.ImportCounts{Unchanged: 3}) {
		t.Fatalf("re-importing the exported officers = %+v, %v, errors %s", res.Summary, err, errorList(res.Errors))
	}
}
