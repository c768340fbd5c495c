package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
	"github.com/prasar/prasar/publisher/benchcpu"
	"github.com/prasar/prasar/queue"
)

// BenchmarkFanout1000 measures the product end to end on one machine: one
// approved post fanned out to 1,000 sandbox Facebook Pages through asynq,
// each delivery claimed, published over HTTP to the sandbox and recorded
// in the SQLite store — and, in the same run, raw asynq's throughput with a
// no-op handler on the same Redis. It prints deliveries per second and the
// ratio. Real Redis when REDIS_URL is set (the target: ≥ 0.5 of raw
// asynq), the in-process Redis otherwise.
func BenchmarkFanout1000(b *testing.B) {
	const accounts = 1000
	concurrency := 20
	getenv := testEnv(b, "PRASAR_WORKER_CONCURRENCY", fmt.Sprint(concurrency), "PRASAR_LOG_LEVEL", "warn")
	cfg, err := LoadConfig("serve", getenv)
	if err != nil {
		b.Fatal(err)
	}
	cfg.queuePoll = queue.BenchTaskCheckInterval
	m := NewMain(cfg, os.Stdout, os.Stderr)
	if err := m.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	ctx := publisher.SystemContext(context.Background())
	svc, store := m.Service(), m.Store()
	org, err := svc.CreateOrg(ctx, publisher.OrgInput{Code: "BENCH", Type: publisher.OrgDepartment, NameEN: "Bench Department", NameHI: "बेंच विभाग"})
	if err != nil {
		b.Fatal(err)
	}
	mkUser := func(email string, role publisher.Role) *publisher.User {
		u, err := svc.CreateUser(ctx, publisher.UserInput{Email: email, Name: email, Role: role, OrgID: org.ID, Password: "bench-password-1"})
		if err != nil {
			b.Fatal(err)
		}
		return u
	}
	editor, approver := mkUser("editor@bench.example", publisher.RoleEditor), mkUser("approver@bench.example", publisher.RoleApprover)
	var targets []string
	for i := 0; i < accounts; i++ {
		ext := fmt.Sprintf("9%08d", i)
		tok := m.Sandbox().MintToken("facebook", ext, "Bench Page", 24*time.Hour)
		a, err := svc.SaveAccount(ctx, publisher.AccountInput{OrgID: org.ID, Platform: publisher.Facebook, Handle: "@bench" + ext, ExternalID: ext, Sandbox: true,
			Credentials: &publisher.Credentials{AccessToken: tok}})
		if err != nil {
			b.Fatal(err)
		}
		targets = append(targets, a.ID)
	}

	for i := 0; i < b.N; i++ {
		ed, ap := publisher.NewContextWithUser(context.Background(), editor), publisher.NewContextWithUser(context.Background(), approver)
		p, err := svc.CreatePost(ed, publisher.PostInput{Content: publisher.Content{BodyHI: fmt.Sprintf("बेंचमार्क पोस्ट %d — हरियाणा सरकार", i)}, Targets: targets})
		if err != nil {
			b.Fatal(err)
		}
		if p, err = svc.SubmitPost(ed, p.ID, p.Revision); err != nil {
			b.Fatal(err)
		}
		stopProfile := profileWindow(b)
		cpu := benchcpu.Now()
		start := time.Now()
		if _, err = svc.ApprovePost(ap, p.ID, p.Revision, ""); err != nil {
			b.Fatal(err)
		}
		// Poll the store gently: a tight poll would take CPU from the
		// measured work.
		deadline := time.Now().Add(5 * time.Minute)
		for {
			c, state := countStatuses(b, store, p.ID)
			if c[publisher.DeliveryPublished] == accounts {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("timed out waiting for every delivery to be published: %s", state)
			}
			time.Sleep(100 * time.Millisecond)
		}
		stopProfile()
		productCPU := benchcpu.Now() - cpu
		// The end is when the last delivery was stored as published, not
		// when the poll noticed (up to 100 ms later).
		ds, _, err := store.ListDeliveries(context.Background(), publisher.DeliveryFilter{PostID: p.ID, Limit: accounts})
		if err != nil || len(ds) != accounts {
			b.Fatalf("listing the deliveries: %d, %v", len(ds), err)
		}
		var last time.Time
		for _, d := range ds {
			if d.PublishedAt != nil && d.PublishedAt.After(last) {
				last = *d.PublishedAt
			}
		}
		elapsed := last.Sub(start)
		product := float64(accounts) / elapsed.Seconds()

		cpu = benchcpu.Now()
		raw, err := queue.MeasureRawThroughput(context.Background(), m.redis, accounts, concurrency)
		if err != nil {
			b.Fatal(err)
		}
		rawCPU := benchcpu.Now() - cpu
		redisKind := "in-process Redis"
		if cfg.RedisURL != "" {
			redisKind = "Redis " + cfg.RedisURL
		}
		fmt.Printf("fan-out of 1 post to %d sandbox accounts (SQLite, %s, concurrency %d): %.0f deliveries/s end to end (%.2fs); raw asynq no-op: %.0f tasks/s; ratio %.2f\n",
			accounts, redisKind, concurrency, product, elapsed.Seconds(), raw, product/raw)
		// The process's CPU time per delivery and per no-op task (Redis
		// runs in a process of its own): where the two rates differ, this
		// says whether the machine's cores or the round trips were the
		// limit.
		fmt.Printf("  process CPU: %.0f µs per delivery (the sandbox platform's side included), %.0f µs per raw asynq task; %d CPUs\n",
			float64(productCPU.Microseconds())/accounts, float64(rawCPU.Microseconds())/accounts, runtime.GOMAXPROCS(0))
		b.ReportMetric(product, "deliveries/s")
		b.ReportMetric(raw, "raw-asynq/s")
		b.ReportMetric(product/raw, "ratio")
		b.ReportMetric(float64(productCPU.Microseconds())/accounts, "cpu-µs/delivery")
	}
}

// profileWindow starts a CPU profile of the measured window into the file
// named by PRASAR_BENCH_CPUPROFILE, if set (go test's -cpuprofile would
// also profile the set-up); the function it returns stops it.
func profileWindow(b *testing.B) func() {
	path := os.Getenv("PRASAR_BENCH_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			b.Error(err)
		}
	}
}
