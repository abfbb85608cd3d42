package postgres

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"
)

// riverVersion is River's schema version (its main migration line) that
// migration 00016 brings the database to. It is pinned: upgrading River to
// a version with new schema migrations means a new goose migration that
// targets the new version, in its place among ours.
const riverVersion = 8

// riverMigration runs River's own migrations as goose version 16, through
// rivermigrate, outside a goose transaction (River runs each of its
// versions in a transaction of its own; some cannot share one).
func riverMigration() *goose.Migration {
	run := func(direction rivermigrate.Direction, target int) func(context.Context, *sql.DB) error {
		return func(ctx context.Context, db *sql.DB) error {
			m, err := rivermigrate.New(riverdatabasesql.New(db), nil)
			if err != nil {
				return fmt.Errorf("postgres: river migrator: %w", err)
			}
			if _, err := m.Migrate(ctx, direction, &rivermigrate.MigrateOpts{TargetVersion: target}); err != nil {
				return fmt.Errorf("postgres: river migrate %s: %w", direction, err)
			}
			return nil
		}
	}
	return goose.NewGoMigration(16,
		&goose.GoFunc{RunDB: run(rivermigrate.DirectionUp, riverVersion)},
		&goose.GoFunc{RunDB: run(rivermigrate.DirectionDown, -1)})
}
