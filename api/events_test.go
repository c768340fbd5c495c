package api

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

// sseEvent is one event of a stream, or a comment line.
type sseEvent struct {
	name, data, comment string
}

// sseStream reads a text/event-stream in the background.
type sseStream struct {
	events chan sseEvent
	done   chan struct{} // closed when the server ends the stream
	cancel context.CancelFunc
	header http.Header
}

// stream opens a live post page as c; it fails unless the answer is an
// event stream.
func (c *client) stream(t *testing.T, path string) *sseStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", c.e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: c.cookie.Name, Value: c.cookie.Value})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		res.Body.Close()
		cancel()
		t.Fatalf("stream: status %d, type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	s := &sseStream{events: make(chan sseEvent, 100), done: make(chan struct{}), cancel: cancel, header: res.Header}
	t.Cleanup(func() { cancel(); <-s.done })
	go func() {
		defer close(s.done)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" || ev.data != "" {
					c.e.record([]byte(ev.data))
					s.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, ":"):
				s.events <- sseEvent{comment: strings.TrimSpace(line[1:])}
			case strings.HasPrefix(line, "event: "):
				ev.name = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				ev.data += line[len("data: "):]
			}
		}
	}()
	return s
}

// next returns the next event or comment within the timeout.
func (s *sseStream) next(t *testing.T, timeout time.Duration) sseEvent {
	t.Helper()
	select {
	case ev := <-s.events:
		return ev
	case <-s.done:
		select {
		case ev := <-s.events:
			return ev
		default:
		}
		t.Fatalf("the stream ended")
	case <-time.After(timeout):
		t.Fatalf("no event within %s", timeout)
	}
	return sseEvent{}
}

// until reads `deliveries` events until one satisfies ok.
func (s *sseStream) until(t *testing.T, timeout time.Duration, what string, ok func(postView) bool) postView {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			t.Fatalf("no update showing %s within %s", what, timeout)
		}
		ev := s.next(t, left)
		if ev.name != "deliveries" {
			continue
		}
		var v postView
		if err := json.Unmarshal([]byte(ev.data), &v); err != nil {
			t.Fatalf("event data is not a post view: %v: %s", err, ev.data)
		}
		if ok(v) {
			return v
		}
	}
}

func deliveryIs(st publisher.DeliveryStatus) func(postView) bool {
	return func(v postView) bool {
		return len(v.Deliveries) == 1 && v.Deliveries[0].Status == st && v.Counts[st] == 1
	}
}

