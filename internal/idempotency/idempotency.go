// Package idempotency implements the Idempotency-Key contract of SPEC §4.
//
// The key is recorded in the business transaction itself, before the
// change, and the response is stored in the same transaction after it: the
// change and its stored response commit together or not at all. A refused
// command (404, 409, 412, 422) stores its answer in the same transaction
// too, after the command's writes were rolled back to a savepoint. A repeat
// that arrives while the first request runs blocks on the first one's
// uncommitted row (up to 5 s) and then replays, or gets 409.
//
// The claim joins the lead commands as a lead.TxHook: the HTTP layer puts
// it into the request's context, the hook finds it there.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/postgres"
)

// TTL is how long a stored response is replayed.
const TTL = 24 * time.Hour

// WaitFor bounds how long a repeat waits for the first request.
const WaitFor = 5 * time.Second

// Response is what is stored and replayed.
type Response struct {
	Status int               `json:"status"`
	Header map[string]string `json:"header"`
	Body   []byte            `json:"-"`
}

// StoredHeaders are the response headers kept for a replay.
var StoredHeaders = []string{"Content-Type", "Location", "ETag"}

// Sentinel results of claiming a key.
var (
	// ErrInProgress: the first request with this key did not finish within WaitFor.
	ErrInProgress = errors.New("idempotency: request with this key still in progress")
	// ErrMismatch: the key was used for a different request.
	ErrMismatch = errors.New("idempotency: key reused for a different request")
)

// ReplayError carries the stored response of a request that already ran.
type ReplayError struct{ Response Response }

func (e *ReplayError) Error() string { return "idempotency: already processed; replay" }

// Fingerprint is SHA-256 over method, path and body.
func Fingerprint(method, path string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(method))
	h.Write([]byte{0})
	h.Write([]byte(path))
	h.Write([]byte{0})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Claim is one request's use of a key, carried in its context.
type Claim struct {
	UserID      string
	Key         string
	Fingerprint string
	render      func(result any) Response
	renderError func(err error) Response
	stored      *Response
	outcome     error
}

// NewClaim starts a claim for a request.
func NewClaim(userID, key, fingerprint string) *Claim {
	return &Claim{UserID: userID, Key: key, Fingerprint: fingerprint}
}

// Outcome is why the key was refused (a *ReplayError, ErrMismatch or
// ErrInProgress), or nil.
func (c *Claim) Outcome() error { return c.outcome }

type claimKey struct{}

// WithClaim puts c into ctx for the Hook to find.
func WithClaim(ctx context.Context, c *Claim) context.Context {
	return context.WithValue(ctx, claimKey{}, c)
}

// FromContext returns the request's claim, or nil without Idempotency-Key.
func FromContext(ctx context.Context) *Claim {
	c, _ := ctx.Value(claimKey{}).(*Claim)
	return c
}

// Render tells the claim how the request answers a successful result and a
// refused one, so the command's transaction can store that answer before
// it commits.
func (c *Claim) Render(ok func(result any) Response, refused func(err error) Response) {
	c.render, c.renderError = ok, refused
}

// Stored is the response written in the business transaction, if any.
func (c *Claim) Stored() *Response { return c.stored }

// Hook is the claim as a lead.TxHook.
type Hook struct{ now func() time.Time }

// NewHook returns the hook; now is the clock.
func NewHook(now func() time.Time) Hook { return Hook{now: now} }

// Begin records the request's key before the command's writes; a request
// without a claim has no part in the command.
func (h Hook) Begin(ctx context.Context, tx pgx.Tx, _ string) (lead.TxStep, error) {
	c := FromContext(ctx)
	if c == nil {
		return nil, nil
	}
	if err := c.begin(ctx, tx, h.now()); err != nil {
		return nil, err
	}
	return c, nil
}

