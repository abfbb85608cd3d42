package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// scopedTx is a transaction that costs no round trip of its own: BEGIN
// and the scope settings travel in front of its first statement (in the
// same batch when that is a batch), and a batch handed to SendWithCommit
// travels with the COMMIT. A command that reads, checks in Go and writes
// thus takes two round trips. Nothing reaches the tables before the scope
// is set.
type scopedTx struct {
	conn       *pgx.Conn
	args       []any
	begun      bool       // BEGIN and the scope were sent
	final      *pgx.Batch // sent with the COMMIT
	closed     bool
	savepoints int // open savepoints; SendWithCommit waits for none
}

// head is what the first batch of the transaction starts with.
func (t *scopedTx) head() *pgx.Batch {
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	b.Queue(setScope, t.args...)
	return b
}

// SendBatch puts BEGIN and the scope first in the transaction's first
// batch and hands back the results of the caller's own statements.
func (t *scopedTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if t.closed {
		return errBatch{pgx.ErrTxClosed}
	}
	if t.begun {
		return t.conn.SendBatch(ctx, b)
	}
	t.begun = true
	withHead := t.head()
	withHead.QueuedQueries = append(withHead.QueuedQueries, b.QueuedQueries...)
	res := t.conn.SendBatch(ctx, withHead)
	for _, step := range []string{"begin", "set scope"} {
		if _, err := res.Exec(); err != nil {
			_ = res.Close()
			return errBatch{fmt.Errorf("postgres: %s: %w", step, err)}
		}
	}
	return res
}

// open sends BEGIN and the scope on their own, for the calls that cannot
// carry them.
func (t *scopedTx) open(ctx context.Context) error {
	if t.closed {
		return pgx.ErrTxClosed
	}
	if t.begun {
		return nil
	}
	return t.SendBatch(ctx, &pgx.Batch{}).Close()
}

