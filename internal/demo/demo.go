// Package demo loads demo users, leads and activities, so a fresh install
// shows a working pipeline in every status.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/event/pgnotify"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/metric"
	"github.com/freshplan/leads/internal/postgres"
	"github.com/freshplan/leads/internal/territory"
	"github.com/freshplan/leads/internal/user"
)

// Users are the demo users, one or more per role and territory.
var Users = []user.User{
	{ID: "demo.admin", Name: "Alex Admin", Roles: []string{"ADMIN"}, Territories: []string{"AT", "CH", "DE"}},
	{ID: "manager.de", Name: "Maria Berger", Roles: []string{"MANAGER"}, Territories: []string{"DE"}},
	{ID: "manager.ch", Name: "Reto Keller", Roles: []string{"MANAGER"}, Territories: []string{"CH"}},
	{ID: "manager.at", Name: "Eva Gruber", Roles: []string{"MANAGER"}, Territories: []string{"AT"}},
	{ID: "sales.de.anna", Name: "Anna Schmidt", Roles: []string{"SALES"}, Territories: []string{"DE"}},
	{ID: "sales.de.ben", Name: "Ben Wagner", Roles: []string{"SALES"}, Territories: []string{"DE"}},
	{ID: "sales.ch.carla", Name: "Carla Meier", Roles: []string{"SALES"}, Territories: []string{"CH"}},
	{ID: "sales.at.david", Name: "David Huber", Roles: []string{"SALES"}, Territories: []string{"AT"}},
}

// LeadCount is how many demo leads Seed creates.
const LeadCount = 300

