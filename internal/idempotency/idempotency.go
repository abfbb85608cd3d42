// Package idempotency implements the Idempotency-Key contract of SPEC §4.
//
// The key is recorded in the business transaction itself, before the
// change, and the response is stored in the same transaction after it: the
// change and its stored response commit together or not at all. A repeat
// that arrives while the first request runs blocks on the first one's
// uncommitted row (up to 5 s) and then replays, or gets 409.
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
	now         func() time.Time
	render      func(result any) Response
	stored      *Response
	outcome     error
}

// Outcome is why Begin refused the key (a *ReplayError, ErrMismatch or
// ErrInProgress), or nil.
func (c *Claim) Outcome() error { return c.outcome }

type claimKey struct{}

// WithClaim puts c into ctx for the service's transaction to find.
func WithClaim(ctx context.Context, c *Claim) context.Context {
	return context.WithValue(ctx, claimKey{}, c)
}

// FromContext returns the request's claim, or nil without Idempotency-Key.
func FromContext(ctx context.Context) *Claim {
	c, _ := ctx.Value(claimKey{}).(*Claim)
	return c
}

// Render tells the claim how the handler answers a successful result, so
// the service's transaction can store that answer before it commits.
func (c *Claim) Render(fn func(result any) Response) { c.render = fn }

// Stored is the response written in the business transaction, if any.
func (c *Claim) Stored() *Response { return c.stored }

// Begin records the key in tx before the change. When the key exists it
// returns a *ReplayError, ErrMismatch or ErrInProgress and tx must roll back.
func (c *Claim) Begin(ctx context.Context, tx pgx.Tx) error {
	now := c.now()
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
	c.outcome = c.existing(ctx, tx)
	return c.outcome
}

func (c *Claim) existing(ctx context.Context, tx pgx.Tx) error {
	stored, fingerprint, err := Lookup(ctx, tx, c.UserID, c.Key, c.now())
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

// Finish stores the response for result in tx, before it commits.
func (c *Claim) Finish(ctx context.Context, tx pgx.Tx, result any) error {
	if c.render == nil {
		return errors.New("idempotency: no renderer for this request")
	}
	r := c.render(result)
	if err := save(ctx, tx, c.UserID, c.Key, r); err != nil {
		return err
	}
	c.stored = &r
	return nil
}

// Lookup returns the live record of key: its stored response (nil while
// the first request still runs) and its fingerprint; fingerprint "" when
// there is none.
func Lookup(ctx context.Context, tx pgx.Tx, userID, key string, now time.Time) (*Response, string, error) {
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
	if r.Header == nil {
		r.Header = map[string]string{}
	}
	_, err := tx.Exec(ctx, `UPDATE idempotency_key SET status = $3, headers = $4, body = $5 WHERE user_id = $1 AND key = $2`,
		userID, key, r.Status, r.Header, r.Body)
	if err != nil {
		return fmt.Errorf("idempotency: store response: %w", err)
	}
	return nil
}

// StoreOutcome stores a response of a request that changed nothing (a 4xx
// before or instead of the business transaction), in tx of its own.
func StoreOutcome(ctx context.Context, tx pgx.Tx, c *Claim, r Response) error {
	now := c.now()
	_, err := tx.Exec(ctx, `INSERT INTO idempotency_key (user_id, key, fingerprint, status, headers, body, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (user_id, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status,
			headers = EXCLUDED.headers, body = EXCLUDED.body, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
		WHERE idempotency_key.expires_at <= EXCLUDED.created_at`,
		c.UserID, c.Key, c.Fingerprint, r.Status, r.Header, r.Body, now, now.Add(TTL))
	if err != nil {
		return fmt.Errorf("idempotency: store outcome: %w", err)
	}
	return nil
}

// NewClaim starts a claim for a request.
func NewClaim(userID, key, fingerprint string, now func() time.Time) *Claim {
	return &Claim{UserID: userID, Key: key, Fingerprint: fingerprint, now: now}
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

// Cleanup deletes expired keys.
func Cleanup(ctx context.Context, tx pgx.Tx, now time.Time) (int64, error) {
	tag, err := tx.Exec(ctx, `DELETE FROM idempotency_key WHERE expires_at <= $1`, now)
	if err != nil {
		return 0, fmt.Errorf("idempotency: cleanup: %w", err)
	}
	return tag.RowsAffected(), nil
}

// RunCleanup deletes expired keys every interval until ctx ends.
func RunCleanup(ctx context.Context, pool *pgxpool.Pool, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var n int64
		err := postgres.InTx(ctx, pool, auth.System(), func(tx pgx.Tx) (err error) {
			n, err = Cleanup(ctx, tx, time.Now())
			return err
		})
		if err != nil {
			log.WarnContext(ctx, "idempotency cleanup failed", "error", err)
		} else if n > 0 {
			log.InfoContext(ctx, "idempotency cleanup", "deleted", n)
		}
	}
}