// begin records the key in tx before the change. When the key exists it
// returns a *ReplayError, ErrMismatch or ErrInProgress and tx must roll back.
func (c *Claim) begin(ctx context.Context, tx pgx.Tx, now time.Time) error {
	b := &pgx.Batch{}
	b.Queue(`SELECT set_config('lock_timeout', $1, true)`, fmt.Sprintf("%dms", WaitFor.Milliseconds()))
	// An expired row is taken over; a live one stops the insert. The insert
	// waits while another transaction holds an uncommitted row for the key.
	b.Queue(`INSERT INTO idempotency_key (user_id, key, fingerprint, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (user_id, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, status = NULL,
			headers = '{}', body = NULL, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
		WHERE idempotency_key.expires_at <= EXCLUDED.created_at`,
		c.UserID, c.Key, c.Fingerprint, now, now.Add(TTL))
	b.Queue(`SELECT set_config('lock_timeout', '0', true)`)
	res := tx.SendBatch(ctx, b)
	_, _ = res.Exec()
	tag, err := res.Exec()
	if err == nil {
		_, err = res.Exec()
	}
	cerr := res.Close()
	if err == nil {
		err = cerr
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "55P03" { // lock_not_available
		c.outcome = ErrInProgress
		return ErrInProgress
	}
	if err != nil {
		return fmt.Errorf("idempotency: claim: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	c.outcome = c.existing(ctx, tx, now)
	return c.outcome
}

func (c *Claim) existing(ctx context.Context, tx pgx.Tx, now time.Time) error {
	stored, fingerprint, err := lookup(ctx, tx, c.UserID, c.Key, now)
	if err != nil {
		return err
	}
	if fingerprint != c.Fingerprint {
		return ErrMismatch
	}
	if stored == nil {
		return ErrInProgress
	}
	return &ReplayError{Response: *stored}
}

// Done stores the response for result in tx, before it commits.
func (c *Claim) Done(ctx context.Context, tx pgx.Tx, result any) error {
	if c.render == nil {
		return errors.New("idempotency: no renderer for this request")
	}
	return c.store(ctx, tx, c.render(result))
}

// Failed stores the answer to a refused command, so a repeat gets the same
// one. A server error is not an answer: it rolls everything back, and the
// client may retry with the same key.
func (c *Claim) Failed(ctx context.Context, tx pgx.Tx, err error) error {
	if c.renderError == nil {
		return err
	}
	r := c.renderError(err)
	if r.Status >= 500 {
		return err
	}
	return c.store(ctx, tx, r)
}

func (c *Claim) store(ctx context.Context, tx pgx.Tx, r Response) error {
	if err := save(ctx, tx, c.UserID, c.Key, r); err != nil {
		return err
	}
	c.stored = &r
	return nil
}

// lookup returns the live record of key: its stored response (nil while
// the first request still runs) and its fingerprint; fingerprint "" when
// there is none.
func lookup(ctx context.Context, tx pgx.Tx, userID, key string, now time.Time) (*Response, string, error) {
	var fingerprint string
	var status *int
	var header map[string]string
	var body []byte
	err := tx.QueryRow(ctx, `SELECT fingerprint, status, headers, body FROM idempotency_key
		WHERE user_id = $1 AND key = $2 AND expires_at > $3`, userID, key, now).Scan(&fingerprint, &status, &header, &body)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("idempotency: lookup: %w", err)
	}
	if status == nil {
		return nil, fingerprint, nil
	}
	return &Response{Status: *status, Header: header, Body: body}, fingerprint, nil
}

func save(ctx context.Context, tx pgx.Tx, userID, key string, r Response) error {
	_, err := tx.Exec(ctx, `UPDATE idempotency_key SET status = $3, headers = $4, body = $5 WHERE user_id = $1 AND key = $2`,
		userID, key, r.Status, nonNilHeader(r.Header), r.Body)
	if err != nil {
		return fmt.Errorf("idempotency: store response: %w", err)
	}
	return nil
}

// Store reads and writes keys outside a command's transaction: the
// replay before a request runs, and the answers of requests refused before
// they reached a command.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

// NewStore returns a Store; now is the clock.
func NewStore(pool *pgxpool.Pool, now func() time.Time) *Store { return &Store{pool: pool, now: now} }

// Lookup returns the live record of userID's key, read as p: its stored
// response (nil while the first request still runs) and its fingerprint
// ("" when there is none).
func (s *Store) Lookup(ctx context.Context, p auth.Principal, key string) (resp *Response, fingerprint string, err error) {
	err = postgres.InTx(ctx, s.pool, p, func(tx pgx.Tx) error {
		resp, fingerprint, err = lookup(ctx, tx, p.UserID, key, s.now())
		return err
	})
	return resp, fingerprint, err
}

// StoreOutcome stores the response of a request that changed nothing (a
// 4xx before the command ran), in a transaction of its own.
func (s *Store) StoreOutcome(ctx context.Context, p auth.Principal, c *Claim, r Response) error {
	now := s.now()
	err := postgres.InTx(ctx, s.pool, p, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO idempotency_key (user_id, key, fingerprint, status, headers, body, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (user_id, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status,
			headers = EXCLUDED.headers, body = EXCLUDED.body, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
		WHERE idempotency_key.expires_at <= EXCLUDED.created_at`,
			c.UserID, c.Key, c.Fingerprint, r.Status, nonNilHeader(r.Header), r.Body, now, now.Add(TTL))
		return err
	})
	if err != nil {
		return fmt.Errorf("idempotency: store outcome: %w", err)
	}
	return nil
}

func nonNilHeader(h map[string]string) map[string]string {
	if h == nil {
		return map[string]string{}
	}
	return h
}

// ValidKey reports whether k is 1..255 printable ASCII characters.
func ValidKey(k string) bool {
	if len(k) < 1 || len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// HeaderSubset copies the headers worth replaying.
func HeaderSubset(h http.Header) map[string]string {
	out := map[string]string{}
	for _, k := range StoredHeaders {
		if v := h.Get(k); v != "" {
			out[k] = v
		}
	}
	return out
}

// cleanup deletes expired keys.
func cleanup(ctx context.Context, tx pgx.Tx, now time.Time) (int64, error) {
	tag, err := tx.Exec(ctx, `DELETE FROM idempotency_key WHERE expires_at <= $1`, now)
	if err != nil {
		return 0, fmt.Errorf("idempotency: cleanup: %w", err)
	}
	return tag.RowsAffected(), nil
}

// RunCleanup deletes expired keys every interval until ctx ends.
func (s *Store) RunCleanup(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var n int64
		err := postgres.InTx(ctx, s.pool, auth.System(), func(tx pgx.Tx) (err error) {
			n, err = cleanup(ctx, tx, s.now())
			return err
		})
		if err != nil {
			log.WarnContext(ctx, "idempotency cleanup failed", "error", err)
		} else if n > 0 {
			log.InfoContext(ctx, "idempotency cleanup", "deleted", n)
		}
	}
}
