// Package idempotency implements the Idempotency-Key contract of SPEC §4.
//
// The key is recorded in the business transaction itself, before the
// change, and the response is stored in the same transaction after it: the
// change and its stored response commit together or not at all. Only the
// outcome of a request that executed is stored, as Stripe does: a success,
// or a refusal that depends on the state (404, 409, 412), written after
// the command's writes were rolled back to a savepoint. Any other refusal
// (a validation failure, a soft-duplicate warning, 403) rolls the whole
// transaction back, the key's row with it: the key is free again, so the
// client can correct its request and retry under the same key.
//
// Why at most one request per key executes, whatever the interleaving: the
// row (user, key) is the lock. A request executes only after its INSERT of
// that row succeeded, and holds the uncommitted row until it commits with
// a stored response or rolls back, so no committed row ever lacks one. A
// concurrent insert blocks on the uncommitted row (up to WaitFor, else
// ErrInProgress); once the holder commits it conflicts and reads the
// stored response (a replay, or ErrMismatch for another fingerprint), and
// once the holder rolls back it takes the key itself. An expired row is
// taken over by the same INSERT under the same row lock. Reads outside the
// command (Store.Lookup) see only committed, stored rows: they may replay,
// never decide that a request runs.
//
// A stored response remembers the leads it is about; a replay shows it only
// to a caller who may still see them (the HTTP layer checks).
//
// The claim joins the lead commands as a lead.TxHook: the HTTP layer puts
// it into the request's context, the hook finds it there.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
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
	// Leads are the leads the response is about (the created or changed
	// lead, an activity's lead, a duplicate's existing lead). A replay
	// shows the response only to a caller who may still see all of them.
	Leads []uuid.UUID `json:"-"`
}

// SoftDuplicateProblem is the problem type of the soft-duplicate warning
// (SPEC §3): nothing was written, the client is expected to correct the
// request (force with a reason), so the warning is not an outcome to keep.
const SoftDuplicateProblem = "/problems/possible-duplicate"

// Executed reports whether r answers a request that executed (SPEC §4): a
// success, or a refusal that depends on the state of the lead (404, 409,
// 412). Request-validation failures (400, 413, 415, 422, 428), 403, the
// soft-duplicate warning and server errors are not kept: the same request,
// corrected or retried, may run.
func Executed(r Response) bool {
	switch {
	case r.Status >= 200 && r.Status < 300:
		return true
	case r.Status == http.StatusNotFound, r.Status == http.StatusPreconditionFailed:
		return true
	case r.Status == http.StatusConflict:
		return problemType(r.Body) != SoftDuplicateProblem
	}
	return false
}

// problemType reads the type of a problem+json body; "" when it is none.
func problemType(body []byte) string {
	var p struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(body, &p) != nil {
		return ""
	}
	return p.Type
}

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
	lead        uuid.UUID // the lead the request names in its path; uuid.Nil for a create
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

// About records the lead the request names (its path), so a refusal
// stored without a result still knows which lead it is about.
func (c *Claim) About(id uuid.UUID) { c.lead = id }

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
			headers = '{}', body = NULL, lead_ids = '{}', created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
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

// existing decides on a key whose live row stopped the insert. The insert
// waited for that row's transaction, so the row read here (a new snapshot:
// READ COMMITTED) is committed, and a committed row always has its stored
// response. No row (removed in between) or no response is answered as
// still in progress: the client retries, nothing is decided wrongly.
func (c *Claim) existing(ctx context.Context, tx pgx.Tx, now time.Time) error {
	stored, fingerprint, err := lookup(ctx, tx, c.UserID, c.Key, now)
	switch {
	case err != nil:
		return err
	case fingerprint == "":
		return ErrInProgress
	case fingerprint != c.Fingerprint:
		return ErrMismatch
	case stored == nil:
		return ErrInProgress
	}
	return &ReplayError{Response: *stored}
}

// Done stores the response for result in tx, before it commits.
func (c *Claim) Done(ctx context.Context, tx pgx.Tx, result any) error {
	if c.render == nil {
		return errors.New("idempotency: no renderer for this request")
	}
	r := c.render(result)
	r.Leads = c.leadsOf(result)
	return c.store(ctx, tx, r)
}