func (t *scopedTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if t.begun || t.closed {
		if err := t.open(ctx); err != nil {
			return pgconn.CommandTag{}, err
		}
		return t.conn.Exec(ctx, sql, args...)
	}
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	res := t.SendBatch(ctx, b)
	tag, err := res.Exec()
	if cerr := res.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

func (t *scopedTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if t.begun || t.closed {
		if err := t.open(ctx); err != nil {
			return errRow{err}
		}
		return t.conn.QueryRow(ctx, sql, args...)
	}
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	res := t.SendBatch(ctx, b)
	return batchRow{res.QueryRow(), res}
}

// batchRow is the row of a one-statement batch: scanning it ends the batch.
type batchRow struct {
	pgx.Row
	res pgx.BatchResults
}

func (r batchRow) Scan(dest ...any) error {
	err := r.Row.Scan(dest...)
	if cerr := r.res.Close(); err == nil {
		err = cerr
	}
	return err
}

func (t *scopedTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := t.open(ctx); err != nil {
		return nil, err
	}
	return t.conn.Query(ctx, sql, args...)
}

func (t *scopedTx) CopyFrom(ctx context.Context, table pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error) {
	if err := t.open(ctx); err != nil {
		return 0, err
	}
	return t.conn.CopyFrom(ctx, table, cols, src)
}

func (t *scopedTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	if err := t.open(ctx); err != nil {
		return nil, err
	}
	return t.conn.Prepare(ctx, name, sql)
}

// LargeObjects are not used; the zero value fails on use.
func (t *scopedTx) LargeObjects() pgx.LargeObjects { return pgx.LargeObjects{} }

func (t *scopedTx) Conn() *pgx.Conn { return t.conn }

// Begin starts a savepoint.
func (t *scopedTx) Begin(ctx context.Context) (pgx.Tx, error) {
	t.savepoints++
	sp := &savepoint{parent: t, name: fmt.Sprintf("sp_%d", t.savepoints)}
	if _, err := t.Exec(ctx, "SAVEPOINT "+sp.name); err != nil {
		t.savepoints--
		return nil, err
	}
	return sp, nil
}

// Commit sends the batch handed to SendWithCommit, if any, and COMMIT, in
// one round trip.
func (t *scopedTx) Commit(ctx context.Context) error {
	if t.closed {
		return pgx.ErrTxClosed
	}
	b := t.final
	if b == nil {
		if !t.begun {
			t.closed = true
			return nil // nothing was sent: nothing to commit
		}
		b = &pgx.Batch{}
	}
	b.Queue("COMMIT").Exec(func(tag pgconn.CommandTag) error {
		if tag.String() == "ROLLBACK" { // the transaction had failed
			return pgx.ErrTxCommitRollback
		}
		return nil
	})
	err := t.SendBatch(ctx, b).Close()
	t.closed = true
	if err != nil && t.conn.PgConn().TxStatus() != 'I' {
		_, rerr := t.conn.Exec(ctx, "ROLLBACK")
		err = errors.Join(err, rerr)
	}
	return err
}

// Rollback ends the transaction without its changes; after Commit it is a
// no-op that returns ErrTxClosed.
func (t *scopedTx) Rollback(ctx context.Context) error {
	if t.closed {
		return pgx.ErrTxClosed
	}
	t.closed = true
	if !t.begun {
		return nil
	}
	_, err := t.conn.Exec(ctx, "ROLLBACK")
	return err
}

// SendWithCommit hands b to tx to be sent together with its COMMIT,
// saving a round trip, and reports whether tx took it; if not (tx is not
// a transaction of InTx, or a savepoint is open), the caller sends b
// itself. b's result functions run when InTx commits, and their errors
// are InTx's; they must only read results: the server has committed the
// transaction by then (a statement that fails, on the other hand, makes the
// COMMIT a rollback).
func SendWithCommit(tx pgx.Tx, b *pgx.Batch) bool {
	t, ok := tx.(*scopedTx)
	if !ok || t.closed || t.final != nil || t.savepoints > 0 {
		return false
	}
	t.final = b
	return true
}

// savepoint is a transaction nested in a scopedTx.
type savepoint struct {
	parent *scopedTx
	name   string
	closed bool
}

func (s *savepoint) end(ctx context.Context, sql string) error {
	if s.closed {
		return pgx.ErrTxClosed
	}
	s.closed = true
	s.parent.savepoints--
	_, err := s.parent.Exec(ctx, sql)
	return err
}

func (s *savepoint) Commit(ctx context.Context) error {
	return s.end(ctx, "RELEASE SAVEPOINT "+s.name)
}

func (s *savepoint) Rollback(ctx context.Context) error {
	return s.end(ctx, "ROLLBACK TO SAVEPOINT "+s.name)
}

func (s *savepoint) Begin(ctx context.Context) (pgx.Tx, error) { return s.parent.Begin(ctx) }

func (s *savepoint) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	return s.parent.SendBatch(ctx, b)
}

func (s *savepoint) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return s.parent.Exec(ctx, sql, args...)
}

func (s *savepoint) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return s.parent.QueryRow(ctx, sql, args...)
}

func (s *savepoint) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return s.parent.Query(ctx, sql, args...)
}

func (s *savepoint) CopyFrom(ctx context.Context, table pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error) {
	return s.parent.CopyFrom(ctx, table, cols, src)
}

func (s *savepoint) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	return s.parent.Prepare(ctx, name, sql)
}

func (s *savepoint) LargeObjects() pgx.LargeObjects { return pgx.LargeObjects{} }

func (s *savepoint) Conn() *pgx.Conn { return s.parent.conn }

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

type errBatch struct{ err error }

func (b errBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, b.err }
func (b errBatch) Query() (pgx.Rows, error)         { return nil, b.err }
func (b errBatch) QueryRow() pgx.Row                { return errRow(b) }
func (b errBatch) Close() error                     { return b.err }
func (b errBatch) Tx() pgx.Tx                       { return nil }
