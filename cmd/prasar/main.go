// Command prasar runs Prasar, the publishing hub: the API and web interface,
// the queue workers that publish to the platforms, or both.
//
//	prasar serve                 API + worker + scheduler in one process (embedded defaults)
//	prasar api                   the HTTP API and web interface only
//	prasar worker                the queue workers only
//	prasar admin create-user …   add a user (password from PRASAR_ADMIN_PASSWORD or stdin)
//	prasar admin gen-key         print a new PRASAR_SECRET_KEY
//	prasar admin rebuild-rollups recompute the reach roll-ups from the raw metric readings
//	prasar env [--markdown]      list the configuration variables
//	prasar healthcheck URL       exit 0 if URL answers 200 (for container health checks)
//
// Configuration comes from PRASAR_* environment variables (see the README
// or `prasar env`), read once at start and validated with clear messages.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "prasar:", err)
		os.Exit(1)
	}
}

const usage = `usage: prasar <command>

commands:
  serve                 the whole product in one process (API, worker, scheduler)
  api                   the HTTP API and web interface only (needs MONGODB_URI, REDIS_URL)
  worker                the queue workers only (needs MONGODB_URI, REDIS_URL)
  admin create-user     add a user: --email --name --role admin|approver|editor|viewer [--org CODE] [--lang hi|en]
  admin gen-key         print a new secret key for PRASAR_SECRET_KEY
  admin rebuild-rollups recompute the reach roll-ups from the raw metric readings (after a definition changed)
  env [--markdown]      list the configuration variables
  healthcheck URL       exit 0 if URL answers 200; --worker checks the store and Redis
`

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch cmd := args[0]; cmd {
	case "serve", "api", "worker":
		cfg, err := LoadConfig(cmd, getenv)
		if err != nil {
			return err
		}
		ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
		m := NewMain(cfg, stdout, stderr)
		if err := m.Run(ctx); err != nil {
			m.Close()
			return err
		}
		<-ctx.Done()
		stop()
		m.logger().Info("shutting down", "reason", "signal")
		return m.Close()
	case "admin":
		return runAdmin(ctx, args[1:], getenv, stdin, stdout, stderr)
	case "env":
		printEnv(stdout, len(args) > 1 && args[1] == "--markdown")
		return nil
	case "healthcheck":
		return runHealthcheck(ctx, args[1:], getenv)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

// printEnv lists the configuration variables, as text or as the README's
// Markdown table.
func printEnv(w io.Writer, markdown bool) {
	if markdown {
		fmt.Fprintln(w, "| variable | default | used by | meaning |")
		fmt.Fprintln(w, "| --- | --- | --- | --- |")
		for _, e := range envVars {
			d := e.Default
			if d == "" {
				d = "(empty)"
			}
			fmt.Fprintf(w, "| `%s` | `%s` | %s | %s |\n", e.Name, d, e.Modes, e.Help)
		}
		return
	}
	for _, e := range envVars {
		fmt.Fprintf(w, "%-32s default %q (%s)\n    %s\n", e.Name, e.Default, e.Modes, e.Help)
	}
}

// runHealthcheck checks a URL (api containers) or the store and Redis
// (worker containers) and returns an error if they do not answer.
func runHealthcheck(ctx context.Context, args []string, getenv func(string) string) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	worker := fs.Bool("worker", false, "check the store and Redis of a worker")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if *worker {
		cfg, err := LoadConfig("worker", getenv)
		if err != nil {
			return err
		}
		return checkWorkerHealth(ctx, cfg)
	}
	if fs.NArg() != 1 {
		return errors.New("usage: prasar healthcheck URL | --worker")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fs.Arg(0), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", fs.Arg(0), resp.Status)
	}
	return nil
}