// Failed stores the answer to a refused command that executed (Executed),
// so a repeat gets the same one. Any other refusal is returned: the whole
// transaction rolls back, the key's row with it, and the key is free for
// the corrected request. A server error is no answer either: the client
// may retry with the same key.
func (c *Claim) Failed(ctx context.Context, tx pgx.Tx, err error) error {
	if c.renderError == nil {
		return err
	}
	r := c.renderError(err)
	if !Executed(r) {
		return err
	}
	if r.Status != http.StatusNotFound { // a 404 shows nothing: no lead to re-check
		r.Leads = c.refusedLeads(err)
	}
	return c.store(ctx, tx, r)
}

// leadsOf names the lead a command's result is about.
func (c *Claim) leadsOf(result any) []uuid.UUID {
	switch v := result.(type) {
	case *lead.Lead:
		if v != nil {
			return []uuid.UUID{v.ID}
		}
	case *lead.Activity:
		if v != nil {
			return []uuid.UUID{v.LeadID}
		}
	}
	return c.pathLead()
}

// refusedLeads names the leads a refusal is about: the lead of the path,
// and a duplicate's existing lead, whose id the body shows.
func (c *Claim) refusedLeads(err error) []uuid.UUID {
	ids := c.pathLead()
	var dup *lead.DuplicateError
	if errors.As(err, &dup) && dup.ExistingLeadID != nil {
		ids = append(ids, *dup.ExistingLeadID)
	}
	return ids
}

func (c *Claim) pathLead() []uuid.UUID {
	if c.lead == uuid.Nil {
		return nil
	}
	return []uuid.UUID{c.lead}
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
	var leads []uuid.UUID
	err := tx.QueryRow(ctx, `SELECT fingerprint, status, headers, body, lead_ids FROM idempotency_key
		WHERE user_id = $1 AND key = $2 AND expires_at > $3`, userID, key, now).Scan(&fingerprint, &status, &header, &body, &leads)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("idempotency: lookup: %w", err)
	}
	if status == nil {
		return nil, fingerprint, nil
	}
	return &Response{Status: *status, Header: header, Body: body, Leads: leads}, fingerprint, nil
}

func save(ctx context.Context, tx pgx.Tx, userID, key string, r Response) error {
	_, err := tx.Exec(ctx, `UPDATE idempotency_key SET status = $3, headers = $4, body = $5, lead_ids = $6
		WHERE user_id = $1 AND key = $2`,
		userID, key, r.Status, nonNilHeader(r.Header), r.Body, nonNilLeads(r.Leads))
	if err != nil {
		return fmt.Errorf("idempotency: store response: %w", err)
	}
	return nil
}

// Store reads keys outside a command's transaction (the replay before a
// request runs) and removes expired ones. It never stores a response: a
// request refused before it reached a command did not execute (SPEC §4).
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

func nonNilHeader(h map[string]string) map[string]string {
	if h == nil {
		return map[string]string{}
	}
	return h
}

// nonNilLeads keeps lead_ids an empty array, never NULL.
func nonNilLeads(ids []uuid.UUID) []uuid.UUID {
	if ids == nil {
		return []uuid.UUID{}
	}
	return ids
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

// cleanup deletes expired keys.
func cleanup(ctx context.Context, tx pgx.Tx, now time.Time) (int64, error) {
	tag, err := tx.Exec(ctx, `DELETE FROM idempotency_key WHERE expires_at <= $1`, now)
	if err != nil {
		return 0, fmt.Errorf("idempotency: cleanup: %w", err)
	}
	return tag.RowsAffected(), nil
}

// Cleanup deletes the expired keys; a River periodic job runs it, so one
// replica does.
func (s *Store) Cleanup(ctx context.Context) (int64, error) {
	var n int64
	err := postgres.InTx(ctx, s.pool, auth.System(), func(tx pgx.Tx) (err error) {
		n, err = cleanup(ctx, tx, s.now())
		return err
	})
	return n, err
}
