package demo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Loading through the indexes of leads is slow: since 00009/00010 it has
// 20 of them, two GiST and two GIN over trigrams without a pending list,
// and a million leads took longer than a quarter of an hour that way on
// the 2-core machine (the activities' random primary key and foreign-key
// checks add to it). Building them from the loaded tables costs a
// fraction, and two builds run side by side on two cores. So when the
// role owns the tables, the seed, as pg_restore does,
//
//  1. records the definitions of the indexes, the foreign keys and the
//     primary keys of leads and activities in pendingTable and drops them,
//     in one transaction (a key another table's foreign key needs stays);
//  2. copies the rows over parallel streams, each chunk committed;
//  3. builds the indexes, the keys' indexes among them, costliest first
//     and two at a time; then makes the keys' indexes keys again and adds
//     the foreign keys (which validates every row). Each step commits
//     together with the change of its record; then it drops pendingTable.
//
// A key's index is built with CREATE UNIQUE INDEX, which lets the other
// builds on its table run, and attached with ADD CONSTRAINT ... USING
// INDEX at the end: ADD PRIMARY KEY would lock the table against the
// other builds for as long as its own build takes.
//
// Either an index or key exists, or its definition is in pendingTable: a
// seed that fails or is interrupted in between leaves the record, and the
// next `freshplan seed --leads` builds what is missing before anything
// else. Check constraints stay and check every row as it is copied.
const pendingTable = "seed_pending_index"

// pendingIndex is one recorded index or constraint.
type pendingIndex struct {
	Name  string // index or constraint name
	Table string
	// Kind is what is still to do: "index" (build it), "primary key" or
	// "unique" (build the key's index, then attach it), "attach primary
	// key" or "attach unique" (the index exists), "foreign" (add it).
	Kind   string
	Method string // index access method: gist, gin, btree
	Def    string // CREATE INDEX statement, or the foreign key's definition
}

// loadRebuilding drops the indexes, loads the users and the chunks, and
// builds the indexes again; it returns how long the builds took.
func (g *generator) loadRebuilding(ctx context.Context, pool *pgxpool.Pool, cols leadCols, users [][]any, streams int, log *slog.Logger) (time.Duration, error) {
	began := time.Now()
	if err := dropIndexes(ctx, pool, users); err != nil {
		return 0, err
	}
	if err := g.loadChunks(ctx, pool, cols, streams, log); err != nil {
		if ctx.Err() == nil { // not interrupted: leave no index behind
			if _, rerr := rebuildPending(context.WithoutCancel(ctx), pool, streams, log); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
		return 0, fmt.Errorf("%w (what is still to build is recorded in %s; `freshplan seed --leads` builds it first)", err, pendingTable)
	}
	log.Info("rows loaded, building indexes", "duration", time.Since(began).Round(time.Millisecond).String())
	return rebuildPending(ctx, pool, streams, log)
}

// recordSQL fills pendingTable: the indexes no constraint owns, the
// foreign keys of leads and activities, and their primary and unique keys
// that no other table's foreign key needs.
const recordSQL = `CREATE TABLE ` + pendingTable + ` (name text PRIMARY KEY, "table" text NOT NULL, kind text NOT NULL,
	method text NOT NULL, def text NOT NULL);
INSERT INTO ` + pendingTable + ` (name, "table", kind, method, def)
SELECT i.indexrelid::regclass::text, i.indrelid::regclass::text, 'index', am.amname, pg_get_indexdef(i.indexrelid)
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
WHERE i.indrelid IN ('leads'::regclass, 'activities'::regclass)
AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
UNION ALL
SELECT quote_ident(k.conname), k.conrelid::regclass::text,
	CASE k.contype WHEN 'f' THEN 'foreign' WHEN 'p' THEN 'primary key' ELSE 'unique' END, 'btree',
	CASE k.contype WHEN 'f' THEN pg_get_constraintdef(k.oid) ELSE pg_get_indexdef(k.conindid) END
FROM pg_constraint k
WHERE k.conrelid IN ('leads'::regclass, 'activities'::regclass)
AND (k.contype = 'f' OR k.contype IN ('p', 'u') AND k.conname::text = k.conindid::regclass::text
	AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = k.conindid
		AND f.conrelid NOT IN ('leads'::regclass, 'activities'::regclass)))`

// dropIndexes records and drops the indexes and keys and copies the
// users, in one transaction.
func dropIndexes(ctx context.Context, pool *pgxpool.Pool, users [][]any) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, recordSQL); err != nil {
			return fmt.Errorf("demo: record indexes: %w", err)
		}
		pending, err := readPending(ctx, tx)
		if err != nil {
			return err
		}
		// Foreign keys first: they depend on the keys.
		slices.SortStableFunc(pending, func(a, b pendingIndex) int { return cmp.Compare(dropOrder(a), dropOrder(b)) })
		for _, ix := range pending {
			drop := "DROP INDEX " + ix.Name
			if ix.Kind != "index" {
				drop = "ALTER TABLE " + ix.Table + " DROP CONSTRAINT " + ix.Name
			}
			if _, err := tx.Exec(ctx, drop); err != nil {
				return fmt.Errorf("demo: drop %s: %w", ix.Name, err)
			}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"users"}, userColumns, pgx.CopyFromRows(users)); err != nil {
			return fmt.Errorf("demo: copy users: %w", err)
		}
		return nil
	})
}

// dropOrder: foreign keys before the keys they depend on.
func dropOrder(ix pendingIndex) int {
	if ix.Kind == "foreign" {
		return 0
	}
	return 1
}

