package sandbox

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// Bluesky (AT Protocol), after platform-apis.md §5.5: a PDS whose service
// URL is BaseURL+BlueskyPath (XRPC at /xrpc/{nsid}), and the bsky.app-like
// pages under BlueskyWebPath (/profile/{handle or did}/post/{rkey}).
//
// Accounts sign in with app passwords: createSession takes a handle (or
// DID) and the app password BlueskyAppPassword(handle), counts against
// Bluesky's limits (30 per 5 minutes and 300 a day per account), and
// returns an access JWT (2 hours) and a refresh JWT (90 days, single use:
// refreshSession rotates it). Tokens minted with MintToken("bluesky", did,
// name, ttl) are accepted as access tokens too (seeded demo accounts).
//
// createRecord takes app.bsky.feed.post records only, with an optional TID
// rkey; a second create with an rkey in use fails with 500
// InternalServerError, as the reference PDS does today (an explicit
// "record exists" error is proposed upstream; FaultDuplicate renders that
// newer shape, 409 RecordAlreadyExists, whose name and status are
// UNVERIFIED). Beyond what Bluesky checks, the fake refuses link facets
// whose UTF-8 byte range does not cover the link's text, labelled as a
// sandbox check: Bluesky would publish such a post with the link in the
// wrong place.
//
// Kept in memory only (lost on restart): handles, refresh-token rotation,
// rate-limit counters, and records' full JSON (getRecord rebuilds a
// record from the post after a restart).
const (
	BlueskyPath    = "/sandbox/bluesky"
	BlueskyWebPath = "/sandbox/bluesky/www"
)

// Limits of the fake PDS.
const (
	bskyMaxGraphemes   = 300
	bskyMaxTextBytes   = 3000
	bskyMaxImages      = 4
	bskyMaxImageBytes  = 1000000
	bskyMaxBlob        = 5 << 20 // the sandbox's own cap on uploadBlob
	bskyMaxLangs       = 3
	bskyAccessTTL      = 2 * time.Hour
	bskyRefreshTTL     = 90 * 24 * time.Hour
	bskySessions5m     = 30
	bskySessionsDay    = 300
	bskyPointsHour     = 5000
	bskyPointsDay      = 35000
	bskyCreatePoints   = 3
	bskyDeletePoints   = 1
	bskyMaxGetPosts    = 25
	bskyDefaultRetry   = 15 * time.Minute
	bskyPostCollection = "app.bsky.feed.post"
)

func init() {
	register(&platform{
		name:  "bluesky",
		title: "Bluesky",
		order: 70,
		mount: mountBluesky,
		pagePath: func(id string) string {
			return BlueskyWebPath + "/profile/" + url.PathEscape(id)
		},
		postPath: func(p *Post) string {
			did, _, rkey := bskySplitURI(p.ID)
			return BlueskyWebPath + "/profile/" + url.PathEscape(did) + "/post/" + url.PathEscape(rkey)
		},
	})
}

type bluesky struct{ s *Server }

// bskyState is what the fake keeps beyond posts (platformStateLocked).
type bskyState struct {
	handles map[string]string          // did → handle
	used    map[string]int64           // rotated refresh-token ids → expiry
	windows map[string]*mdnWindow      // did + bucket → counter
	records map[string]json.RawMessage // at-uri → record as created
	blobs   map[string]bskyBlob        // cid → uploaded blob
	cids    map[string]string          // at-uri → record cid
	lastTID int64                      // microseconds of the last TID made
}

type bskyBlob struct {
	did, mimeType string
	size          int64
}

func (b *bluesky) stateLocked() *bskyState {
	return platformStateLocked(b.s, "bluesky", func() *bskyState {
		return &bskyState{handles: map[string]string{}, used: map[string]int64{}, windows: map[string]*mdnWindow{},
			records: map[string]json.RawMessage{}, blobs: map[string]bskyBlob{}, cids: map[string]string{}}
	})
}

