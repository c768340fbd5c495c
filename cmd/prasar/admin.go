package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/prasar/prasar/publisher"
	"github.com/prasar/prasar/publisher/passhash"
)

// runAdmin runs `prasar admin …` commands.
func runAdmin(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: prasar admin create-user|gen-key")
	}
	switch args[0] {
	case "gen-key":
		fmt.Fprintln(stdout, newKeySpec())
		return nil
	case "create-user":
		return adminCreateUser(ctx, args[1:], getenv, stdin, stdout)
	case "rebuild-rollups":
		return adminRebuildRollups(ctx, getenv, stdout) // reach.go
	}
	return fmt.Errorf("unknown admin command %q", args[0])
}

// adminCreateUser adds a user from the command line. The password comes
// from PRASAR_ADMIN_PASSWORD or, if that is empty, the first line of stdin.
func adminCreateUser(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("create-user", flag.ContinueOnError)
	email := fs.String("email", "", "e-mail address (the sign-in name)")
	name := fs.String("name", "", "full name")
	role := fs.String("role", "", "admin, approver, editor or viewer")
	org := fs.String("org", "", "organisation code (required for editors), e.g. AGRI")
	lang := fs.String("lang", "hi", "interface language: hi or en")
	if err := fs.Parse(args); err != nil {
		return err
	}
	mode := "serve"
	if getenv("MONGODB_URI") != "" {
		mode = "admin"
	}
	cfg, err := LoadConfig(mode, getenv)
	if err != nil {
		return err
	}
	password := getenv("PRASAR_ADMIN_PASSWORD")
	if password == "" {
		fmt.Fprint(stdout, "password (at least 10 characters): ")
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("reading the password: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	store, err := openStore(ctx, cfg, slog.New(slog.NewTextHandler(stdout, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	defer store.Close()
	keyring, _, err := loadKeyring(cfg)
	if err != nil {
		return err
	}
	svc, err := publisher.New(publisher.Config{BaseURL: cfg.BaseURL}, publisher.Deps{Store: store, Enqueuer: nopEnqueuer{}, Keyring: keyring, Hasher: passhash.New()})
	if err != nil {
		return err
	}
	orgID := ""
	if *org != "" {
		o, err := store.GetOrgByCode(ctx, strings.ToUpper(*org))
		if err != nil {
			return fmt.Errorf("organisation %q: %w", *org, err)
		}
		orgID = o.ID
	}
	u, err := svc.CreateUser(publisher.SystemContext(ctx), publisher.UserInput{Email: *email, Name: *name, Role: publisher.Role(*role), OrgID: orgID, Lang: *lang, Password: password})
	if err != nil {
		var fe []string
		for _, f := range publisher.ErrorFields(err) {
			fe = append(fe, fmt.Sprintf("  --%s: %s", f.Field, f.Message))
		}
		if len(fe) > 0 {
			return fmt.Errorf("%s\n%s", publisher.ErrorMessage(err), strings.Join(fe, "\n"))
		}
		return err
	}
	fmt.Fprintf(stdout, "created %s %s (%s)\n", u.Role, u.Email, u.ID)
	return nil
}

// nopEnqueuer is the Enqueuer of commands that never publish.
type nopEnqueuer struct{}

func (nopEnqueuer) EnqueueFanout(context.Context, string, int, time.Time) error { return nil }
func (nopEnqueuer) EnqueueDelivery(context.Context, string, publisher.Platform, time.Time) error {
	return nil
}
