// Package user keeps the user directory: the users recorded from the tokens
// they present (and by seed), which owner reassignment and collaborator
// checks rely on.
package user

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/postgres"
)

// User is one directory entry.
type User struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Roles       []string  `json:"roles"`
	Territories []string  `json:"territories"`
	LastSeenAt  time.Time `json:"lastSeenAt"`
}

// Directory records principals. It writes only when a user is new to this
// process, their claims changed, or lastSeen is older than touchEvery, so a
// request normally costs no write.
type Directory struct {
	pool       *pgxpool.Pool
	now        func() time.Time
	touchEvery time.Duration

	mu   sync.Mutex
	seen map[string]seenEntry
}

type seenEntry struct {
	claims string
	at     time.Time
}

// NewDirectory returns a Directory.
func NewDirectory(pool *pgxpool.Pool, now func() time.Time) *Directory {
	return &Directory{pool: pool, now: now, touchEvery: 5 * time.Minute, seen: map[string]seenEntry{}}
}

const upsertSQL = `INSERT INTO users (id, name, email, roles, territories, first_seen_at, last_seen_at, updated_at)
	VALUES ($1, $2, $3, $4, $5, $6, $6, $6)
	ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email, roles = EXCLUDED.roles,
		territories = EXCLUDED.territories, last_seen_at = EXCLUDED.last_seen_at,
		updated_at = CASE WHEN (users.name, users.email, users.roles, users.territories)
			IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.email, EXCLUDED.roles, EXCLUDED.territories)
			THEN EXCLUDED.updated_at ELSE users.updated_at END`

// Record writes p to the directory when needed.
func (d *Directory) Record(ctx context.Context, p auth.Principal) error {
	if p.IsSystem() || p.UserID == "" {
		return nil
	}
	now := d.now().UTC()
	key := claimsKey(p)
	d.mu.Lock()
	e, ok := d.seen[p.UserID]
	d.mu.Unlock()
	if ok && e.claims == key && now.Sub(e.at) < d.touchEvery {
		return nil
	}
	err := postgres.InTx(ctx, d.pool, p, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, upsertSQL, p.UserID, p.Name, p.Email, roleNames(p.Roles), p.Territories, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("user: record: %w", err)
	}
	d.mu.Lock()
	d.seen[p.UserID] = seenEntry{claims: key, at: now}
	d.mu.Unlock()
	return nil
}

// Seed records a user as SYSTEM (demo data, administration).
func (d *Directory) Seed(ctx context.Context, u User, email string) error {
	err := postgres.InTx(ctx, d.pool, auth.System(), func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, upsertSQL, u.ID, u.Name, email, u.Roles, u.Territories, d.now().UTC())
		return err
	})
	if err != nil {
		return fmt.Errorf("user: seed: %w", err)
	}
	return nil
}

func claimsKey(p auth.Principal) string {
	return strings.Join([]string{p.Name, p.Email, strings.Join(roleNames(p.Roles), ","), strings.Join(p.Territories, ",")}, "\x00")
}

func roleNames(roles []auth.Role) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = string(r)
	}
	return out
}
