package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/sandbox"
	"github.com/prasar/prasar/publisher"
)

// TestChaos is the proof of the publishing guarantees under failure. This
// test process runs `prasar api` (Main in api mode) with the sandbox
// platforms; real, separate `prasar worker` processes (the binary built
// from this package) do the publishing; both share one SQLite file
// (PRASAR_SQLITE_SHARED) and a redis-server of the test's own on a free
// port. While at least 2,000 deliveries fan out, the test kill -9s workers
// again and again, restarts Redis (without persistence: every task is
// lost), and the sandbox injects, at random, 5xx answers (some after
// acting), timeouts, dropped connections, 429s with reset headers and
// "answered but connection dropped". Then, from the sandbox's own record of
// what it received, it checks that every delivery was published exactly
// once, or ended in an explained state (failed with a message and nothing
// on the platform; unconfirmed with a message) — nothing doubled, nothing
// lost — and prints the counts.
//
// The short version runs in `make test`; PRASAR_CHAOS=long (`make chaos`)
// runs more deliveries for longer, with more kills and Redis restarts.
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the chaos test runs for minutes (it runs in `make test` and, long, in `make chaos`)")
	}
	p := chaosParams{posts: 20, perPlatform: 15, faultPhase: 45 * time.Second, killEvery: 5 * time.Second, redisEvery: 20 * time.Second, settle: 4 * time.Minute, workers: 2}
	if os.Getenv("PRASAR_CHAOS") == "long" {
		p = chaosParams{posts: 40, perPlatform: 36, faultPhase: 4 * time.Minute, killEvery: 3 * time.Second, redisEvery: 30 * time.Second, settle: 8 * time.Minute, workers: 3}
	}
	redisBin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server is not installed: the chaos test restarts a Redis of its own (apt-get install redis-server; .ci/run installs it); " +
			"go test -short leaves the chaos test out")
	}
	start := time.Now()
	dir := t.TempDir()
	bin := buildPrasar(t, dir)
	t.Logf("chaos: built the prasar binary in %s", time.Since(start).Round(time.Millisecond))
	rds := startRedis(t, redisBin, dir)

	key := make([]byte, 32)
	rand.Read(key)
	secret := "chaos:" + base64.StdEncoding.EncodeToString(key)
	data := filepath.Join(dir, "data")
	shared := map[string]string{
		"PRASAR_DATA_DIR": data, "PRASAR_SQLITE_SHARED": "true", "REDIS_URL": rds.url(), "PRASAR_SECRET_KEY": secret,
		"PRASAR_DELIVERY_LEASE": "6s", "PRASAR_RECONCILE_EVERY": "2s", "PRASAR_RECONCILE_GRACE": "5s",
		"PRASAR_RETRY_BASE": "1s", "PRASAR_RETRY_MAX": "4s", "PRASAR_LOG_LEVEL": "warn", "PRASAR_DEMO": "off",
		"PRASAR_WORKER_CONCURRENCY": "12", "PRASAR_SHUTDOWN_TIMEOUT": "2s",
	}
	apiEnv := []string{"PRASAR_ADDR", "127.0.0.1:0"}
	for k, v := range shared {
		apiEnv = append(apiEnv, k, v)
	}
	m := startMain(t, "api", testEnv(t, apiEnv...))
	sb := m.Sandbox()
	if sb == nil {
		t.Fatal("the api process serves no sandbox")
	}
	workerEnv := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "PRASAR_SANDBOX_URL=" + m.URL() + "/sandbox", "PRASAR_BASE_URL=" + m.URL()}
	for k, v := range shared {
		workerEnv = append(workerEnv, k+"="+v)
	}
	ws := &workers{t: t, bin: bin, env: workerEnv, dir: dir}
	for i := 0; i < p.workers; i++ {
		ws.start(i)
	}
	t.Cleanup(ws.stopAll)

	// The organisation, its accounts on every sandbox platform that takes
	// text, and the posts: posts × accounts deliveries.
	f := newFixtureOn(t, m, "CHAOS", p.perPlatform, chaosPlatforms...)
	faults := newFaultPlan(sb, f.pages)
	faults.apply(0)
	var posts []*publisher.Post
	tokens := map[string]string{} // post id → the token its text carries
	approve := func() {
		i := len(posts)
		text := fmt.Sprintf("अराजकता परीक्षण %d: हरियाणा सरकार की सूचना — chaos notice [chaos-%03d]", i, i)
		post := f.approve(t, m, text)
		posts = append(posts, post)
		tokens[post.ID] = fmt.Sprintf("[chaos-%03d]", i)
	}
	total := p.posts * len(f.pages)
	seeded := time.Now()
	byPlatform := map[publisher.Platform]int{}
	for _, a := range f.pages {
		byPlatform[a.Platform]++
	}
	t.Logf("chaos: %d posts × %d accounts %v = %d deliveries, approved one after another during %s of faults (set up in %s); %d worker processes",
		p.posts, len(f.pages), byPlatform, total, p.faultPhase, time.Since(start).Round(time.Millisecond), p.workers)

	settled := func() (bool, string) {
		c, n := publisher.DeliveryCounts{}, 0
		for _, post := range posts {
			pc, _ := countStatuses(t, m.Store(), post.ID)
			for st, k := range pc {
				c[st] += k
				n += k
			}
		}
		open := c[publisher.DeliveryQueued] + c[publisher.DeliverySending] + c[publisher.DeliveryRetrying]
		return n == total && open == 0, fmt.Sprint(c)
	}
	// Chaos: kill -9 a worker now and then (and start it again), restart
	// Redis, move the faults around.
	var kills, redisRestarts int
	faultEnd := time.Now().Add(p.faultPhase)
	nextKill, nextRedis, nextShift := time.Now().Add(p.killEvery), time.Now().Add(p.redisEvery), time.Now().Add(10*time.Second)
	// The approvals arrive over the first four fifths of the fault phase,
	// so that work is in flight whenever the chaos strikes.
	approveEvery := p.faultPhase * 4 / 5 / time.Duration(p.posts)
	nextApproval := time.Now()
	shift := 0
	for time.Now().Before(faultEnd) || len(posts) < p.posts {
		time.Sleep(100 * time.Millisecond)
		now := time.Now()
		if len(posts) < p.posts && now.After(nextApproval) {
			approve()
			nextApproval = nextApproval.Add(approveEvery)
		}
		if now.After(nextKill) {
			ws.killAndRestart(mrand.IntN(p.workers))
			kills++
			nextKill = now.Add(p.killEvery/2 + time.Duration(mrand.Int64N(int64(p.killEvery))))
		}
		if now.After(nextRedis) {
			rds.restart()
			redisRestarts++
			nextRedis = now.Add(p.redisEvery)
		}
		if now.After(nextShift) {
			shift++
			faults.apply(shift)
			nextShift = now.Add(10 * time.Second)
		}
	}
	// The platforms recover; the pipeline must finish on its own.
	_, state := settled()
	t.Logf("chaos: fault phase over after %s (%d kills, %d Redis restarts): %s", time.Since(seeded).Round(time.Second), kills, redisRestarts, state)
	sb.ClearFaults("", "")
	ws.ensureRunning()
	waitFor(t, p.settle, "every delivery to settle", settled)
	t.Logf("chaos: settled %s after the first approval", time.Since(seeded).Round(time.Second))
	elapsed := time.Since(seeded)

	// The proof, from the sandbox's own record.
	st := m.Store()
	ctx := context.Background()
	byAccount := map[string][]sandbox.Post{} // platform/account → posts
	allPosts := sb.AllPosts()
	for _, sp := range allPosts {
		byAccount[sp.Platform+"/"+sp.AccountID] = append(byAccount[sp.Platform+"/"+sp.AccountID], sp)
	}
	extOf := map[string]string{}
	for _, a := range f.pages {
		extOf[a.ID] = string(a.Platform) + "/" + a.ExternalID
	}
	counts := map[publisher.DeliveryStatus]int{}
	outcomes := map[string]int{}
	var problems []string
	matched, claims, finished := 0, 0, 0
	for _, post := range posts {
		ds, _, err := st.ListDeliveries(ctx, publisher.DeliveryFilter{PostID: post.ID, Limit: 10000})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			counts[d.Status]++
			var on []sandbox.Post
			for _, sp := range byAccount[extOf[d.AccountID]] {
				if strings.Contains(sp.Text, tokens[post.ID]) && sp.DeletedAt == nil {
					on = append(on, sp)
				}
			}
			matched += len(on)
			switch {
			case len(on) > 1:
				problems = append(problems, fmt.Sprintf("DUPLICATE: delivery %s (%s) is on page %s %d times", d.ID, d.Status, extOf[d.AccountID], len(on)))
			case d.Status == publisher.DeliveryPublished && len(on) != 1:
				problems = append(problems, fmt.Sprintf("LOST: delivery %s says published but page %s has no such post", d.ID, extOf[d.AccountID]))
			case d.Status == publisher.DeliveryPublished && !sameID(d.ExternalID, on[0].ID):
				problems = append(problems, fmt.Sprintf("delivery %s records post %s, the page has %s", d.ID, d.ExternalID, on[0].ID))
			case d.Status == publisher.DeliveryFailed && (len(on) != 0 || d.ErrorMessage == ""):
				problems = append(problems, fmt.Sprintf("delivery %s failed with %d posts on the page and message %q", d.ID, len(on), d.ErrorMessage))
			case d.Status == publisher.DeliveryUnconfirmed && d.ErrorMessage == "":
				problems = append(problems, fmt.Sprintf("delivery %s is unconfirmed without an explanation", d.ID))
			case d.Status != publisher.DeliveryPublished && d.Status != publisher.DeliveryFailed && d.Status != publisher.DeliveryUnconfirmed:
				problems = append(problems, fmt.Sprintf("delivery %s ended %s", d.ID, d.Status))
			}
			as, err := st.ListAttempts(ctx, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			claims += d.Attempts
			finished += len(as)
			for _, a := range as {
				outcomes[a.Outcome]++
			}
		}
	}
	// Nothing on the platform that no delivery accounts for.
	chaosPosts := 0
	for _, sp := range allPosts {
		if strings.Contains(sp.Text, "[chaos-") {
			chaosPosts++
		}
	}
	if chaosPosts != matched {
		problems = append(problems, fmt.Sprintf("the sandbox has %d chaos posts, the deliveries account for %d", chaosPosts, matched))
	}
	var keys []string
	for k := range outcomes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var oc []string
	attempts := 0
	for _, k := range keys {
		oc = append(oc, fmt.Sprintf("%s %d", k, outcomes[k]))
		attempts += outcomes[k]
	}
	summary := fmt.Sprintf("chaos (%s): %d deliveries, settled %s after the first approval — published %d, failed %d, unconfirmed %d; duplicates 0 expected, problems %d; "+
		"%d worker kill -9s, %d Redis restarts, %d attempts finished (%s) and %d cut short by a kill; %d posts on the sandbox",
		map[bool]string{true: "long", false: "short"}[os.Getenv("PRASAR_CHAOS") == "long"], total, elapsed.Round(time.Second),
		counts[publisher.DeliveryPublished], counts[publisher.DeliveryFailed], counts[publisher.DeliveryUnconfirmed], len(problems),
		kills, redisRestarts, attempts, strings.Join(oc, ", "), claims-finished, chaosPosts)
	fmt.Println(summary)
	t.Log(summary)
	for i, pr := range problems {
		if i == 30 {
			t.Errorf("… and %d more", len(problems)-30)
			break
		}
		t.Error(pr)
	}
	if kills == 0 || redisRestarts == 0 {
		t.Errorf("the chaos did not happen: %d kills, %d Redis restarts", kills, redisRestarts)
	}
	if problems != nil {
		ws.dumpLogs()
	}
}

