package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/freshplan/leads/internal/config"
	"github.com/freshplan/leads/internal/postgres"
	"github.com/freshplan/leads/internal/postgres/localpg"
)

func migrate(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	fs := newFlagSet("migrate", "migrate\n\nApplies the embedded migrations (idempotent, advisory-locked) as the schema owner,\n"+
		"FRESHPLAN_MIGRATE_DATABASE_URL (default DATABASE_URL).")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := resolveDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	return postgres.Migrate(ctx, cfg.MigrateDatabaseURL, log)
}

// resolveDatabase fills in the database URLs: a local PostgreSQL (found or
// started) when nothing is configured.
func resolveDatabase(ctx context.Context, cfg config.Config, log *slog.Logger) (config.Config, error) {
	switch {
	case cfg.DatabaseURL != "":
		return cfg, nil
	case !cfg.UsesLocalDatabase():
		return cfg, checkPGEnv(ctx)
	}
	url, err := localpg.Ensure(ctx, localpg.Options{Logger: log})
	if err != nil {
		return cfg, fmt.Errorf("database: none configured and no local PostgreSQL usable: %w", err)
	}
	log.Info("using local PostgreSQL", "database", "freshplan")
	cfg.DatabaseURL = url
	if cfg.MigrateDatabaseURL == "" {
		cfg.MigrateDatabaseURL = url
	}
	return cfg, nil
}

// checkPGEnv connects once with the PG* variables alone. Without
// DATABASE_URL they choose the server and the local fallback is off; when
// they point at nothing, the driver's bare "connection refused" would not
// say why no local PostgreSQL was tried.
func checkPGEnv(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(cctx, "")
	if err != nil {
		names, verb := setPGEnv()
		return fmt.Errorf("database: DATABASE_URL is not set but %s %s, so the local PostgreSQL fallback is off "+
			"and the PG* variables choose the server, which cannot be used; set DATABASE_URL, or fix or unset %s: %w",
			names, verb, names, err)
	}
	return conn.Close(ctx)
}

// setPGEnv names the libpq variables that are set among those that turn
// the local fallback off (config.Config.UsesLocalDatabase), with the verb
// that agrees: "PGHOST and PGPORT", "are".
func setPGEnv() (names, verb string) {
	var set []string
	for _, name := range []string{"PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE"} {
		if os.Getenv(name) != "" {
			set = append(set, name)
		}
	}
	switch n := len(set); n {
	case 0:
		return "the PG* variables", "are"
	case 1:
		return set[0], "is"
	default:
		return strings.Join(set[:n-1], ", ") + " and " + set[n-1], "are"
	}
}

// connect resolves the database, migrates it when asked, and opens a small
// pool for a tool command.
func connect(ctx context.Context, cfg config.Config, log *slog.Logger, migrate bool) (*pgxpool.Pool, error) {
	cfg, err := resolveDatabase(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	if migrate {
		if err := postgres.Migrate(ctx, cfg.MigrateDatabaseURL, log); err != nil {
			return nil, err
		}
	}
	return postgres.Open(ctx, cfg.DatabaseURL, 4)
}
