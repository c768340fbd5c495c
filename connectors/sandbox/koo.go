package sandbox

import (
	"encoding/json"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Koo, after platform-apis.md §4. Koo shut down on 3 July 2024 and never
// published its API; this fake mirrors the request shape observed in the
// koo_publisher WordPress plugins and is REVERSE-ENGINEERED: the answer's
// shape ({"status":"success",…}), the error bodies and the limits below are
// the sandbox's own guesses, labelled as such. Connectors use
// URL = BaseURL+KooPostPath and WebURL = BaseURL+KooWebPath.
//
//	POST KooPostPath   X-KOO-API-TOKEN: {token}   {"koo":"…","language":"hi","link":"https://…"}
//	→ 200 {"status":"success","message":"Koo posted","kooId":"…"}
const (
	KooPostPath = "/sandbox/koo/api/post/koo"
	KooWebPath  = "/sandbox/koo/www"
)

// Limits of the fake (guesses: the plugins truncate to 340–400 characters).
const (
	kooMaxText        = 400
	kooMaxBody        = 64 << 10
	kooDefaultBackoff = 15 * time.Minute
)

func init() {
	register(&platform{
		name:  "koo",
		title: "Koo (defunct since 3 July 2024; reverse-engineered fake)",
		order: 90,
		mount: mountKoo,
		pagePath: func(id string) string {
			return KooWebPath + "/" + url.PathEscape(id)
		},
		postPath: func(p *Post) string {
			return KooWebPath + "/koo/" + url.PathEscape(p.AccountID) + "/" + url.PathEscape(p.ID)
		},
	})
}

type koo struct{ s *Server }

func mountKoo(s *Server, mux *http.ServeMux) {
	k := &koo{s: s}
	mux.Handle(KooPostPath, s.withFaults("koo", k.classify, k.renderFault, http.HandlerFunc(k.handlePost)))
	mux.HandleFunc("GET "+KooWebPath+"/{handle}", k.handlePage)
	mux.HandleFunc("GET "+KooWebPath+"/koo/{handle}/{id}", k.handleKoo)
}

func kooError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"status": "error", "message": msg})
}

func (k *koo) classify(r *http.Request) (string, Op) {
	bufferBody(r, kooMaxBody)
	account := ""
	if c, err := k.s.parseToken("koo", r.Header.Get("X-KOO-API-TOKEN")); err == nil {
		account = c.Account
	}
	if r.Method == http.MethodPost {
		return account, OpPublish
	}
	return account, OpRead
}

// renderFault answers an injected fault in the fake's (guessed) error shape.
func (k *koo) renderFault(w http.ResponseWriter, r *http.Request, f Fault, account string) {
	switch f.Kind {
	case FaultRateLimit:
		d := f.RetryAfter
		if d <= 0 {
			d = kooDefaultBackoff
		}
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
		kooError(w, http.StatusTooManyRequests, "Too many requests")
	case FaultServerError:
		status := f.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		kooError(w, status, "Something went wrong")
	case FaultExpiredToken:
		kooError(w, http.StatusUnauthorized, "Invalid API token")
	case FaultDuplicate:
		kooError(w, http.StatusConflict, "Duplicate koo")
	default:
		kooError(w, http.StatusInternalServerError, "Something went wrong")
	}
}

// handlePost serves POST /sandbox/koo/api/post/koo.
func (k *koo) handlePost(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		kooError(w, http.StatusMethodNotAllowed, "Method not allowed")
		return
	}
	claims, err := k.s.parseToken("koo", r.Header.Get("X-KOO-API-TOKEN"))
	if err != nil || claims.expired(k.s.now()) {
		kooError(w, http.StatusUnauthorized, "Invalid API token")
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		kooError(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		return
	}
	var in struct {
		Koo      string `json:"koo"`
		Language string `json:"language"`
		Link     string `json:"link"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, kooMaxBody)).Decode(&in); err != nil {
		kooError(w, http.StatusBadRequest, "Invalid JSON")
		return
	}
	switch {
	case strings.TrimSpace(in.Koo) == "":
		kooError(w, http.StatusBadRequest, "koo is required")
		return
	case utf8.RuneCountInString(in.Koo) > kooMaxText:
		kooError(w, http.StatusBadRequest, "koo must be at most "+strconv.Itoa(kooMaxText)+" characters")
		return
	case in.Language == "":
		kooError(w, http.StatusBadRequest, "language is required")
		return
	}
	if in.Link != "" {
		if u, err := url.Parse(in.Link); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			kooError(w, http.StatusBadRequest, "link must be an http(s) URL")
			return
		}
	}
	s := k.s
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &Post{Platform: "koo", AccountID: claims.Account, ID: s.newIDLocked(), Text: in.Koo, Link: in.Link, CreatedAt: s.now().UTC()}
	s.addPostLocked(p)
	s.log.Info("sandbox: koo posted", "handle", claims.Account, "koo_id", p.ID)
	writeJSON(w, http.StatusOK, map[string]string{"status": "success", "message": "Koo posted", "kooId": p.ID})
}

// handlePage serves GET /sandbox/koo/www/{handle}.
func (k *koo) handlePage(w http.ResponseWriter, r *http.Request) {
	k.s.renderFeed(w, r, "koo", r.PathValue("handle"), "")
}

// handleKoo serves GET /sandbox/koo/www/koo/{handle}/{id}.
func (k *koo) handleKoo(w http.ResponseWriter, r *http.Request) {
	k.s.renderFeed(w, r, "koo", r.PathValue("handle"), r.PathValue("id"))
}