func mountBluesky(s *Server, mux *http.ServeMux) {
	b := &bluesky{s: s}
	x := http.NewServeMux()
	p := BlueskyPath + "/xrpc/"
	x.HandleFunc("POST "+p+"com.atproto.server.createSession", b.handleCreateSession)
	x.HandleFunc("POST "+p+"com.atproto.server.refreshSession", b.handleRefreshSession)
	x.HandleFunc("GET "+p+"com.atproto.server.getSession", b.handleGetSession)
	x.HandleFunc("POST "+p+"com.atproto.repo.createRecord", b.handleCreateRecord)
	x.HandleFunc("POST "+p+"com.atproto.repo.deleteRecord", b.handleDeleteRecord)
	x.HandleFunc("GET "+p+"com.atproto.repo.getRecord", b.handleGetRecord)
	x.HandleFunc("POST "+p+"com.atproto.repo.uploadBlob", b.handleUploadBlob)
	x.HandleFunc("GET "+p+"app.bsky.feed.getPosts", b.handleGetPosts)
	x.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
		bskyError(w, http.StatusNotImplemented, "MethodNotImplemented", "Method Not Implemented")
	})
	mux.Handle(p, s.withFaults("bluesky", b.classify, b.renderFault, x))
	mux.HandleFunc("GET "+BlueskyWebPath+"/{actor}", b.handlePage)
	mux.HandleFunc("GET "+BlueskyWebPath+"/profile/{actor}", b.handlePage)
	mux.HandleFunc("GET "+BlueskyWebPath+"/profile/{actor}/post/{rkey}", b.handlePost)
}

func bskyError(w http.ResponseWriter, status int, name, msg string) {
	writeJSON(w, status, map[string]string{"error": name, "message": msg})
}

// bskyDID is the sandbox DID of a handle.
func bskyDID(handle string) string {
	sum := sha256.Sum256([]byte("bluesky-handle:" + strings.ToLower(strings.TrimPrefix(handle, "@"))))
	return "did:plc:" + strings.ToLower(base32.StdEncoding.EncodeToString(sum[:]))[:24]
}

// BlueskyAppPassword is the app password the fake PDS accepts for a handle
// (or its DID): "xxxx-xxxx-xxxx-xxxx", derived from the sandbox's secret.
func (s *Server) BlueskyAppPassword(handleOrDID string) string {
	did := handleOrDID
	if !strings.HasPrefix(did, "did:") {
		did = bskyDID(handleOrDID)
	}
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	sum := s.mac("bluesky-app-password:" + did)
	var b strings.Builder
	for i := range 16 {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(alphabet[int(sum[i])%len(alphabet)])
	}
	return b.String()
}

// bskySplitURI splits at://did/collection/rkey.
func bskySplitURI(uri string) (did, collection, rkey string) {
	rest, _ := strings.CutPrefix(uri, "at://")
	parts := strings.SplitN(rest, "/", 3)
	for len(parts) < 3 {
		parts = append(parts, "")
	}
	return parts[0], parts[1], parts[2]
}

// JWTs: HS256 with a key derived from the sandbox's secret, so that they
// survive a restart like every other sandbox token.

type bskyClaims struct {
	Scope string `json:"scope"`
	Sub   string `json:"sub"`
	Aud   string `json:"aud"`
	JTI   string `json:"jti,omitempty"`
	Iat   int64  `json:"iat"`
	Exp   int64  `json:"exp"`
}

func (b *bluesky) signJWT(typ string, c bskyClaims) string {
	h, _ := json.Marshal(map[string]string{"typ": typ, "alg": "HS256"})
	p, _ := json.Marshal(c)
	head := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p)
	m := hmac.New(sha256.New, b.s.mac("bluesky-jwt-key"))
	m.Write([]byte(head))
	return head + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// parseJWT checks a JWT's signature and returns its type and claims.
func (b *bluesky) parseJWT(tok string) (string, bskyClaims, bool) {
	var c bskyClaims
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "", c, false
	}
	m := hmac.New(sha256.New, b.s.mac("bluesky-jwt-key"))
	m.Write([]byte(parts[0] + "." + parts[1]))
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, m.Sum(nil)) {
		return "", c, false
	}
	var h struct {
		Typ string `json:"typ"`
	}
	hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
	pb, _ := base64.RawURLEncoding.DecodeString(parts[1])
	if json.Unmarshal(hb, &h) != nil || json.Unmarshal(pb, &c) != nil || c.Sub == "" {
		return "", c, false
	}
	return h.Typ, c, true
}

// session mints a session's two tokens for did.
func (b *bluesky) session(did string) (access, refresh string) {
	now := b.s.now()
	jti := make([]byte, 12)
	rand.Read(jti)
	aud := "did:web:sandbox.bsky"
	access = b.signJWT("at+jwt", bskyClaims{Scope: "com.atproto.appPass", Sub: did, Aud: aud, Iat: now.Unix(), Exp: now.Add(bskyAccessTTL).Unix()})
	refresh = b.signJWT("refresh+jwt", bskyClaims{Scope: "com.atproto.refresh", Sub: did, Aud: aud, JTI: base64.RawURLEncoding.EncodeToString(jti),
		Iat: now.Unix(), Exp: now.Add(bskyRefreshTTL).Unix()})
	return access, refresh
}

func bskyBearer(r *http.Request) string {
	v, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return strings.TrimSpace(v)
}

