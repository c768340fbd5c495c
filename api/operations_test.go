package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

// opsView decodes an operations answer.
type opsView struct {
	Counts     publisher.DeliveryCounts      `json:"counts"`
	Held       int                           `json:"held"`
	Settings   *publisher.PublishingSettings `json:"settings"`
	Attention  []*publisher.Delivery         `json:"attention"`
	Queues     []QueueDepth                  `json:"queues"`
	QueueError string                        `json:"queueError"`
	At         time.Time                     `json:"at"`
}

func TestOperationsPage(t *testing.T) {
	var queueDown bool
	e := newEnv(t, func(o *envOptions) {
		o.api.QueueStats = func(context.Context) ([]QueueDepth, error) {
			if queueDown {
				return nil, errors.New("redis: connection refused")
			}
			return []QueueDepth{{Queue: "critical"}, {Queue: "deliver_x", Platform: publisher.X, Pending: 12, Retry: 3, LatencyMS: 2500}}, nil
		}
	})
	approver, admin, editor := e.signIn(e.approver), e.signIn(e.admin), e.signIn(e.editorA)
	// A delivery that failed, for the "needs a person" list.
	in := postInput(e.orgA.ID, e.xA.ID)
	in["content"] = map[string]any{"bodyHi": "REJECTME", "bodyEn": ""}
	p := e.approvedPost(editor, approver, in)
	ctx := context.Background()
	if err := e.svc.Fanout(ctx, p.ID, p.Revision); err != nil {
		t.Fatal(err)
	}
	_, ds := e.enq.calls()
	_ = e.svc.Deliver(ctx, ds[0])

	var v opsView
	approver.do("GET", "/api/v1/operations", nil).want(t, http.StatusOK).data(t, &v)
	if v.Counts[publisher.DeliveryFailed] != 1 || len(v.Attention) != 1 || v.Attention[0].ID != ds[0] || v.Settings == nil || v.Settings.Paused != nil {
		t.Fatalf("operations = %+v", v)
	}
	if len(v.Queues) != 2 || v.Queues[1].Pending != 12 || v.Queues[1].Platform != publisher.X || v.QueueError != "" {
		t.Fatalf("queues = %+v (%q)", v.Queues, v.QueueError)
	}
	queueDown = true
	admin.do("GET", "/api/v1/operations", nil).want(t, http.StatusOK).data(t, &v)
	if v.QueueError == "" || len(v.Queues) != 0 || v.Counts[publisher.DeliveryFailed] != 1 {
		t.Fatalf("with the queue down: %+v", v)
	}
	editor.do("GET", "/api/v1/operations", nil).wantError(t, http.StatusForbidden, publisher.EFORBIDDEN)
	e.anon().do("GET", "/api/v1/operations", nil).wantError(t, http.StatusUnauthorized, publisher.EUNAUTHORIZED)
}

func TestPauseSwitches(t *testing.T) {
	e := newEnv(t)
	approver, admin, editor := e.signIn(e.approver), e.signIn(e.admin), e.signIn(e.editorA)
	// All publishing: administrators only.
	approver.do("PUT", "/api/v1/publishing/pause", map[string]any{"paused": true}).wantError(t, http.StatusForbidden, publisher.EFORBIDDEN)
	admin.do("PUT", "/api/v1/publishing/pause", map[string]any{"reason": "x"}).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, "paused")
	var ans pauseAnswer
	admin.do("PUT", "/api/v1/publishing/pause", map[string]any{"paused": true, "reason": "Election code of conduct"}).want(t, http.StatusOK).data(t, &ans)
	if ans.Settings.Paused == nil || ans.Settings.Paused.Reason != "Election code of conduct" || ans.Settings.Paused.ByName != "Asha Admin" {
		t.Fatalf("pause all = %+v", ans.Settings)
	}
	// Everyone sees the switches (the banner).
	var ps publisher.PublishingSettings
	editor.do("GET", "/api/v1/publishing", nil).want(t, http.StatusOK).data(t, &ps)
	if ps.Paused == nil {
		t.Fatal("an editor does not see that publishing is paused")
	}
	admin.do("PUT", "/api/v1/publishing/pause", map[string]any{"paused": false}).want(t, http.StatusOK).data(t, &ans)
	if ans.Settings.Paused != nil {
		t.Fatalf("resume all = %+v", ans.Settings)
	}
	// One organisation: approvers and administrators.
	editor.do("PUT", "/api/v1/orgs/"+e.orgA.ID+"/pause", map[string]any{"paused": true}).wantError(t, http.StatusForbidden, publisher.EFORBIDDEN)
	approver.do("PUT", "/api/v1/orgs/no-such-org/pause", map[string]any{"paused": true}).wantError(t, http.StatusNotFound, publisher.ENOTFOUND)
	approver.do("PUT", "/api/v1/orgs/"+e.orgA.ID+"/pause", map[string]any{"paused": true, "reason": "checking facts"}).want(t, http.StatusOK).data(t, &ans)
	if ans.Settings.PausedOrgs[e.orgA.ID] == nil || ans.Settings.PausedOrgs[e.orgB.ID] != nil {
		t.Fatalf("pause org A = %+v", ans.Settings)
	}
	// A delivery of the paused organisation waits, and goes on resume.
	p := e.approvedPost(editor, approver, postInput(e.orgA.ID, e.xA.ID))
	ctx := context.Background()
	if err := e.svc.Fanout(ctx, p.ID, p.Revision); err != nil {
		t.Fatal(err)
	}
	if _, ds := e.enq.calls(); len(ds) != 0 {
		t.Fatalf("a paused organisation's post fanned out: %v", ds)
	}
	admin.do("PUT", "/api/v1/orgs/"+e.orgA.ID+"/pause", map[string]any{"paused": false}).want(t, http.StatusOK).data(t, &ans)
	if ans.Requeued != 1 || len(ans.Settings.PausedOrgs) != 0 {
		t.Fatalf("resume org A = %+v", ans)
	}
}