func readPending(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}) ([]pendingIndex, error) {
	rows, err := q.Query(ctx, `SELECT name, "table", kind, method, def FROM `+pendingTable)
	if err != nil {
		return nil, fmt.Errorf("demo: pending indexes: %w", err)
	}
	pending, err := pgx.CollectRows(rows, pgx.RowToStructByPos[pendingIndex])
	if err != nil {
		return nil, fmt.Errorf("demo: pending indexes: %w", err)
	}
	return pending, nil
}

// buildCost orders the builds: GiST over trigrams first, then GIN, then
// btree, so that the workers finish at about the same time.
func buildCost(ix pendingIndex) int {
	switch ix.Method {
	case "gist":
		return 0
	case "gin":
		return 1
	}
	return 2
}

// rebuildPending builds what pendingTable records, if it exists: indexes
// and keys with workers connections, then the foreign keys; it drops the
// table and returns how long it took.
func rebuildPending(ctx context.Context, pool *pgxpool.Pool, workers int, log *slog.Logger) (time.Duration, error) {
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, pendingTable).Scan(&exists); err != nil {
		return 0, fmt.Errorf("demo: pending indexes: %w", err)
	}
	if !exists {
		return 0, nil
	}
	pending, err := readPending(ctx, pool)
	if err != nil {
		return 0, err
	}
	// Longest first: by method, then the longer definition (more keys,
	// larger expressions), which balances the workers.
	slices.SortFunc(pending, func(a, b pendingIndex) int {
		return cmp.Or(cmp.Compare(buildCost(a), buildCost(b)), cmp.Compare(len(b.Def), len(a.Def)), cmp.Compare(a.Name, b.Name))
	})
	began := time.Now()
	var indexes, attach []pendingIndex
	for _, ix := range pending {
		switch ix.Kind {
		case "index", "primary key", "unique":
			indexes = append(indexes, ix)
		}
	}
	if err := buildAll(ctx, pool, indexes, workers, log); err != nil {
		return 0, err
	}
	// The keys before the foreign keys that need them.
	if pending, err = readPending(ctx, pool); err != nil {
		return 0, err
	}
	for _, ix := range pending {
		if ix.Kind != "foreign" {
			attach = append(attach, ix)
		}
	}
	for _, ix := range pending {
		if ix.Kind == "foreign" {
			attach = append(attach, ix)
		}
	}
	if err := buildAll(ctx, pool, attach, 1, log); err != nil {
		return 0, err
	}
	if _, err := pool.Exec(ctx, `DROP TABLE `+pendingTable); err != nil {
		return 0, fmt.Errorf("demo: pending indexes: %w", err)
	}
	return time.Since(began), nil
}

func buildAll(ctx context.Context, pool *pgxpool.Pool, list []pendingIndex, workers int, log *slog.Logger) error {
	jobs := make(chan pendingIndex)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for range max(1, workers) {
		wg.Go(func() {
			for ix := range jobs {
				if err := build(ctx, pool, ix, log); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	for _, ix := range list {
		jobs <- ix
	}
	close(jobs)
	wg.Wait()
	return errors.Join(errs...)
}

// build does the next step of one record: it builds an index, or the
// index of a key (then the record says to attach it), or attaches a key,
// or adds a foreign key; the step and the change of the record commit
// together.
func build(ctx context.Context, pool *pgxpool.Pool, ix pendingIndex, log *slog.Logger) error {
	began := time.Now()
	step, next := ix.Def, ""
	switch ix.Kind {
	case "primary key", "unique":
		next = "attach " + ix.Kind
	case "attach primary key", "attach unique":
		step = "ALTER TABLE " + ix.Table + " ADD CONSTRAINT " + ix.Name + " " + strings.TrimPrefix(ix.Kind, "attach ") + " USING INDEX " + ix.Name
	case "foreign":
		step = "ALTER TABLE " + ix.Table + " ADD CONSTRAINT " + ix.Name + " " + ix.Def
	}
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		// Builds sort in memory up to maintenance_work_mem. Two run at once
		// on two cores, so a btree build starts no parallel workers of its own.
		if _, err := tx.Exec(ctx, "SET LOCAL maintenance_work_mem = '512MB'; SET LOCAL synchronous_commit = off; "+
			"SET LOCAL max_parallel_maintenance_workers = 0"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, step); err != nil {
			return err
		}
		var err error
		if next != "" {
			_, err = tx.Exec(ctx, `UPDATE `+pendingTable+` SET kind = $2 WHERE name = $1`, ix.Name, next)
		} else {
			_, err = tx.Exec(ctx, `DELETE FROM `+pendingTable+` WHERE name = $1`, ix.Name)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("demo: build %s (%s): %w", ix.Name, ix.Kind, err)
	}
	log.Info("index built", "index", ix.Name, "step", ix.Kind, "duration", time.Since(began).Round(time.Millisecond).String())
	return nil
}

// ownsTables reports whether the role may drop and create the indexes of
// leads and activities: a superuser, or a member of their owner.
func ownsTables(ctx context.Context, pool *pgxpool.Pool) (bool, error) {
	var owns bool
	err := pool.QueryRow(ctx, `SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
		OR bool_and(pg_has_role(current_user, c.relowner, 'USAGE'))
		FROM pg_class c WHERE c.oid IN ('leads'::regclass, 'activities'::regclass)`).Scan(&owns)
	if err != nil {
		return false, fmt.Errorf("demo: table owner: %w", err)
	}
	return owns, nil
}
