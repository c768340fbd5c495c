package sandbox

import (
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MountPath is where Handler expects to be mounted: every path it serves
// starts with it.
const MountPath = "/sandbox/"

// Options configure a Server.
type Options struct {
	// Secret signs the tokens MintToken makes. Keep it stable (configured)
	// so that tokens seeded into Prasar's store still work after a restart;
	// nil: a random secret for this process only.
	Secret []byte
	// Now is the sandbox's clock (nil: time.Now). Tests move it to expire
	// tokens and grow insights.
	Now func() time.Time
	// BaseURL is where the server that mounts the sandbox is reached (for
	// example "http://localhost:8080"), used in the absolute links the
	// sandbox returns (paging, permalinks, images). The sandbox's own URL,
	// ending in "/sandbox", is accepted too. Empty: taken from each
	// request's Host.
	BaseURL string
	// Logger receives the sandbox's own log lines (nil: discarded). Tokens
	// are never logged.
	Logger *slog.Logger
}

// Server is a set of fake platforms with the real HTTP contracts, the
// accounts on them, the faults to inject, and a record of every post
// received. It is safe for concurrent use.
type Server struct {
	secret  []byte
	now     func() time.Time
	baseURL string
	log     *slog.Logger
	handler http.Handler

	mu       sync.Mutex
	accounts map[accountKey]*Account
	posts    []*Post           // in order of creation
	byID     map[postKey]*Post // platform and post id → post
	// byAccount holds each account's posts in order of creation, so that
	// a post, a feed or a duplicate check reads one account's posts, not
	// every post the sandbox ever received.
	byAccount map[accountKey][]*Post
	media     map[string]*mediaBlob
	faults    map[accountKey]*faultState
	uploads   map[postKey]*Upload
	lastID    int64
	// ext is state that platform files keep for themselves (Instagram's
	// containers, OAuth codes already used, per-account settings), by
	// platform name; see platformStateLocked. Reset forgets it.
	ext map[string]any
}

type accountKey struct{ platform, id string }
type postKey struct{ platform, id string }

// Account is an account on a fake platform. It comes into existence when a
// token for it is minted or first used.
type Account struct {
	Platform  string    `json:"platform"`
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
}

// Post is one post a fake platform received and created.
type Post struct {
	Platform  string `json:"platform"`
	AccountID string `json:"accountId"`
	// ID is the platform's id of the post (Facebook: "{page}_{post}").
	ID        string    `json:"id"`
	Text      string    `json:"text"`
	Link      string    `json:"link,omitempty"`
	Images    []Image   `json:"images,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	// Hidden posts were created unpublished (Facebook published=false).
	Hidden bool `json:"hidden,omitempty"`
	// ScheduledAt is set for posts scheduled to appear later.
	ScheduledAt *time.Time `json:"scheduledAt,omitempty"`
	// DeletedAt is set once the post was deleted through the API; deleted
	// posts stay in the record.
	DeletedAt *time.Time `json:"deletedAt,omitempty"`
}

// Visible reports whether the post shows on its account's feed at now.
func (p *Post) Visible(now time.Time) bool {
	return p.DeletedAt == nil && !p.Hidden && (p.ScheduledAt == nil || !p.ScheduledAt.After(now))
}

// Image is an image attached to a post.
type Image struct {
	// ID is the platform's id of the image (Facebook: the photo id).
	ID          string `json:"id"`
	ContentType string `json:"contentType,omitempty"`
	Size        int64  `json:"size,omitempty"`
	SHA256      string `json:"sha256,omitempty"`
	AltText     string `json:"altText,omitempty"`
	// URL is where the platform was told to fetch the image from, for
	// images given by URL rather than uploaded (the sandbox does not fetch
	// them).
	URL string `json:"url,omitempty"`
}

// Upload is media uploaded to a platform ahead of the post that uses it
// (Facebook's unpublished photos; later Instagram containers, X media).
type Upload struct {
	Platform  string    `json:"platform"`
	AccountID string    `json:"accountId"`
	Image     Image     `json:"image"`
	CreatedAt time.Time `json:"createdAt"`
	// UsedBy is the id of the post that attached it, once one did.
	UsedBy string `json:"usedBy,omitempty"`
}

type mediaBlob struct {
	ContentType string `json:"contentType"`
	Data        []byte `json:"data"`
}

// New returns a Server with all registered platforms mounted.
func New(o Options) *Server {
	s := &Server{
		secret:    o.Secret,
		now:       o.Now,
		baseURL:   strings.TrimSuffix(strings.TrimRight(o.BaseURL, "/"), strings.TrimSuffix(MountPath, "/")),
		log:       o.Logger,
		accounts:  map[accountKey]*Account{},
		byID:      map[postKey]*Post{},
		byAccount: map[accountKey][]*Post{},
		media:     map[string]*mediaBlob{},
		faults:    map[accountKey]*faultState{},
		uploads:   map[postKey]*Upload{},
		ext:       map[string]any{},
	}
	if len(s.secret) == 0 {
		s.secret = make([]byte, 32)
		rand.Read(s.secret)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	// Ids grow from the start time, so that ids minted after a restart do not
	// repeat earlier ones.
	s.lastID = s.now().UnixMicro()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sandbox/{$}", s.handleIndex)
	mux.HandleFunc("GET /sandbox/_faults", s.handleListFaults)
	mux.HandleFunc("POST /sandbox/_faults", s.handleSetFault)
	mux.HandleFunc("DELETE /sandbox/_faults", s.handleClearFaults)
	mux.HandleFunc("GET /sandbox/_media/{id}", s.handleMedia)
	for _, p := range platforms {
		p.mount(s, mux)
	}
	mux.HandleFunc("/sandbox/", s.handleNotFound)
	s.handler = mux
	return s
}

// Handler serves every fake platform, the human pages and the fault
// switches. Mount it at MountPath ("/sandbox/") without stripping the
// prefix.
func (s *Server) Handler() http.Handler { return s.handler }

// Platforms lists the names of the fake platforms, in display order.
func Platforms() []string {
	var names []string
	for _, p := range platforms {
		names = append(names, p.name)
	}
	return names
}

// Accounts returns the accounts known on platform ("" for every platform),
// by platform then id.
func (s *Server) Accounts(platform string) []Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Account
	for k, a := range s.accounts {
		if platform == "" || k.platform == platform {
			out = append(out, *a)
		}
	}
	slices.SortFunc(out, func(a, b Account) int {
		return strings.Compare(a.Platform+"\x00"+a.ID, b.Platform+"\x00"+b.ID)
	})
	return out
}

// Posts returns what the sandbox received for one account, oldest first,
// deleted and hidden posts included (see Post.Visible). It is what tests
// assert "published exactly once" against.
func (s *Server) Posts(platform, accountID string) []Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Post
	for _, p := range s.accountPostsLocked(platform, accountID) {
		out = append(out, copyPost(p))
	}
	return out
}

// AllPosts returns every post on every platform, oldest first.
func (s *Server) AllPosts() []Post {
	return s.filterPosts(func(*Post) bool { return true })
}

func (s *Server) filterPosts(keep func(*Post) bool) []Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Post
	for _, p := range s.posts {
		if keep(p) {
			out = append(out, copyPost(p))
		}
	}
	return out
}

func copyPost(p *Post) Post {
	c := *p
	c.Images = slices.Clone(p.Images)
	return c
}

// Reset forgets every account, post, image and fault.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.accounts)
	clear(s.byID)
	clear(s.byAccount)
	clear(s.media)
	clear(s.faults)
	clear(s.uploads)
	clear(s.ext)
	s.posts = nil
}

// platformStateLocked returns the state a platform file keeps under name,
// made by mk on first use and again after Reset. Call it with s.mu held,
// and read or change the state only while holding s.mu.
func platformStateLocked[T any](s *Server, name string, mk func() *T) *T {
	if st, ok := s.ext[name].(*T); ok {
		return st
	}
	st := mk()
	s.ext[name] = st
	return st
}

// The helpers below are for platform files; they lock s.mu themselves
// unless their name ends in Locked.

// newIDLocked returns a fresh numeric id, unique within this server and,
// as it grows from the start time in microseconds, across restarts.
func (s *Server) newIDLocked() string {
	s.lastID++
	return strconv.FormatInt(s.lastID, 10)
}

// ensureAccountLocked records an account the first time it is seen.
func (s *Server) ensureAccountLocked(platform, id, name string) *Account {
	k := accountKey{platform, id}
	a := s.accounts[k]
	if a == nil {
		a = &Account{Platform: platform, ID: id, Name: name, CreatedAt: s.now().UTC()}
		s.accounts[k] = a
	} else if name != "" && a.Name != name {
		a.Name = name
	}
	return a
}

// account returns a copy of an account, if known.
func (s *Server) account(platform, id string) (Account, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[accountKey{platform, id}]
	if a == nil {
		return Account{}, false
	}
	return *a, true
}

// addPostLocked records a new post.
func (s *Server) addPostLocked(p *Post) {
	s.posts = append(s.posts, p)
	s.byID[postKey{p.Platform, p.ID}] = p
	k := accountKey{p.Platform, p.AccountID}
	s.byAccount[k] = append(s.byAccount[k], p)
}

// removePostLocked forgets p (a platform that lets a post's key be used
// again replaces the old post).
func (s *Server) removePostLocked(p *Post) {
	drop := func(q *Post) bool { return q == p }
	s.posts = slices.DeleteFunc(s.posts, drop)
	k := accountKey{p.Platform, p.AccountID}
	s.byAccount[k] = slices.DeleteFunc(s.byAccount[k], drop)
	if s.byID[postKey{p.Platform, p.ID}] == p {
		delete(s.byID, postKey{p.Platform, p.ID})
	}
}

// accountPostsLocked returns an account's posts, oldest first, deleted
// and hidden ones included. The slice is the sandbox's own: do not change
// it, and do not keep it past s.mu.
func (s *Server) accountPostsLocked(platform, accountID string) []*Post {
	return s.byAccount[accountKey{platform, accountID}]
}

// putMediaLocked keeps an uploaded image's bytes, served at
// /sandbox/_media/{id}.
func (s *Server) putMediaLocked(id, contentType string, data []byte) {
	s.media[id] = &mediaBlob{ContentType: contentType, Data: data}
}

// addUploadLocked records an upload.
func (s *Server) addUploadLocked(u *Upload) {
	s.uploads[postKey{u.Platform, u.Image.ID}] = u
}

// base is the scheme and host to use in absolute URLs for r.
func (s *Server) base(r *http.Request) string {
	if s.baseURL != "" {
		return s.baseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// platform is one fake platform. Each platform file registers one in an
// init function (see doc.go).
type platform struct {
	// name is the path segment under /sandbox/ and the name used in
	// MintToken, SetFault and Posts ("facebook").
	name string
	// title is the display name ("Facebook").
	title string
	// order places the platform in listings.
	order int
	// mount registers the platform's routes on mux, under /sandbox/{name}/.
	mount func(s *Server, mux *http.ServeMux)
	// pagePath is the path of an account's human page.
	pagePath func(accountID string) string
	// postPath is the path of a post's human page.
	postPath func(p *Post) string
}

// platforms is filled by the platform files' init functions and never
// changed afterwards.
var platforms []*platform

func register(p *platform) {
	for _, q := range platforms {
		if q.name == p.name {
			panic(fmt.Sprintf("sandbox: platform %q registered twice", p.name))
		}
	}
	platforms = append(platforms, p)
	slices.SortStableFunc(platforms, func(a, b *platform) int { return a.order - b.order })
}

func lookupPlatform(name string) *platform {
	for _, p := range platforms {
		if p.name == name {
			return p
		}
	}
	return nil
}