func TestRetractOverTheAPI(t *testing.T) {
	e := newEnv(t)
	approver, editor := e.signIn(e.approver), e.signIn(e.editorA)
	p := e.approvedPost(editor, approver, postInput(e.orgA.ID, e.xA.ID))
	ctx := context.Background()
	if err := e.svc.Fanout(ctx, p.ID, p.Revision); err != nil {
		t.Fatal(err)
	}
	_, ds := e.enq.calls()
	if err := e.svc.Deliver(ctx, ds[0]); err != nil {
		t.Fatal(err)
	}
	var v postView
	editor.do("GET", "/api/v1/posts/"+p.ID, nil).want(t, http.StatusOK).data(t, &v)
	p = *v.Post
	editor.step(p, "retract", "wrong").wantError(t, http.StatusForbidden, publisher.EFORBIDDEN)
	approver.step(p, "retract", "").wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, "comment")
	editor.do("GET", "/api/v1/posts/"+p.ID+"/retraction", nil).wantError(t, http.StatusNotFound, publisher.ENOTFOUND)
	var got publisher.Post
	approver.step(p, "retract", "The date was wrong").want(t, http.StatusOK).data(t, &got)
	if got.Status != publisher.PostRetracted {
		t.Fatalf("status %s", got.Status)
	}
	// The fake enqueuer cannot queue a retraction task, so the service ran
	// it at once: X here cannot delete (the fake has no Delete).
	var r publisher.Retraction
	editor.do("GET", "/api/v1/posts/"+p.ID+"/retraction", nil).want(t, http.StatusOK).data(t, &r)
	if !r.Done || len(r.Items) != 1 || r.Items[0].Outcome != publisher.RetractNotSupported || r.Items[0].Message == "" || r.Reason != "The date was wrong" {
		t.Fatalf("retraction = %+v", r)
	}
	// The post list can be filtered by the new status.
	var list []publisher.Post
	editor.do("GET", "/api/v1/posts?status=retracted", nil).want(t, http.StatusOK).data(t, &list)
	if len(list) != 1 || list[0].ID != p.ID {
		t.Fatalf("retracted posts = %v", list)
	}
	// Another organisation's editor sees nothing.
	e.signIn(e.editorB).do("GET", "/api/v1/posts/"+p.ID+"/retraction", nil).wantError(t, http.StatusNotFound, publisher.ENOTFOUND)
}

func TestOperationsStream(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.api.EventPoll = 50 * time.Millisecond })
	admin := e.signIn(e.admin)
	e.signIn(e.editorA).do("GET", "/api/v1/operations/events", nil).wantError(t, http.StatusForbidden, publisher.EFORBIDDEN)
	s := admin.stream(t, "/api/v1/operations/events")
	first := s.next(t, 5*time.Second)
	var v opsView
	if first.name != "operations" || json.Unmarshal([]byte(first.data), &v) != nil || v.Settings == nil || v.Settings.Paused != nil {
		t.Fatalf("first event = %+v", first)
	}
	// The clock ticking alone sends nothing; a pause does.
	admin.do("PUT", "/api/v1/publishing/pause", map[string]any{"paused": true, "reason": "test"}).want(t, http.StatusOK)
	deadline := time.Now().Add(10 * time.Second)
	for {
		ev := s.next(t, time.Until(deadline))
		if ev.name != "operations" {
			continue
		}
		if err := json.Unmarshal([]byte(ev.data), &v); err != nil {
			t.Fatal(err)
		}
		if v.Settings.Paused == nil {
			t.Fatalf("an update without a change: %s", ev.data)
		}
		break
	}
	select {
	case ev := <-s.events:
		if ev.name == "operations" {
			t.Fatalf("a second update without a change: %s", ev.data)
		}
	case <-time.After(300 * time.Millisecond):
	}
}
