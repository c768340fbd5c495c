package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/prasar/prasar/publisher"
	"github.com/prasar/prasar/publisher/passhash"
)

// adminRebuildRollups recomputes every delivery's figures from its raw
// metric readings with the current definitions, and the roll-ups from
// them (`prasar admin rebuild-rollups`). On the embedded store it runs in
// one transaction, so a running `prasar serve` waits for it; on MongoDB
// stop the workers first.
func adminRebuildRollups(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	mode := "serve"
	if getenv("MONGODB_URI") != "" {
		mode = "admin"
	}
	cfg, err := LoadConfig(mode, getenv)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 6*time.Hour)
	defer cancel()
	log := slog.New(slog.NewTextHandler(stdout, &slog.HandlerOptions{Level: slog.LevelWarn}))
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close()
	keyring, _, err := loadKeyring(cfg)
	if err != nil {
		return err
	}
	svc, err := publisher.New(publisher.Config{BaseURL: cfg.BaseURL, Metrics: cfg.metricsConfig()},
		publisher.Deps{Store: store, Enqueuer: nopEnqueuer{}, Keyring: keyring, Hasher: passhash.New(), Logger: log})
	if err != nil {
		return err
	}
	start := time.Now()
	rep, err := svc.RebuildRollups(publisher.SystemContext(ctx))
	if err != nil {
		return fmt.Errorf("rebuilding the roll-ups: %w", err)
	}
	fmt.Fprintf(stdout, "rebuilt the reach roll-ups from %d raw readings of %d deliveries in %s\n", rep.Readings, rep.Contributions, time.Since(start).Round(time.Millisecond))
	return nil
}