// sameID reports whether a delivery's external id names the sandbox's
// post: the same id, or the post's id within its chat (Telegram's message
// ids are per chat: the sandbox records "<chat>_<message>").
func sameID(external, sandboxID string) bool {
	return external != "" && (external == sandboxID || strings.HasSuffix(sandboxID, "_"+external))
}

type chaosParams struct {
	posts, perPlatform    int
	faultPhase, killEvery time.Duration
	redisEvery, settle    time.Duration
	workers               int
}

// faultPlan gives each page one kind of fault, in probability mode, and
// moves them around.
type faultPlan struct {
	sb    *sandbox.Server
	pages []*publisher.Account
}

func newFaultPlan(sb *sandbox.Server, pages []*publisher.Account) *faultPlan {
	return &faultPlan{sb: sb, pages: pages}
}

// chaosFaults are the faults pages take turns with; nil: a healthy page.
var chaosFaults = []*sandbox.Fault{
	nil,
	{Kind: sandbox.FaultServerError, Rate: 0.3},                                                // a 5xx before acting
	{Kind: sandbox.FaultServerError, Rate: 0.3, Commit: true},                                  // a 5xx after acting
	{Kind: sandbox.FaultRateLimit, Rate: 0.2, RetryAfter: 20 * time.Second},                    // 429 with reset headers
	{Kind: sandbox.FaultDropAfterCommit, Rate: 0.3},                                            // answered, connection dropped
	{Kind: sandbox.FaultDrop, Rate: 0.3},                                                       // dropped before acting
	{Kind: sandbox.FaultSlow, Rate: 0.2, Delay: 10 * time.Second},                              // a timeout (acts when the client gives up)
	{Kind: sandbox.FaultSlow, Rate: 0.3, Delay: 700 * time.Millisecond},                        // slow but in time
	{Kind: sandbox.FaultServerError, Rate: 0.2, Ops: []sandbox.Op{sandbox.OpAll}, Status: 503}, // look-ups fail too
	{Kind: sandbox.FaultDuplicate, Rate: 0.05},                                                 // refused content: failed, or unconfirmed after an interruption
}