// didOf reads the DID a token names, without checking it (for faults).
func (b *bluesky) didOf(tok string) string {
	if c, err := b.s.parseToken("bluesky", tok); err == nil {
		return c.Account
	}
	if _, c, ok := b.parseJWT(tok); ok {
		return c.Sub
	}
	return ""
}

// auth checks an access token and answers the PDS's errors itself.
func (b *bluesky) auth(w http.ResponseWriter, r *http.Request) (string, bool) {
	tok := bskyBearer(r)
	now := b.s.now()
	if tok == "" {
		bskyError(w, http.StatusUnauthorized, "AuthMissing", "Authentication Required")
		return "", false
	}
	if c, err := b.s.parseToken("bluesky", tok); err == nil {
		if c.expired(now) {
			bskyError(w, http.StatusBadRequest, "ExpiredToken", "Token has expired")
			return "", false
		}
		return c.Account, true
	}
	typ, c, ok := b.parseJWT(tok)
	switch {
	case !ok:
		bskyError(w, http.StatusBadRequest, "InvalidToken", "Token could not be verified")
		return "", false
	case typ != "at+jwt" || c.Scope == "com.atproto.refresh":
		bskyError(w, http.StatusBadRequest, "InvalidToken", "Bad token scope")
		return "", false
	case now.Unix() >= c.Exp:
		bskyError(w, http.StatusBadRequest, "ExpiredToken", "Token has expired")
		return "", false
	}
	b.s.mu.Lock()
	b.s.ensureAccountLocked("bluesky", c.Sub, "")
	b.s.mu.Unlock()
	return c.Sub, true
}

// classify tells the fault machinery whose call this is and what kind.
func (b *bluesky) classify(r *http.Request) (string, Op) {
	body := bufferBody(r, bskyMaxBlob)
	did := b.didOf(bskyBearer(r))
	nsid := strings.TrimPrefix(r.URL.Path, BlueskyPath+"/xrpc/")
	if did == "" && nsid == "com.atproto.server.createSession" {
		var in struct {
			Identifier string `json:"identifier"`
		}
		json.Unmarshal(body, &in)
		did = b.resolve(in.Identifier)
	}
	switch nsid {
	case "com.atproto.repo.createRecord", "com.atproto.repo.putRecord", "com.atproto.repo.applyWrites":
		return did, OpPublish
	case "com.atproto.repo.uploadBlob":
		return did, OpUpload
	case "com.atproto.repo.deleteRecord":
		return did, OpDelete
	}
	return did, OpRead
}

// bskyRateHeaders writes the IETF-draft rate-limit headers Bluesky sends.
func bskyRateHeaders(w http.ResponseWriter, limit, remaining int, reset time.Time, window time.Duration) {
	w.Header().Set("RateLimit-Limit", strconv.Itoa(limit))
	w.Header().Set("RateLimit-Remaining", strconv.Itoa(max(remaining, 0)))
	w.Header().Set("RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	w.Header().Set("RateLimit-Policy", fmt.Sprintf("%d;w=%d", limit, int(window.Seconds())))
}

// renderFault answers an injected fault the way the PDS does.
func (b *bluesky) renderFault(w http.ResponseWriter, r *http.Request, f Fault, account string) {
	switch f.Kind {
	case FaultRateLimit:
		d := f.RetryAfter
		if d <= 0 {
			d = bskyDefaultRetry
		}
		bskyRateHeaders(w, bskyPointsHour, 0, b.s.now().Add(d), time.Hour)
		bskyError(w, http.StatusTooManyRequests, "RateLimitExceeded", "Rate Limit Exceeded")
	case FaultServerError:
		status := f.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		bskyError(w, status, "InternalServerError", "Internal Server Error")
	case FaultExpiredToken:
		bskyError(w, http.StatusBadRequest, "ExpiredToken", "Token has expired")
	case FaultDuplicate:
		bskyError(w, http.StatusConflict, "RecordAlreadyExists", "Record already exists")
	default:
		bskyError(w, http.StatusInternalServerError, "InternalServerError", "Internal Server Error")
	}
}

// bskyLimit is one of an account's rate-limit windows.
type bskyLimit struct {
	bucket string
	limit  int
	window time.Duration
}

var (
	bskySessionLimits = []bskyLimit{{"session-5m", bskySessions5m, 5 * time.Minute}, {"session-day", bskySessionsDay, 24 * time.Hour}}
	bskyWriteLimits   = []bskyLimit{{"write-hour", bskyPointsHour, time.Hour}, {"write-day", bskyPointsDay, 24 * time.Hour}}
)

// chargeLocked spends points in each of the account's windows and writes
// the headers of the tightest one; false when a window has no room (and
// the 429 is answered, nothing spent).
func (b *bluesky) chargeLocked(w http.ResponseWriter, did string, points int, limits []bskyLimit) bool {
	now := b.s.now()
	st := b.stateLocked()
	wins := make([]*mdnWindow, len(limits))
	for i, l := range limits {
		start := now.Truncate(l.window)
		k := did + "\x00" + l.bucket
		win := st.windows[k]
		if win == nil || !win.start.Equal(start) {
			win = &mdnWindow{start: start}
			st.windows[k] = win
		}
		wins[i] = win
		if win.n+points > l.limit {
			bskyRateHeaders(w, l.limit, l.limit-win.n, start.Add(l.window), l.window)
			bskyError(w, http.StatusTooManyRequests, "RateLimitExceeded", "Rate Limit Exceeded")
			return false
		}
	}
	tight := 0
	for i, l := range limits {
		wins[i].n += points
		if l.limit-wins[i].n < limits[tight].limit-wins[tight].n {
			tight = i
		}
	}
	l := limits[tight]
	bskyRateHeaders(w, l.limit, l.limit-wins[tight].n, wins[tight].start.Add(l.window), l.window)
	return true
}

// resolve turns a handle or DID into a DID.
func (b *bluesky) resolve(actor string) string {
	actor = strings.TrimPrefix(strings.TrimSpace(actor), "@")
	if strings.HasPrefix(actor, "did:") {
		return actor
	}
	if actor == "" {
		return ""
	}
	return bskyDID(actor)
}

func (b *bluesky) handleLocked(did string) string {
	if h := b.stateLocked().handles[did]; h != "" {
		return h
	}
	return "handle.invalid"
}

func readJSON(r *http.Request, v any) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return fmt.Errorf("wrong request encoding (Content-Type): %s", r.Header.Get("Content-Type"))
	}
	return json.NewDecoder(io.LimitReader(r.Body, bskyMaxBlob)).Decode(v)
}