// Seed loads the demo data once; a second run only prints the logins.
func Seed(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger, out io.Writer) error {
	clock := &manualClock{t: time.Now().UTC()}
	dir := user.NewDirectory(pool, time.Now)
	for _, u := range Users {
		if err := dir.Seed(ctx, u, u.ID+"@freshplan.example"); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	seeded, err := alreadySeeded(ctx, pool)
	if err != nil {
		return err
	}
	if !seeded {
		quiet := slog.New(slog.DiscardHandler)
		m := metric.New()
		territories, err := territory.Load(ctx, pool)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		svc := lead.NewService(lead.Deps{Pool: pool, Publisher: event.NewPublisher(pgnotify.NewRelay(pool), m, quiet, false, clock.now),
			Metrics: m, Territories: territories, Now: clock.now, Log: quiet})
		if err := seedLeads(ctx, svc, clock); err != nil {
			return err
		}
		log.Info("demo data loaded", "leads", LeadCount, "users", len(Users))
	}
	printLogins(out)
	return nil
}

func alreadySeeded(ctx context.Context, pool *pgxpool.Pool) (bool, error) {
	var n int
	err := postgres.InTx(ctx, pool, auth.System(), func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM leads WHERE created_by = 'demo.admin'`).Scan(&n)
	})
	if err != nil {
		return false, fmt.Errorf("demo: check: %w", err)
	}
	return n > 0, nil
}

type manualClock struct{ t time.Time }

func (c *manualClock) now() time.Time { return c.t }

// paths are the manual status changes that lead to each demo status.
var paths = [][]lead.Status{
	{},
	{lead.StatusActive},
	{lead.StatusActive, lead.StatusReminder},
	{lead.StatusActive, lead.StatusReminder, lead.StatusGracePeriod},
	{lead.StatusQualified},
	{lead.StatusActive, lead.StatusQualified, lead.StatusConverted},
	{lead.StatusLost},
	{lead.StatusExpired},
	{lead.StatusDeleted},
}

func seedLeads(ctx context.Context, svc *lead.Service, clock *manualClock) error {
	rng := rand.New(rand.NewPCG(2025, 9))
	admin := auth.Principal{UserID: "demo.admin", Name: "Alex Admin", Roles: []auth.Role{auth.RoleAdmin}}
	owners := map[string][]string{"DE": {"sales.de.anna", "sales.de.ben"}, "CH": {"sales.ch.carla"}, "AT": {"sales.at.david"}}
	start := clock.t.Add(-120 * 24 * time.Hour)
	for i := range LeadCount {
		country := []string{"DE", "DE", "DE", "CH", "AT"}[i%5]
		owner := owners[country][rng.IntN(len(owners[country]))]
		clock.t = start.Add(time.Duration(i) * 9 * time.Hour)
		in := fakeLead(rng, i, country, owner)
		l, err := svc.Create(ctx, admin, in)
		if errors.As(err, new(*lead.SoftDuplicateError)) {
			// Generated names look alike; register them anyway, as a user would.
			force, reason := true, "demo data: generated names look alike"
			in.Force, in.OverrideReason = &force, &reason
			l, err = svc.Create(ctx, admin, in)
		}
		if err != nil {
			return fmt.Errorf("demo: lead %d: %w", i, err)
		}
		if err := seedActivities(ctx, svc, rng, l, owner, clock); err != nil {
			return err
		}
		if err := walk(ctx, svc, admin, l, paths[i%len(paths)], clock); err != nil {
			return fmt.Errorf("demo: lead %d: %w", i, err)
		}
	}
	return nil
}

func seedActivities(ctx context.Context, svc *lead.Service, rng *rand.Rand, l *lead.Lead, owner string, clock *manualClock) error {
	p := auth.Principal{UserID: owner, Roles: []auth.Role{auth.RoleSales}, Territories: []string{l.Territory}}
	types := []string{"CALL", "EMAIL", "NOTE", "MEETING", "SAMPLE_SENT", "FOLLOW_UP", "DEMO"}
	for range rng.IntN(4) {
		clock.t = clock.t.Add(time.Duration(1+rng.IntN(48)) * time.Hour)
		typ := types[rng.IntN(len(types))]
		desc := fmt.Sprintf("%s with %s", strings.ToLower(typ), l.CompanyName)
		if _, err := svc.AddActivity(ctx, p, l.ID, lead.ActivityInput{Type: typ, Description: desc}); err != nil {
			return fmt.Errorf("demo: activity: %w", err)
		}
	}
	return nil
}

func walk(ctx context.Context, svc *lead.Service, admin auth.Principal, l *lead.Lead, path []lead.Status, clock *manualClock) error {
	cur, err := svc.Get(ctx, admin, l.ID)
	if err != nil {
		return err
	}
	for _, to := range path {
		clock.t = clock.t.Add(6 * time.Hour)
		if to == lead.StatusDeleted {
			return svc.Delete(ctx, admin, cur.ID, cur.Version)
		}
		if cur, err = svc.Update(ctx, admin, cur.ID, cur.Version, lead.UpdateInput{Status: lead.Opt[lead.Status]{Set: true, V: to}}); err != nil {
			return err
		}
	}
	return nil
}

var (
	prefixes = []string{"Gasthaus", "Hotel", "Restaurant", "Café", "Kantine", "Catering", "Bistro", "Brauhaus", "Landgasthof", "Trattoria"}
	// No "Müller" or "Adler": the README's walkthrough creates "Café Müller AG"
	// and "Hotel Adler", which must not meet a similar demo name.
	names    = []string{"Zur Linde", "Alpenblick", "Rebstock", "Am See", "Sonnenhof", "Krone", "Hirschen", "Post", "Schützenhaus", "Rössli", "Stern", "Bergblick"}
	suffixes = []string{"GmbH", "AG", "", "KG", "e.K.", "GmbH & Co. KG", ""}
	cities   = map[string][]string{"DE": {"Berlin", "München", "Hamburg", "Köln", "Leipzig"}, "CH": {"Zürich", "Bern", "Basel", "Luzern"}, "AT": {"Wien", "Graz", "Salzburg", "Innsbruck"}}
	dialing  = map[string]string{"DE": "+49 30 ", "CH": "+41 44 ", "AT": "+43 1 "}
	business = []string{"RESTAURANT", "HOTEL", "CATERING", "KANTINE", "SONSTIGES"}
	contacts = []string{"Jana Fischer", "Lukas Weber", "Sophie Braun", "Felix Hofmann", "Lea Schulz", "Noah Koch"}
)

func fakeLead(rng *rand.Rand, i int, country, owner string) lead.CreateInput {
	company := strings.TrimSpace(fmt.Sprintf("%s %s %d %s", prefixes[rng.IntN(len(prefixes))], names[rng.IntN(len(names))], i+1, suffixes[rng.IntN(len(suffixes))]))
	city := cities[country][rng.IntN(len(cities[country]))]
	email := fmt.Sprintf("kontakt%d@lead%d.example", i+1, i+1)
	phone := fmt.Sprintf("%s%07d", dialing[country], 5550000+i)
	bt := business[rng.IntN(len(business))]
	contact := contacts[rng.IntN(len(contacts))]
	consent := rng.IntN(3) > 0
	source := []string{"MESSE", "EMPFEHLUNG", "TELEFON", "WEB_FORMULAR", "PARTNER"}[rng.IntN(5)]
	return lead.CreateInput{CompanyName: company, ContactPerson: &contact, Email: &email, Phone: &phone, City: &city,
		CountryCode: &country, BusinessType: &bt, Source: &source, OwnerUserID: &owner, EmailConsent: &consent}
}

func printLogins(out io.Writer) {
	fmt.Fprintln(out, "Demo users (get a token with the command shown, in the repository's root: TOKEN=$(go run ./cmd/freshplan token ...)):")
	for _, u := range Users {
		args := ""
		for _, t := range u.Territories {
			args += " --territory " + t
		}
		fmt.Fprintf(out, "  %-16s %-8s %-9s  go run ./cmd/freshplan token --user %s --role %s%s\n", u.ID, u.Roles[0], strings.Join(u.Territories, ","), u.ID, u.Roles[0], args)
	}
}