func (fp *faultPlan) apply(shift int) {
	for i, a := range fp.pages {
		fp.sb.ClearFaults(string(a.Platform), a.ExternalID)
		if f := chaosFaults[(i+shift)%len(chaosFaults)]; f != nil {
			if err := fp.sb.SetFault(string(a.Platform), a.ExternalID, *f); err != nil {
				panic(err)
			}
		}
	}
}

// buildPrasar builds the prasar binary (without the web interface, which a
// worker does not serve) into dir.
func buildPrasar(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "prasar")
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	cmd := exec.Command(goTool, "build", "-o", bin, ".")
	cmd.Env = os.Environ() // the test's own build settings: the build cache serves most of it
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// testRedis is a redis-server of the test's own, without persistence.
type testRedis struct {
	t        *testing.T
	bin, dir string
	port     int
	mu       sync.Mutex
	cmd      *exec.Cmd
}

func startRedis(t *testing.T, bin, dir string) *testRedis {
	t.Helper()
	r := &testRedis{t: t, bin: bin, dir: dir, port: freePort(t)}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *testRedis) url() string { return "redis://127.0.0.1:" + strconv.Itoa(r.port) + "/0" }

func (r *testRedis) start() {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	cmd := exec.Command(r.bin, "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", r.dir, "--loglevel", "warning")
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		r.t.Fatalf("starting redis-server: %v", err)
	}
	r.cmd = cmd
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(r.port), 200*time.Millisecond); err == nil {
			fmt.Fprintf(c, "PING\r\n")
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if strings.HasPrefix(line, "+PONG") {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.t.Fatalf("redis-server on port %d did not answer", r.port)
}

// restart kills Redis (kill -9: its tasks are lost) and starts it again
// after a moment on the same port.
func (r *testRedis) restart() {
	r.stop()
	time.Sleep(500 * time.Millisecond)
	r.start()
}

func (r *testRedis) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd != nil && r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
		r.cmd = nil
	}
}

