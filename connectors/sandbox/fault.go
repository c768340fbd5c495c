package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"
)

// FaultKind names a failure the sandbox can inject.
type FaultKind string

// Fault kinds. Each platform answers them with its own real error shapes.
const (
	// FaultRateLimit answers with the platform's rate-limit error and
	// headers, resetting after Fault.RetryAfter.
	FaultRateLimit FaultKind = "rate_limit"
	// FaultServerError answers with a 5xx (Fault.Status, default 500) in the
	// platform's error shape. With Fault.Commit the request is acted on
	// first: the post exists although the answer says it failed.
	FaultServerError FaultKind = "server_error"
	// FaultSlow holds the answer for Fault.Delay (default 30s) or until the
	// client goes away, then acts on the request as usual — like a platform
	// that is slow but does its work even when nobody waits for the answer.
	FaultSlow FaultKind = "slow"
	// FaultExpiredToken answers as if the account's token had expired.
	FaultExpiredToken FaultKind = "expired_token"
	// FaultDuplicate answers with the platform's duplicate-content error.
	FaultDuplicate FaultKind = "duplicate"
	// FaultDrop closes the connection without acting and without an answer.
	FaultDrop FaultKind = "drop"
	// FaultDropAfterCommit acts on the request (the post is created and
	// recorded), then closes the connection without an answer: the
	// ambiguous case the exactly-once protocol exists for.
	FaultDropAfterCommit FaultKind = "drop_after_commit"
)

var faultKinds = []FaultKind{FaultRateLimit, FaultServerError, FaultSlow, FaultExpiredToken, FaultDuplicate, FaultDrop, FaultDropAfterCommit}

// Op is the kind of API call a fault applies to. Each platform file says
// which of its endpoints is which.
type Op string

// Ops.
const (
	OpPublish Op = "publish" // calls that create a visible post (the default)
	OpUpload  Op = "upload"  // media uploaded ahead of a post
	OpRead    Op = "read"    // GETs: feeds, posts, insights, accounts
	OpDelete  Op = "delete"  // deletions
	OpAll     Op = "all"     // every call
)

// Fault is a failure to inject into one account's calls (or every
// account's on a platform).
type Fault struct {
	Kind FaultKind
	// Times is how many calls fail; 0: every matching call until cleared.
	Times int
	// Skip lets this many matching calls through before the fault starts.
	Skip int
	// Rate is the probability (0–1) that a matching call fails; 0 means 1.
	// It lets a chaos test inject faults at random.
	Rate float64
	// Ops are the kinds of call affected; empty: OpPublish only.
	Ops []Op
	// Delay is how long FaultSlow holds the answer (default 30s).
	Delay time.Duration
	// RetryAfter is when FaultRateLimit says the limit resets (default 15m).
	RetryAfter time.Duration
	// Status is FaultServerError's HTTP status (default 500).
	Status int
	// Code overrides the platform's error code where a platform has several
	// (Facebook rate limits: 4, 17, 32 (default), 613, 80001).
	Code int
	// Commit makes FaultServerError act on the request before failing.
	Commit bool
}

// faultJSON is Fault on the wire: durations as Go duration strings ("2s").
type faultJSON struct {
	Platform   string    `json:"platform,omitempty"`
	Account    string    `json:"account,omitempty"`
	Kind       FaultKind `json:"kind"`
	Times      int       `json:"times,omitempty"`
	Skip       int       `json:"skip,omitempty"`
	Rate       float64   `json:"rate,omitempty"`
	Ops        []Op      `json:"ops,omitempty"`
	Delay      string    `json:"delay,omitempty"`
	RetryAfter string    `json:"retryAfter,omitempty"`
	Status     int       `json:"status,omitempty"`
	Code       int       `json:"code,omitempty"`
	Commit     bool      `json:"commit,omitempty"`
	// Remaining is how many more calls will fail (-1: until cleared); only
	// in listings.
	Remaining *int `json:"remaining,omitempty"`
}

