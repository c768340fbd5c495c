package sandbox

import (
	"bytes"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The human pages: plain server-rendered HTML, labelled as a sandbox on
// every page. Every platform's account and post pages use renderFeed.

// ist is India Standard Time; a fixed zone, so no tzdata is needed.
var ist = time.FixedZone("IST", 5*60*60+30*60)

const pageCSS = `
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans Devanagari","Nirmala UI",Mangal,sans-serif;line-height:1.5;color:#1a1a1a;background:#f4f5f7}
.banner{background:#7a1f00;color:#fff;padding:.6rem 1rem;font-weight:700;letter-spacing:.02em}
.banner span{font-weight:400}
main{max-width:44rem;margin:0 auto;padding:1rem}
a{color:#0b4f9c}
h1{font-size:1.5rem;margin:.5rem 0}
h2{font-size:1.15rem;margin:1.2rem 0 .4rem}
article{background:#fff;border:1px solid #d0d4da;border-radius:6px;padding:1rem;margin:0 0 1rem}
.meta{color:#4a4f57;font-size:.9rem;margin:0 0 .5rem}
.text{white-space:pre-wrap;overflow-wrap:anywhere;font-size:1.05rem;margin:.25rem 0}
.imgs{display:flex;flex-wrap:wrap;gap:.5rem;margin:.5rem 0}
.imgs img{max-width:100%;max-height:24rem;border-radius:4px}
.id{font-family:ui-monospace,monospace;font-size:.85rem}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid #d0d4da;padding:.35rem .5rem;text-align:left;vertical-align:top}
.note{color:#4a4f57}
`

var pageTemplates = template.Must(template.New("layout").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.Title}} — SANDBOX</title>
<style>` + pageCSS + `</style>
</head>
<body>
<div class="banner" role="note">SANDBOX — not a real platform. <span lang="hi">सैंडबॉक्स — यह असली प्लेटफ़ॉर्म नहीं है।</span> <span>Nothing here was published anywhere.</span></div>
<main>
{{template "content" .}}
</main>
</body>
</html>
{{define "index"}}
<h1>Sandbox platforms</h1>
<p class="note">Fake platforms with the real HTTP contracts, for training, demos and tests. Accounts appear when a token for them is first issued or used.</p>
{{range .Platforms}}
<section aria-labelledby="p-{{.Name}}">
<h2 id="p-{{.Name}}">{{.Title}}</h2>
{{if .Accounts}}
<table>
<thead><tr><th scope="col">Account</th><th scope="col">Id</th><th scope="col">Posts</th></tr></thead>
<tbody>
{{range .Accounts}}<tr><td><a href="{{.Path}}">{{if .Name}}{{.Name}}{{else}}(no name){{end}}</a></td><td class="id">{{.ID}}</td><td>{{.Posts}}</td></tr>
{{end}}
</tbody>
</table>
{{else}}<p class="note">No accounts yet.</p>{{end}}
</section>
{{end}}
<section aria-labelledby="faults">
<h2 id="faults">Faults in force</h2>
{{if .Faults}}
<ul>{{range .Faults}}<li>{{.Platform}} {{if .AccountID}}account <span class="id">{{.AccountID}}</span>{{else}}(every account){{end}}: {{.Kind}}{{if ge .Remaining 0}}, {{.Remaining}} more{{end}}</li>{{end}}</ul>
{{else}}<p class="note">None. Set them with POST /sandbox/_faults.</p>{{end}}
</section>
{{end}}
{{define "feed"}}
<p><a href="/sandbox/">All sandbox platforms</a>{{if .Single}} · <a href="{{.FeedPath}}">{{.Name}}</a>{{end}}</p>
<h1>{{.Name}} <span class="note">on {{.PlatformTitle}}</span></h1>
<p class="meta">Account id <span class="id">{{.AccountID}}</span>{{if not .Single}} · {{len .Posts}} post{{if ne (len .Posts) 1}}s{{end}}, newest first{{end}}</p>
{{range .Posts}}
<article aria-labelledby="t-{{.ID}}">
<p class="meta" id="t-{{.ID}}"><time datetime="{{.ISO}}">{{.When}}</time> · post <a class="id" href="{{.Path}}">{{.ID}}</a>{{if .Deleted}} · deleted{{end}}{{if .Hidden}} · not published{{end}}{{if .Scheduled}} · scheduled{{end}}</p>
{{if .Text}}<p class="text" dir="auto">{{.Text}}</p>{{end}}
{{if .Link}}<p><a href="{{.Link}}" rel="nofollow noopener">{{.Link}}</a></p>{{end}}
{{if .Images}}<div class="imgs">{{range .Images}}<img src="{{.Src}}" alt="{{.Alt}}" loading="lazy">{{end}}</div>{{end}}
</article>
{{else}}
<p class="note">No posts.</p>
{{end}}
{{end}}
{{define "notfound"}}
<h1>Not found</h1>
<p>{{.Message}}</p>
<p><a href="/sandbox/">All sandbox platforms</a></p>
{{end}}
`))

// page renders the named content template inside the layout.
func renderPage(w http.ResponseWriter, status int, name, title string, data any) {
	t, err := pageTemplates.Clone()
	if err == nil {
		_, err = t.New("content").Parse(`{{template "` + name + `" .Data}}`)
	}
	var buf bytes.Buffer
	if err == nil {
		err = t.ExecuteTemplate(&buf, "layout", map[string]any{"Title": title, "Data": data})
	}
	if err != nil {
		http.Error(w, "sandbox: rendering the page failed: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Robots-Tag", "noindex")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// handleIndex serves GET /sandbox/: platforms and their accounts.
func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	type acct struct {
		Name, ID, Path string
		Posts          int
	}
	type plat struct {
		Name, Title string
		Accounts    []acct
	}
	counts := map[accountKey]int{}
	for _, p := range s.AllPosts() {
		if p.DeletedAt == nil {
			counts[accountKey{p.Platform, p.AccountID}]++
		}
	}
	var ps []plat
	for _, p := range platforms {
		pl := plat{Name: p.name, Title: p.title}
		for _, a := range s.Accounts(p.name) {
			pl.Accounts = append(pl.Accounts, acct{Name: a.Name, ID: a.ID, Path: p.pagePath(a.ID), Posts: counts[accountKey{p.name, a.ID}]})
		}
		ps = append(ps, pl)
	}
	renderPage(w, http.StatusOK, "index", "Sandbox platforms", map[string]any{"Platforms": ps, "Faults": s.Faults()})
}

// handleNotFound answers unknown /sandbox/ paths.
func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	renderPage(w, http.StatusNotFound, "notfound", "Not found", map[string]string{"Message": "There is no sandbox page at this address."})
}

// handleMedia serves GET /sandbox/_media/{id}: an uploaded image.
func (s *Server) handleMedia(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	m := s.media[r.PathValue("id")]
	s.mu.Unlock()
	if m == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", m.ContentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "public, max-age=86400, immutable")
	w.Header().Set("Content-Length", strconv.Itoa(len(m.Data)))
	w.Write(m.Data)
}

// imageURL is where an image can be seen: the uploaded bytes, or the URL
// the platform was given.
func (s *Server) imageURL(r *http.Request, im Image) string {
	if im.URL != "" {
		return im.URL
	}
	return s.base(r) + "/sandbox/_media/" + im.ID
}

// renderFeed serves an account's page: its visible posts newest first, or,
// when postID is set, that one post (deleted or unpublished ones included,
// labelled as such).
func (s *Server) renderFeed(w http.ResponseWriter, r *http.Request, platformName, accountID, postID string) {
	p := lookupPlatform(platformName)
	acct, known := s.account(platformName, accountID)
	if p == nil || !known {
		renderPage(w, http.StatusNotFound, "notfound", "Not found", map[string]string{"Message": "There is no such account in the sandbox."})
		return
	}
	type image struct{ Src, Alt string }
	type post struct {
		ID, Path, Text, Link, When, ISO string
		Images                          []image
		Deleted, Hidden, Scheduled      bool
	}
	now := s.now()
	var views []post
	posts := s.Posts(platformName, accountID)
	slices.Reverse(posts)
	slices.SortStableFunc(posts, func(a, b Post) int { return publishedAt(&b).Compare(publishedAt(&a)) })
	for _, q := range posts {
		if postID != "" && q.ID != postID || postID == "" && !q.Visible(now) {
			continue
		}
		at := publishedAt(&q)
		v := post{ID: q.ID, Path: p.postPath(&q), Text: q.Text, Link: q.Link, When: at.In(ist).Format("2 Jan 2006, 3:04 PM") + " IST",
			ISO: at.Format(time.RFC3339), Deleted: q.DeletedAt != nil, Hidden: q.Hidden, Scheduled: q.ScheduledAt != nil && q.ScheduledAt.After(now)}
		if !strings.HasPrefix(v.Link, "http://") && !strings.HasPrefix(v.Link, "https://") {
			v.Link = ""
		}
		for i, im := range q.Images {
			alt := im.AltText
			if alt == "" {
				alt = "Image " + strconv.Itoa(i+1) + " of the post (no description given)"
			}
			v.Images = append(v.Images, image{Src: s.imageURL(r, im), Alt: alt})
		}
		views = append(views, v)
	}
	if postID != "" && len(views) == 0 {
		renderPage(w, http.StatusNotFound, "notfound", "Not found", map[string]string{"Message": "There is no such post on this account."})
		return
	}
	name := acct.Name
	if name == "" {
		name = acct.ID
	}
	title := name + " on " + p.title
	if postID != "" {
		title = "Post " + postID + " — " + title
	}
	renderPage(w, http.StatusOK, "feed", title, map[string]any{"PlatformTitle": p.title, "Name": name, "AccountID": acct.ID,
		"Posts": views, "Single": postID != "", "FeedPath": p.pagePath(acct.ID)})
}