// handleCreateSession serves com.atproto.server.createSession.
func (b *bluesky) handleCreateSession(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Identifier string `json:"identifier"`
		Password   string `json:"password"`
	}
	if err := readJSON(r, &in); err != nil || in.Identifier == "" || in.Password == "" {
		bskyError(w, http.StatusBadRequest, "InvalidRequest", "Input must have the properties \"identifier\" and \"password\"")
		return
	}
	did := b.resolve(in.Identifier)
	s := b.s
	s.mu.Lock()
	if !b.chargeLocked(w, did, 1, bskySessionLimits) {
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	if !hmac.Equal([]byte(in.Password), []byte(s.BlueskyAppPassword(did))) {
		bskyError(w, http.StatusUnauthorized, "AuthenticationRequired", "Invalid identifier or password")
		return
	}
	s.mu.Lock()
	handle := strings.ToLower(strings.TrimPrefix(in.Identifier, "@"))
	if strings.HasPrefix(handle, "did:") {
		handle = b.handleLocked(did)
	} else {
		b.stateLocked().handles[did] = handle
	}
	s.ensureAccountLocked("bluesky", did, "")
	if a := s.accounts[accountKey{"bluesky", did}]; a.Name == "" {
		a.Name = handle
	}
	s.mu.Unlock()
	access, refresh := b.session(did)
	s.log.Info("sandbox: bluesky session created", "did", did)
	writeJSON(w, http.StatusOK, map[string]any{"did": did, "handle": handle, "accessJwt": access, "refreshJwt": refresh, "active": true,
		"didDoc": map[string]any{"@context": []string{"https://www.w3.org/ns/did/v1"}, "id": did, "alsoKnownAs": []string{"at://" + handle},
			"service": []map[string]string{{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": s.base(r) + BlueskyPath}}}})
}

// handleRefreshSession serves com.atproto.server.refreshSession: the
// refresh JWT is spent and a new pair is returned.
func (b *bluesky) handleRefreshSession(w http.ResponseWriter, r *http.Request) {
	typ, c, ok := b.parseJWT(bskyBearer(r))
	now := b.s.now()
	switch {
	case bskyBearer(r) == "":
		bskyError(w, http.StatusUnauthorized, "AuthMissing", "Authentication Required")
		return
	case !ok:
		bskyError(w, http.StatusBadRequest, "InvalidToken", "Token could not be verified")
		return
	case typ != "refresh+jwt" || c.Scope != "com.atproto.refresh":
		bskyError(w, http.StatusBadRequest, "InvalidToken", "Invalid token type")
		return
	case now.Unix() >= c.Exp:
		bskyError(w, http.StatusBadRequest, "ExpiredToken", "Token has expired")
		return
	}
	s := b.s
	s.mu.Lock()
	st := b.stateLocked()
	for jti, exp := range st.used {
		if now.Unix() > exp {
			delete(st.used, jti)
		}
	}
	if _, spent := st.used[c.JTI]; spent {
		s.mu.Unlock()
		bskyError(w, http.StatusBadRequest, "ExpiredToken", "Token has been revoked")
		return
	}
	st.used[c.JTI] = c.Exp
	handle := b.handleLocked(c.Sub)
	s.mu.Unlock()
	access, refresh := b.session(c.Sub)
	writeJSON(w, http.StatusOK, map[string]any{"did": c.Sub, "handle": handle, "accessJwt": access, "refreshJwt": refresh, "active": true})
}

// handleGetSession serves com.atproto.server.getSession.
func (b *bluesky) handleGetSession(w http.ResponseWriter, r *http.Request) {
	did, ok := b.auth(w, r)
	if !ok {
		return
	}
	b.s.mu.Lock()
	handle := b.handleLocked(did)
	b.s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"did": did, "handle": handle, "active": true})
}

// bskyTIDRE is the syntax of a TID record key.
var bskyTIDRE = regexp.MustCompile(`^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$`)

const bskyTIDAlphabet = "234567abcdefghijklmnopqrstuvwxyz"

// newTIDLocked makes a TID as a PDS does: from the clock, always later
// than the last one made, with a random clock id.
func (b *bluesky) newTIDLocked() string {
	st := b.stateLocked()
	st.lastTID = max(b.s.now().UnixMicro(), st.lastTID+1)
	return bskyTID(st.lastTID)
}

// bskyTID encodes microseconds and a random clock id as a TID.
func bskyTID(micros int64) string {
	var r [2]byte
	rand.Read(r[:])
	v := uint64(micros)<<10 | uint64(r[0])<<2&1023 | uint64(r[1])&3
	out := make([]byte, 13)
	for i := 12; i >= 0; i-- {
		out[i] = bskyTIDAlphabet[v&31]
		v >>= 5
	}
	return string(out)
}

// bskyCID makes a CIDv1 (sha2-256) for data with the given codec (0x55 raw
// for blobs, 0x71 dag-cbor for records), base32 as atproto writes them.
func bskyCID(codec byte, data []byte) string {
	sum := sha256.Sum256(data)
	b := append([]byte{0x01, codec, 0x12, 0x20}, sum[:]...)
	return "b" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// bskyRecord is the part of an app.bsky.feed.post record the fake checks.
type bskyRecord struct {
	Type      string   `json:"$type"`
	Text      *string  `json:"text"`
	CreatedAt string   `json:"createdAt"`
	Langs     []string `json:"langs"`
	Facets    []struct {
		Index struct {
			ByteStart *int `json:"byteStart"`
			ByteEnd   *int `json:"byteEnd"`
		} `json:"index"`
		Features []struct {
			Type string `json:"$type"`
			URI  string `json:"uri"`
			Tag  string `json:"tag"`
		} `json:"features"`
	} `json:"facets"`
	Embed *struct {
		Type   string `json:"$type"`
		Images []struct {
			Alt   *string `json:"alt"`
			Image struct {
				Type string `json:"$type"`
				Ref  struct {
					Link string `json:"$link"`
				} `json:"ref"`
				MimeType string `json:"mimeType"`
				Size     int64  `json:"size"`
			} `json:"image"`
		} `json:"images"`
		External *struct {
			URI string `json:"uri"`
		} `json:"external"`
	} `json:"embed"`
}

// validate checks a post record as the PDS's lexicon validation does,
// plus the fake's facet check; it returns the message of the 400.
func (b *bluesky) validateLocked(did string, rec bskyRecord) string {
	bad := func(format string, args ...any) string {
		return "Invalid app.bsky.feed.post record: " + fmt.Sprintf(format, args...)
	}
	if rec.Text == nil {
		return bad("Record must have the property \"text\"")
	}
	text := *rec.Text
	switch {
	case uniseg.GraphemeClusterCount(text) > bskyMaxGraphemes:
		return bad("Record/text must not be longer than %d graphemes", bskyMaxGraphemes)
	case len(text) > bskyMaxTextBytes:
		return bad("Record/text must not be longer than %d characters", bskyMaxTextBytes)
	case rec.CreatedAt == "":
		return bad("Record must have the property \"createdAt\"")
	case len(rec.Langs) > bskyMaxLangs:
		return bad("Record/langs must not have more than %d elements", bskyMaxLangs)
	}
	if _, err := time.Parse(time.RFC3339Nano, rec.CreatedAt); err != nil {
		return bad("createdAt must be an valid atproto datetime (both RFC-3339 and ISO-8601)")
	}
	for i, f := range rec.Facets {
		if f.Index.ByteStart == nil || f.Index.ByteEnd == nil || *f.Index.ByteStart < 0 || *f.Index.ByteEnd < 0 {
			return bad("Record/facets/%d/index must have the properties \"byteStart\" and \"byteEnd\", not negative", i)
		}
		start, end := *f.Index.ByteStart, *f.Index.ByteEnd
		if start >= end || end > len(text) || !utf8.RuneStart(text[start]) || (end < len(text) && !utf8.RuneStart(text[end])) {
			return bad("facet %d's byte range %d–%d is not a range of whole characters of the text (a sandbox check: Bluesky itself would publish it misplaced)", i, start, end)
		}
		for _, ft := range f.Features {
			covered := text[start:end]
			if ft.Type == "app.bsky.richtext.facet#link" && !bskyCovers(covered, ft.URI) {
				return bad("facet %d covers %q, which is not its link %q (a sandbox check: Bluesky itself would publish the link in the wrong place)", i, covered, ft.URI)
			}
			if ft.Type == "app.bsky.richtext.facet#tag" && strings.TrimPrefix(covered, "#") != ft.Tag {
				return bad("facet %d covers %q, which is not its tag %q (a sandbox check)", i, covered, ft.Tag)
			}
		}
	}
	if rec.Embed != nil && rec.Embed.Type == "app.bsky.embed.images" {
		if len(rec.Embed.Images) > bskyMaxImages {
			return bad("Record/embed/images must not have more than %d elements", bskyMaxImages)
		}
		for i, im := range rec.Embed.Images {
			if im.Alt == nil {
				return bad("Record/embed/images/%d must have the property \"alt\"", i)
			}
			blob, ok := b.stateLocked().blobs[im.Image.Ref.Link]
			if im.Image.Type != "blob" || !ok || blob.did != did {
				return "Could not find blob: " + im.Image.Ref.Link
			}
			if blob.size > bskyMaxImageBytes {
				return bad("Record/embed/images/%d/image file is too big (%d bytes; the maximum is %d)", i, blob.size, bskyMaxImageBytes)
			}
		}
	}
	return ""
}

// bskyCovers reports whether facet text shows a link: the URL itself, or
// a shortened display of it (without the scheme, maybe cut with "...").
func bskyCovers(covered, uri string) bool {
	if covered == uri {
		return true
	}
	short := strings.TrimPrefix(strings.TrimPrefix(uri, "https://"), "http://")
	if covered == short {
		return true
	}
	head, cut := strings.CutSuffix(covered, "...")
	return cut && head != "" && strings.HasPrefix(short, head)
}

// handleCreateRecord serves com.atproto.repo.createRecord.
func (b *bluesky) handleCreateRecord(w http.ResponseWriter, r *http.Request) {
	did, ok := b.auth(w, r)
	if !ok {
		return
	}
	var in struct {
		Repo       string          `json:"repo"`
		Collection string          `json:"collection"`
		RKey       string          `json:"rkey"`
		Validate   *bool           `json:"validate"`
		Record     json.RawMessage `json:"record"`
	}
	if err := readJSON(r, &in); err != nil || in.Repo == "" || in.Collection == "" || len(in.Record) == 0 {
		bskyError(w, http.StatusBadRequest, "InvalidRequest", "Input must have the properties \"repo\", \"collection\", and \"record\"")
		return
	}
	if b.resolve(in.Repo) != did {
		bskyError(w, http.StatusUnauthorized, "AuthenticationRequired", "Authentication Required")
		return
	}
	if in.Collection != bskyPostCollection {
		bskyError(w, http.StatusBadRequest, "InvalidRequest", "The sandbox stores app.bsky.feed.post records only")
		return
	}
	if in.RKey != "" && !bskyTIDRE.MatchString(in.RKey) {
		bskyError(w, http.StatusBadRequest, "InvalidRequest", "Invalid record key: app.bsky.feed.post records take a TID")
		return
	}
	var rec bskyRecord
	if json.Unmarshal(in.Record, &rec) != nil {
		bskyError(w, http.StatusBadRequest, "InvalidRequest", "Invalid app.bsky.feed.post record: Record must be an object")
		return
	}
	if rec.Type != "" && rec.Type != bskyPostCollection {
		bskyError(w, http.StatusBadRequest, "InvalidRequest", "Invalid $type: expected app.bsky.feed.post, got "+rec.Type)
		return
	}
	s := b.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if msg := b.validateLocked(did, rec); msg != "" {
		name := "InvalidRequest"
		if strings.HasPrefix(msg, "Could not find blob") {
			name = "BlobNotFound"
		}
		bskyError(w, http.StatusBadRequest, name, msg)
		return
	}
	now := s.now()
	rkey := in.RKey
	if rkey == "" {
		rkey = b.newTIDLocked()
	}
	uri := "at://" + did + "/" + bskyPostCollection + "/" + rkey
	if p := s.byID[postKey{"bluesky", uri}]; p != nil && p.DeletedAt == nil {
		// The reference PDS fails a create over an existing record this way.
		s.log.Info("sandbox: bluesky record exists", "uri", uri)
		bskyError(w, http.StatusInternalServerError, "InternalServerError", "Internal Server Error")
		return
	}
	if !b.chargeLocked(w, did, bskyCreatePoints, bskyWriteLimits) {
		return
	}
	st := b.stateLocked()
	post := &Post{Platform: "bluesky", AccountID: did, ID: uri, Text: *rec.Text, CreatedAt: now.UTC()}
	for _, f := range rec.Facets {
		for _, ft := range f.Features {
			if ft.Type == "app.bsky.richtext.facet#link" && post.Link == "" {
				post.Link = ft.URI
			}
		}
	}
	if rec.Embed != nil {
		if rec.Embed.External != nil && post.Link == "" {
			post.Link = rec.Embed.External.URI
		}
		for _, im := range rec.Embed.Images {
			blob := st.blobs[im.Image.Ref.Link]
			post.Images = append(post.Images, Image{ID: im.Image.Ref.Link, ContentType: blob.mimeType, Size: blob.size, AltText: *im.Alt})
		}
	}
	if old := s.byID[postKey{"bluesky", uri}]; old != nil {
		// A deleted record's key may be used again.
		s.removePostLocked(old)
	}
	s.addPostLocked(post)
	cid := bskyCID(0x71, in.Record)
	st.records[uri], st.cids[uri] = in.Record, cid
	s.log.Info("sandbox: bluesky post created", "did", did, "uri", uri, "images", len(post.Images))
	writeJSON(w, http.StatusOK, map[string]any{"uri": uri, "cid": cid,
		"commit": map[string]string{"cid": bskyCID(0x71, []byte(uri+now.String())), "rev": b.newTIDLocked()}, "validationStatus": "valid"})
}

// recordLocked is a post's record: as created, or rebuilt from the post.
func (b *bluesky) recordLocked(p *Post) (json.RawMessage, string) {
	st := b.stateLocked()
	if raw, ok := st.records[p.ID]; ok {
		return raw, st.cids[p.ID]
	}
	raw, _ := json.Marshal(map[string]any{"$type": bskyPostCollection, "text": p.Text, "createdAt": p.CreatedAt.Format("2006-01-02T15:04:05.000Z")})
	return raw, bskyCID(0x71, raw)
}

// handleGetRecord serves com.atproto.repo.getRecord (public).
func (b *bluesky) handleGetRecord(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	did, collection, rkey := b.resolve(q.Get("repo")), q.Get("collection"), q.Get("rkey")
	if did == "" || collection == "" || rkey == "" {
		bskyError(w, http.StatusBadRequest, "InvalidRequest", "Error: Params must have the properties \"repo\", \"collection\", and \"rkey\"")
		return
	}
	uri := "at://" + did + "/" + collection + "/" + rkey
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	p := b.s.byID[postKey{"bluesky", uri}]
	if p == nil || p.DeletedAt != nil {
		bskyError(w, http.StatusBadRequest, "RecordNotFound", "Could not locate record: "+uri)
		return
	}
	raw, cid := b.recordLocked(p)
	writeJSON(w, http.StatusOK, map[string]any{"uri": uri, "cid": cid, "value": raw})
}

// handleDeleteRecord serves com.atproto.repo.deleteRecord; deleting a
// record that does not exist succeeds with an empty answer.
func (b *bluesky) handleDeleteRecord(w http.ResponseWriter, r *http.Request) {
	did, ok := b.auth(w, r)
	if !ok {
		return
	}
	var in struct {
		Repo       string `json:"repo"`
		Collection string `json:"collection"`
		RKey       string `json:"rkey"`
	}
	if err := readJSON(r, &in); err != nil || in.Repo == "" || in.Collection == "" || in.RKey == "" {
		bskyError(w, http.StatusBadRequest, "InvalidRequest", "Input must have the properties \"repo\", \"collection\", and \"rkey\"")
		return
	}
	if b.resolve(in.Repo) != did {
		bskyError(w, http.StatusUnauthorized, "AuthenticationRequired", "Authentication Required")
		return
	}
	s := b.s
	s.mu.Lock()
	defer s.mu.Unlock()
	uri := "at://" + did + "/" + in.Collection + "/" + in.RKey
	p := s.byID[postKey{"bluesky", uri}]
	if p == nil || p.DeletedAt != nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	if !b.chargeLocked(w, did, bskyDeletePoints, bskyWriteLimits) {
		return
	}
	now := s.now().UTC()
	p.DeletedAt = &now
	writeJSON(w, http.StatusOK, map[string]any{"commit": map[string]string{"cid": bskyCID(0x71, []byte("delete "+uri)), "rev": b.newTIDLocked()}})
}

// handleUploadBlob serves com.atproto.repo.uploadBlob: the raw bytes, typed
// by Content-Type.
func (b *bluesky) handleUploadBlob(w http.ResponseWriter, r *http.Request) {
	did, ok := b.auth(w, r)
	if !ok {
		return
	}
	ct := r.Header.Get("Content-Type")
	data, err := io.ReadAll(io.LimitReader(r.Body, bskyMaxBlob+1))
	switch {
	case err != nil:
		bskyError(w, http.StatusBadRequest, "InvalidRequest", "The body could not be read")
		return
	case len(data) > bskyMaxBlob:
		bskyError(w, http.StatusRequestEntityTooLarge, "PayloadTooLarge", "request entity too large")
		return
	case len(data) == 0 || ct == "":
		bskyError(w, http.StatusBadRequest, "InvalidRequest", "Request encoding (Content-Type) and a body are required")
		return
	}
	mt, _, _ := mime.ParseMediaType(ct)
	cid := bskyCID(0x55, data)
	s := b.s
	s.mu.Lock()
	b.stateLocked().blobs[cid] = bskyBlob{did: did, mimeType: mt, size: int64(len(data))}
	s.putMediaLocked(cid, mt, data)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"blob": map[string]any{"$type": "blob", "ref": map[string]string{"$link": cid}, "mimeType": mt, "size": len(data)}})
}

// handleGetPosts serves app.bsky.feed.getPosts: the posts found, with
// counts that grow over time; unknown or deleted ones are left out.
func (b *bluesky) handleGetPosts(w http.ResponseWriter, r *http.Request) {
	if bskyBearer(r) != "" {
		if _, ok := b.auth(w, r); !ok {
			return
		}
	}
	uris := r.URL.Query()["uris"]
	if len(uris) == 0 || len(uris) > bskyMaxGetPosts {
		bskyError(w, http.StatusBadRequest, "InvalidRequest", fmt.Sprintf("Error: Params must have between 1 and %d uris", bskyMaxGetPosts))
		return
	}
	s := b.s
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	posts := []map[string]any{}
	for _, uri := range uris {
		did, coll, rkey := bskySplitURI(uri)
		did = b.resolve(did)
		p := s.byID[postKey{"bluesky", "at://" + did + "/" + coll + "/" + rkey}]
		if p == nil || !p.Visible(now) {
			continue
		}
		raw, cid := b.recordLocked(p)
		g := growth(p.ID, now.Sub(p.CreatedAt))
		name := ""
		if a := s.accounts[accountKey{"bluesky", did}]; a != nil {
			name = a.Name
		}
		posts = append(posts, map[string]any{"uri": p.ID, "cid": cid, "record": raw,
			"author":     map[string]any{"did": did, "handle": b.handleLocked(did), "displayName": name, "labels": []any{}},
			"replyCount": int(g * 0.01), "repostCount": int(g * 0.025), "likeCount": int(g * 0.09), "quoteCount": int(g * 0.003),
			"bookmarkCount": int(g * 0.004), "indexedAt": p.CreatedAt.Format("2006-01-02T15:04:05.000Z"), "labels": []any{}})
	}
	writeJSON(w, http.StatusOK, map[string]any{"posts": posts})
}

// handlePage serves GET /sandbox/bluesky/www/profile/{actor} (and
// /sandbox/bluesky/www/{actor}).
func (b *bluesky) handlePage(w http.ResponseWriter, r *http.Request) {
	b.s.renderFeed(w, r, "bluesky", b.resolve(r.PathValue("actor")), "")
}

// handlePost serves GET /sandbox/bluesky/www/profile/{actor}/post/{rkey}.
func (b *bluesky) handlePost(w http.ResponseWriter, r *http.Request) {
	did := b.resolve(r.PathValue("actor"))
	b.s.renderFeed(w, r, "bluesky", did, "at://"+did+"/"+bskyPostCollection+"/"+r.PathValue("rkey"))
}
