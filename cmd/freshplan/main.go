// Command freshplan is the FreshPlan Leads service and its tools:
// serve, migrate, seed, token.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/freshplan/leads/internal/config"
	"github.com/freshplan/leads/internal/redact"
)

const usage = `usage: freshplan <command> [flags]

commands:
  serve     run the HTTP API (--demo: dev auth, migrations and demo data)
  migrate   apply the database migrations
  seed      load demo users, leads and activities (--demo)
  token     print a development JWT (--user U --role SALES --territory DE)
  events    parked | replay --consumer NAME --from ID (event pipeline administration)
  normalize --backfill [--batch 500] (re-normalize existing leads)
  followups --backfill [--batch 10000] (follow-up records of leads that predate the automation)
  protect   [--batch 5000] (run the daily lead protection walk once, now)
  bench     [--writers 8] [--duration 10s] [--rate 1000] (event pipeline vs naive design)
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	cfg, err := config.FromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	cmd, args := os.Args[1], os.Args[2:]
	log := newLogger(cfg.LogLevel)
	switch cmd {
	case "serve":
		err = serve(ctx, cfg, log, args)
	case "migrate":
		err = migrate(ctx, cfg, log, args)
	case "seed":
		err = seed(ctx, cfg, log, args)
	case "bench":
		err = bench(ctx, cfg, log, args, os.Stdout)
	case "normalize":
		err = normalizeCmd(ctx, cfg, log, args, os.Stdout)
	case "followups":
		err = followupsCmd(ctx, cfg, log, args, os.Stdout)
	case "protect":
		err = protectCmd(ctx, cfg, log, args, os.Stdout)
	case "events":
		err = events(ctx, cfg, log, args, os.Stdout)
	case "token":
		err = token(cfg, args, os.Stdout)
	case "-h", "--help", "help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if errors.Is(err, flag.ErrHelp) {
		return // the flag set printed the usage; asking for it is no failure
	}
	if err != nil {
		log.Error("freshplan "+cmd+" failed", "error", err)
		os.Exit(1)
	}
}

// newFlagSet returns the flag set of a subcommand. Its usage is text (the
// synopsis first, without "freshplan") and the flags; -h or --help prints
// it and makes Parse return flag.ErrHelp, which main treats as success.
func newFlagSet(name, text string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: freshplan %s\n", text)
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintln(fs.Output(), "\nflags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// newLogger writes JSON through the redacting handler, so no full e-mail
// address or phone number reaches a log.
func newLogger(level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(strings.ToUpper(level)))
	return slog.New(redact.NewHandler(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l})))
}