func TestPostEvents(t *testing.T) {
	ctx := context.Background()

	t.Run("in-process changes", func(t *testing.T) {
		e := newEnv(t) // polling every hour: only broker events can drive updates
		ed, ap := e.signIn(e.editorA), e.signIn(e.approver)
		p := e.approvedPost(ed, ap, postInput(e.orgA.ID, e.xA.ID))
		s := ed.stream(t, "/api/v1/posts/"+p.ID+"/events")
		if cc := s.header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("stream Cache-Control = %q", cc)
		}
		first := s.until(t, 2*time.Second, "the approved post", func(v postView) bool { return true })
		if first.Post.ID != p.ID || first.Post.Status != publisher.PostApproved || len(first.Deliveries) != 0 {
			t.Fatalf("first event: %s with %d deliveries", first.Post.Status, len(first.Deliveries))
		}
		if err := e.svc.Fanout(ctx, p.ID, p.Revision); err != nil {
			t.Fatal(err)
		}
		v := s.until(t, 5*time.Second, "a queued delivery", deliveryIs(publisher.DeliveryQueued))
		if v.Post.Status != publisher.PostPublishing {
			t.Errorf("post status %s, want publishing", v.Post.Status)
		}
		if err := e.svc.Deliver(ctx, v.Deliveries[0].ID); err != nil {
			t.Fatal(err)
		}
		v = s.until(t, 5*time.Second, "the published delivery", deliveryIs(publisher.DeliveryPublished))
		if !strings.HasPrefix(v.Deliveries[0].ExternalURL, "https://x.example/p/") {
			t.Errorf("published delivery URL %q", v.Deliveries[0].ExternalURL)
		}
	})

	t.Run("changes by a worker in another process", func(t *testing.T) {
		e := newEnv(t, func(o *envOptions) { o.api.EventPoll = 50 * time.Millisecond })
		ed, ap := e.signIn(e.editorA), e.signIn(e.approver)
		p := e.approvedPost(ed, ap, postInput(e.orgA.ID, e.xA.ID))
		// The worker's service has its own broker: the API hears nothing
		// from it and must notice the changes by polling.
		worker := e.newService(publisher.Config{BaseURL: testBaseURL, MaxFailures: 1}, nil)
		s := ed.stream(t, "/api/v1/posts/"+p.ID+"/events")
		s.until(t, 2*time.Second, "the approved post", func(v postView) bool { return v.Post.Status == publisher.PostApproved })
		if err := worker.Fanout(ctx, p.ID, p.Revision); err != nil {
			t.Fatal(err)
		}
		v := s.until(t, 5*time.Second, "a queued delivery", deliveryIs(publisher.DeliveryQueued))
		if err := worker.Deliver(ctx, v.Deliveries[0].ID); err != nil {
			t.Fatal(err)
		}
		s.until(t, 5*time.Second, "the published delivery", deliveryIs(publisher.DeliveryPublished))
	})

	t.Run("keep-alive and sign-out", func(t *testing.T) {
		e := newEnv(t, func(o *envOptions) { o.api.KeepAlive = 50 * time.Millisecond })
		ed := e.signIn(e.editorA)
		p := ed.createPost(postInput(e.orgA.ID, e.xA.ID))
		s := ed.stream(t, "/api/v1/posts/"+p.ID+"/events")
		if ev := s.next(t, 2*time.Second); ev.name != "deliveries" {
			t.Fatalf("first event %+v", ev)
		}
		if ev := s.next(t, 2*time.Second); ev.comment != "keep-alive" {
			t.Fatalf("want a keep-alive comment, got %+v", ev)
		}
		ed.do("DELETE", "/api/v1/session", nil).want(t, http.StatusNoContent)
		for {
			ev := s.next(t, 2*time.Second)
			if ev.name == "signed_out" {
				break
			}
		}
		select {
		case <-s.done:
		case <-time.After(2 * time.Second):
			t.Fatal("the stream did not end after sign-out")
		}
	})

	t.Run("client disconnect", func(t *testing.T) {
		e := newEnv(t)
		ed := e.signIn(e.editorA)
		p := ed.createPost(postInput(e.orgA.ID, e.xA.ID))
		path := "/api/v1/posts/" + p.ID + "/events"
		s := ed.stream(t, path)
		s.next(t, 2*time.Second)
		s.cancel()
		// The handler returns, and the access log writes its line, only
		// once it has noticed the client went away.
		deadline := time.Now().Add(3 * time.Second)
		for !strings.Contains(e.logs.String(), `"path":"`+path+`"`) {
			if time.Now().After(deadline) {
				t.Fatal("the stream's handler did not end after the client disconnected")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})

	t.Run("scoped like the post", func(t *testing.T) {
		e := newEnv(t)
		p := e.signIn(e.editorA).createPost(postInput(e.orgA.ID, e.xA.ID))
		e.signIn(e.editorB).do("GET", "/api/v1/posts/"+p.ID+"/events", nil).wantError(t, http.StatusNotFound, publisher.ENOTFOUND)
		e.signIn(e.approver).stream(t, "/api/v1/posts/"+p.ID+"/events").next(t, 2*time.Second)
		e.anon().do("GET", "/api/v1/posts/"+p.ID+"/events", nil).wantError(t, http.StatusUnauthorized, publisher.EUNAUTHORIZED)
	})
}