// freePort returns a TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// workers are the `prasar worker` processes.
type workers struct {
	t    *testing.T
	bin  string
	env  []string
	dir  string
	mu   sync.Mutex
	run  map[int]*worker
	logs []string
}

// worker is one process; done is closed when it has exited.
type worker struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func (w *workers) start(i int) {
	w.t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.run == nil {
		w.run = map[int]*worker{}
	}
	logPath := filepath.Join(w.dir, fmt.Sprintf("worker-%d-%d.log", i, len(w.logs)))
	lf, err := os.Create(logPath)
	if err != nil {
		w.t.Fatal(err)
	}
	cmd := exec.Command(w.bin, "worker")
	cmd.Env, cmd.Stdout, cmd.Stderr = w.env, lf, lf
	if err := cmd.Start(); err != nil {
		w.t.Fatalf("starting prasar worker: %v", err)
	}
	lf.Close() // the child has its own descriptor
	wk := &worker{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(wk.done)
	}()
	w.run[i] = wk
	w.logs = append(w.logs, logPath)
}

// killAndRestart sends SIGKILL to worker i, waits for it to die and starts
// another.
func (w *workers) killAndRestart(i int) {
	w.mu.Lock()
	wk := w.run[i]
	delete(w.run, i)
	w.mu.Unlock()
	if wk != nil {
		_ = wk.cmd.Process.Kill()
		<-wk.done
	}
	w.start(i)
}

// ensureRunning restarts any worker that exited by itself.
func (w *workers) ensureRunning() {
	w.mu.Lock()
	var dead []int
	for i, wk := range w.run {
		select {
		case <-wk.done:
			dead = append(dead, i)
		default:
		}
	}
	w.mu.Unlock()
	for _, i := range dead {
		w.t.Logf("worker %d had exited by itself; starting it again", i)
		w.start(i)
	}
}

func (w *workers) stopAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, wk := range w.run {
		_ = wk.cmd.Process.Kill()
		<-wk.done
		delete(w.run, i)
	}
}

// dumpLogs prints the end of every worker's log.
func (w *workers) dumpLogs() {
	w.mu.Lock()
	logs := append([]string(nil), w.logs...)
	w.mu.Unlock()
	for _, p := range logs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		s := string(b)
		if len(s) > 3000 {
			s = "…" + s[len(s)-3000:]
		}
		w.t.Logf("%s:\n%s", filepath.Base(p), s)
	}
}