func (f Fault) wire(platform, account string) faultJSON {
	j := faultJSON{Platform: platform, Account: account, Kind: f.Kind, Times: f.Times, Skip: f.Skip, Rate: f.Rate,
		Ops: f.Ops, Status: f.Status, Code: f.Code, Commit: f.Commit}
	if f.Delay > 0 {
		j.Delay = f.Delay.String()
	}
	if f.RetryAfter > 0 {
		j.RetryAfter = f.RetryAfter.String()
	}
	return j
}

func (j faultJSON) fault() (Fault, error) {
	f := Fault{Kind: j.Kind, Times: j.Times, Skip: j.Skip, Rate: j.Rate, Ops: j.Ops, Status: j.Status, Code: j.Code, Commit: j.Commit}
	var err error
	if j.Delay != "" {
		if f.Delay, err = time.ParseDuration(j.Delay); err != nil {
			return f, fmt.Errorf("delay: %w", err)
		}
	}
	if j.RetryAfter != "" {
		if f.RetryAfter, err = time.ParseDuration(j.RetryAfter); err != nil {
			return f, fmt.Errorf("retryAfter: %w", err)
		}
	}
	return f, nil
}

func (f Fault) validate() error {
	if !slices.Contains(faultKinds, f.Kind) {
		return fmt.Errorf("unknown fault kind %q", f.Kind)
	}
	if f.Times < 0 || f.Skip < 0 || f.Rate < 0 || f.Rate > 1 || f.Delay < 0 || f.RetryAfter < 0 {
		return fmt.Errorf("times, skip, delay and retryAfter must not be negative, and rate must be within 0–1")
	}
	if f.Status != 0 && (f.Status < 500 || f.Status > 599) {
		return fmt.Errorf("status must be a 5xx")
	}
	for _, op := range f.Ops {
		if !slices.Contains([]Op{OpPublish, OpUpload, OpRead, OpDelete, OpAll}, op) {
			return fmt.Errorf("unknown op %q", op)
		}
	}
	return nil
}

func (f Fault) matches(op Op) bool {
	if len(f.Ops) == 0 {
		return op == OpPublish
	}
	return slices.Contains(f.Ops, OpAll) || slices.Contains(f.Ops, op)
}

// faultState is a fault and its counters.
type faultState struct {
	Fault
	skipped, hits int
}

// SetFault makes calls for accountID on platform fail as f says, replacing
// any fault set for the same pair. accountID "" means every account of the
// platform; an account's own fault is consulted before the platform-wide
// one.
func (s *Server) SetFault(platform, accountID string, f Fault) error {
	if lookupPlatform(platform) == nil {
		return fmt.Errorf("sandbox: unknown platform %q", platform)
	}
	if err := f.validate(); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	f.Ops = slices.Clone(f.Ops)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[accountKey{platform, accountID}] = &faultState{Fault: f}
	return nil
}

// ClearFaults removes faults: platform "" clears every platform, accountID
// "" every account of the platform (including its platform-wide fault).
func (s *Server) ClearFaults(platform, accountID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.faults {
		if (platform == "" || k.platform == platform) && (accountID == "" || k.id == accountID) {
			delete(s.faults, k)
		}
	}
}

// ActiveFault is a fault in force, as listed by Faults.
type ActiveFault struct {
	Platform  string
	AccountID string // "": every account
	Fault
	// Remaining is how many more calls will fail; -1: until cleared.
	Remaining int
}

// Faults lists the faults in force, by platform and account.
func (s *Server) Faults() []ActiveFault {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ActiveFault
	for k, st := range s.faults {
		rem := -1
		if st.Times > 0 {
			rem = st.Times - st.hits
		}
		out = append(out, ActiveFault{Platform: k.platform, AccountID: k.id, Fault: st.Fault, Remaining: rem})
	}
	slices.SortFunc(out, func(a, b ActiveFault) int {
		return strings.Compare(a.Platform+"\x00"+a.AccountID, b.Platform+"\x00"+b.AccountID)
	})
	return out
}

