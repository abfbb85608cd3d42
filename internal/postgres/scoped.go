package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// scopedTx sends the scope settings in front of the first statement of the
// transaction: in the same batch when that is a batch, else just before it.
// Nothing reaches the tables before the scope is set.
type scopedTx struct {
	pgx.Tx
	args    []any
	pending bool
}

func (t *scopedTx) flush(ctx context.Context) error {
	if !t.pending {
		return nil
	}
	t.pending = false
	if _, err := t.Tx.Exec(ctx, setScope, t.args...); err != nil {
		return fmt.Errorf("postgres: set scope: %w", err)
	}
	return nil
}

func (t *scopedTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if err := t.flush(ctx); err != nil {
		return pgconn.CommandTag{}, err
	}
	return t.Tx.Exec(ctx, sql, args...)
}

func (t *scopedTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	return t.Tx.Query(ctx, sql, args...)
}

func (t *scopedTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if err := t.flush(ctx); err != nil {
		return errRow{err}
	}
	return t.Tx.QueryRow(ctx, sql, args...)
}

func (t *scopedTx) Begin(ctx context.Context) (pgx.Tx, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	return t.Tx.Begin(ctx)
}

func (t *scopedTx) CopyFrom(ctx context.Context, table pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error) {
	if err := t.flush(ctx); err != nil {
		return 0, err
	}
	return t.Tx.CopyFrom(ctx, table, cols, src)
}

// SendBatch puts the scope first in the batch and hands back the results
// of the caller's own statements.
func (t *scopedTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if !t.pending {
		return t.Tx.SendBatch(ctx, b)
	}
	t.pending = false
	withScope := &pgx.Batch{}
	withScope.Queue(setScope, t.args...)
	withScope.QueuedQueries = append(withScope.QueuedQueries, b.QueuedQueries...)
	res := t.Tx.SendBatch(ctx, withScope)
	if _, err := res.Exec(); err != nil {
		_ = res.Close()
		return errBatch{fmt.Errorf("postgres: set scope: %w", err)}
	}
	return res
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

type errBatch struct{ err error }

func (b errBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, b.err }
func (b errBatch) Query() (pgx.Rows, error)         { return nil, b.err }
func (b errBatch) QueryRow() pgx.Row                { return errRow(b) }
func (b errBatch) Close() error                     { return b.err }

func (b errBatch) Tx() pgx.Tx { return nil }