// takeFault decides whether a call fails now, and counts it.
func (s *Server) takeFault(platform, account string, op Op) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := []accountKey{{platform, account}, {platform, ""}}
	if account == "" {
		keys = keys[1:]
	}
	for _, k := range keys {
		st := s.faults[k]
		if st == nil || !st.matches(op) {
			continue
		}
		if st.skipped < st.Skip {
			st.skipped++
			return Fault{}, false
		}
		if st.Rate > 0 && st.Rate < 1 && rand.Float64() >= st.Rate {
			return Fault{}, false
		}
		st.hits++
		if st.Times > 0 && st.hits >= st.Times {
			delete(s.faults, k)
		}
		return st.Fault, true
	}
	return Fault{}, false
}

// faultRenderer writes a platform's answer for an injected fault of kind
// FaultRateLimit, FaultServerError, FaultExpiredToken or FaultDuplicate.
// account is the account the call was for ("" if unknown).
type faultRenderer func(w http.ResponseWriter, r *http.Request, f Fault, account string)

// callClassifier tells the fault machinery which account a call is for and
// what kind of call it is. It may read the body but must leave r.Body
// readable again (see bufferBody).
type callClassifier func(r *http.Request) (account string, op Op)

// withFaults wraps a platform's API handler with fault injection.
func (s *Server) withFaults(platform string, classify callClassifier, render faultRenderer, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		account, op := classify(r)
		f, ok := s.takeFault(platform, account, op)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		s.log.Info("sandbox: injecting fault", "platform", platform, "account_id", account, "op", string(op), "kind", string(f.Kind))
		switch f.Kind {
		case FaultSlow:
			d := f.Delay
			if d <= 0 {
				d = 30 * time.Second
			}
			wait(r.Context(), d)
			next.ServeHTTP(w, r)
		case FaultDrop:
			dropConnection(w)
		case FaultDropAfterCommit:
			next.ServeHTTP(&discardWriter{h: http.Header{}}, r)
			dropConnection(w)
		case FaultServerError:
			if f.Commit {
				next.ServeHTTP(&discardWriter{h: http.Header{}}, r)
			}
			render(w, r, f, account)
		default:
			render(w, r, f, account)
		}
	})
}

// wait sleeps for d or until ctx is done.
func wait(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// dropConnection closes the client's connection without an answer.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
		return
	}
	// HTTP/2, or a wrapper that cannot hijack: abort the response, which
	// resets the stream or closes the connection.
	panic(http.ErrAbortHandler)
}

// discardWriter is a ResponseWriter that throws the answer away.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// bufferBody reads r's body (at most limit bytes) and puts it back, so that
// a classifier and then the handler can both read it. It returns nil if the
// body is larger than limit, leaving the unread rest in place.
func bufferBody(r *http.Request, limit int64) []byte {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	rest := r.Body
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b), rest), rest}
	if err != nil || int64(len(b)) > limit {
		return nil
	}
	return b
}

// handleListFaults serves GET /sandbox/_faults.
func (s *Server) handleListFaults(w http.ResponseWriter, r *http.Request) {
	out := []faultJSON{}
	for _, af := range s.Faults() {
		j := af.Fault.wire(af.Platform, af.AccountID)
		rem := af.Remaining
		j.Remaining = &rem
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, map[string]any{"faults": out})
}

// handleSetFault serves POST /sandbox/_faults with a JSON body
// {"platform","account","kind","times","skip","rate","ops","delay",
// "retryAfter","status","code","commit"}.
func (s *Server) handleSetFault(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		// Also keeps other sites' plain form posts from switching faults.
		writeJSON(w, http.StatusUnsupportedMediaType, map[string]string{"error": "send the fault as application/json"})
		return
	}
	var j faultJSON
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "the body must be a fault as JSON: " + err.Error()})
		return
	}
	f, err := j.fault()
	if err == nil {
		err = s.SetFault(j.Platform, j.Account, f)
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": strings.TrimPrefix(err.Error(), "sandbox: ")})
		return
	}
	s.handleListFaults(w, r)
}

// handleClearFaults serves DELETE /sandbox/_faults[?platform=…&account=…].
func (s *Server) handleClearFaults(w http.ResponseWriter, r *http.Request) {
	s.ClearFaults(r.URL.Query().Get("platform"), r.URL.Query().Get("account"))
	s.handleListFaults(w, r)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
}
