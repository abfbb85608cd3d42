package cockpit_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/cockpit"
	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/event/pgnotify"
	"github.com/freshplan/leads/internal/followup"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/metric"
	"github.com/freshplan/leads/internal/postgres/pgtest"
	"github.com/freshplan/leads/internal/protection"
	"github.com/freshplan/leads/internal/territory"
)

// env is the lead service with the follow-up scheduler, the follow-up
// worker and the protection walk on a clock the test moves, and a bus
// whose shared consumer keeps the aggregates.
type env struct {
	db          *pgtest.DB
	pool        *pgxpool.Pool
	leads       *lead.Service
	worker      *followup.Worker
	notices     *protection.Notifier
	aggregator  *cockpit.Aggregator
	territories *territory.Registry
	clock       *time.Time
	startBus    func()
}

func newEnv(t *testing.T, start time.Time) *env {
	t.Helper()
	e := newIdleEnv(t, start)
	e.startBus()
	return e
}

// newIdleEnv is newEnv with the bus not yet running: what is committed
// before startBus reaches the consumer in batches as large as it takes.
func newIdleEnv(t *testing.T, start time.Time) *env {
	t.Helper()
	db := pgtest.New(t)
	pool := db.AppPool(t)
	ctx := t.Context()
	territories, err := territory.Load(ctx, pool)
	require.NoError(t, err)
	clock := start
	now := func() time.Time { return clock }
	quiet := slog.New(slog.DiscardHandler)
	m := metric.New()
	jobs, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	require.NoError(t, err)
	pub := event.NewPublisher(pgnotify.NewRelay(pool), m, quiet, false, now)
	leads := lead.NewService(lead.Deps{Pool: pool, Publisher: pub, Metrics: m, Territories: territories,
		Hooks: []lead.TxHook{followup.NewScheduler(jobs, territories)}, Now: now, Log: quiet})
	agg := cockpit.NewAggregator(territories)
	// The bus runs on its own goroutines and the real clock: the test's
	// clock belongs to the commands it drives.
	bus := event.NewBus(event.Config{PollInterval: 20 * time.Millisecond}, pool,
		pgnotify.NewListener(pgnotify.Config{ConnString: db.AppURL, ApplicationName: "cockpit-test-" + db.Name}), m, quiet, time.Now)
	bus.SharedBatch(cockpit.ConsumerName, agg.Handle, cockpit.TypeWidgetChanged)
	bus.Emitting(event.NewPublisher(pgnotify.NewRelay(pool), m, quiet, false, time.Now))
	startBus := func() {
		bctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { _ = bus.Run(bctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
	}
	db.Exec(t, `INSERT INTO users (id, name, email, roles, territories) VALUES
		('anna', 'Anna', 'anna@freshplan.example', '{SALES}', '{DE}'), ('ben', 'Ben', 'ben@freshplan.example', '{SALES}', '{DE}'),
		('carla', 'Carla', 'carla@freshplan.example', '{SALES}', '{DE,AT}'), ('dario', 'Dario', '', '{SALES}', '{CH}')`)
	return &env{db: db, pool: pool, leads: leads, aggregator: agg, territories: territories, clock: &clock,
		worker: followup.NewWorker(leads, territories, followup.Links{BaseURL: "https://leads.example",
			Secret: []byte("0123456789abcdef0123456789abcdef")}, m),
		notices: protection.NewNotifier(territories, "https://leads.example"), startBus: startBus}
}

// settled waits until the shared consumer has processed every committed event.
func (e *env) settled(t *testing.T) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second)
	for {
		var done bool
		// Every lead event processed: the consumer's last id alone could pass
		// a lead's event still in flight when it read past its own
		// announcements.
		require.NoError(t, e.db.Pool.QueryRow(t.Context(), `SELECT NOT EXISTS (SELECT FROM event_outbox o
			WHERE o.type <> $2 AND NOT EXISTS (SELECT FROM processed_event p WHERE p.consumer = $1 AND p.event_id = o.event_id))`,
			cockpit.ConsumerName, cockpit.TypeWidgetChanged).Scan(&done))
		if done {
			return
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatal("the cockpit consumer did not reach the outbox's tail")
		}
	}
}

// aggregates are the rows of the aggregate tables, in order.
func (e *env) aggregates(t *testing.T) []string {
	t.Helper()
	rows, err := e.db.Pool.Query(t.Context(), `SELECT format('%s|%s|%s|%s|%s', territory, user_id, metric, at, value)
		FROM cockpit_count UNION ALL SELECT format('%s|%s|%s|%s', lead_id, territory, users, contributions) FROM cockpit_lead
		ORDER BY 1`)
	require.NoError(t, err)
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return out
}

var (
	reps    = []string{"anna", "ben", "carla", "dario"}
	repTerr = map[string][]string{"anna": {"DE"}, "ben": {"DE"}, "carla": {"DE", "AT"}, "dario": {"CH"}}
	admin   = auth.Principal{UserID: "root", Roles: []auth.Role{auth.RoleAdmin}}
)

func rep(name string) auth.Principal {
	return auth.Principal{UserID: name, Roles: []auth.Role{auth.RoleSales}, Territories: repTerr[name]}
}

// TestAggregatesEqualARecountAfterRandomCommands drives random commands
// (registrations, status changes, activities, collaborators, reassignments,
// stopped clocks, deletions, backdating, follow-ups, protection) on a clock
// that moves by hours and days; once the shared consumer reached the
// outbox's tail, the aggregates it kept equal a full recount. With seeds
// 4 and 5 the consumer starts only after the commands, so that its batches
// hold many events of one lead and of one territory.
func TestAggregatesEqualARecountAfterRandomCommands(t *testing.T) {
	t.Parallel()
	for _, seed := range []uint64{1, 2, 3, 4, 5} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			t.Parallel()
			e := newIdleEnv(t, time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC))
			late := seed > 3
			if !late {
				e.startBus()
			}
			rng := rand.New(rand.NewPCG(seed, 99))
			e.drive(t, rng, 400)
			if late {
				e.startBus()
			}
			e.settled(t)
			kept := e.aggregates(t)
			require.NotEmpty(t, kept)
			_, err := e.aggregator.Recount(t.Context(), e.pool, 7)
			require.NoError(t, err)
			require.Equal(t, e.aggregates(t), kept)
		})
	}
}

// drive runs n random commands; refusals (a transition not allowed, a
// stale version) are part of the game.
func (e *env) drive(t *testing.T, rng *rand.Rand, n int) {
	ctx := t.Context()
	var ids []uuid.UUID
	pick := func() (*lead.Lead, bool) {
		if len(ids) == 0 {
			return nil, false
		}
		l, err := e.leads.Get(ctx, auth.System(), ids[rng.IntN(len(ids))])
		require.NoError(t, err)
		return l, true
	}
	types := []string{"CALL", "NOTE", "MEETING", "EMAIL", "FOLLOW_UP"}
	for i := range n {
		*e.clock = e.clock.Add(time.Duration(rng.IntN(30)) * time.Hour)
		owner := reps[rng.IntN(len(reps))]
		switch op := rng.IntN(10); {
		case op < 3 || len(ids) == 0:
			yes := rng.IntN(3) > 0
			email := fmt.Sprintf("kontakt@betrieb%d.example", i)
			country := repTerr[owner][rng.IntN(len(repTerr[owner]))]
			city := fmt.Sprintf("Ort %d", i)
			l, err := e.leads.Create(ctx, rep(owner), lead.CreateInput{CompanyName: fmt.Sprintf("Betrieb %d", i),
				City: &city, Email: &email, EmailConsent: &yes, CountryCode: &country})
			require.NoError(t, err)
			ids = append(ids, l.ID)
		case op == 3:
			l, _ := pick()
			statuses := []lead.Status{lead.StatusActive, lead.StatusQualified, lead.StatusConverted, lead.StatusLost,
				lead.StatusReminder, lead.StatusExpired, lead.StatusDeleted}
			_, _ = e.leads.Update(ctx, admin, l.ID, l.Version, lead.UpdateInput{
				Status: lead.Opt[lead.Status]{Set: true, V: statuses[rng.IntN(len(statuses))]}})
		case op == 4:
			l, _ := pick()
			_, _ = e.leads.AddActivity(ctx, admin, l.ID, lead.ActivityInput{Type: types[rng.IntN(len(types))],
				Description: "Kontakt"})
		case op == 5:
			l, _ := pick()
			in := lead.UpdateInput{AddCollaborators: []string{reps[rng.IntN(len(reps))]}}
			if rng.IntN(2) == 0 {
				in = lead.UpdateInput{RemoveCollaborators: l.CollaboratorUserIDs}
			}
			if rng.IntN(3) == 0 {
				in.OwnerUserID = lead.Opt[string]{Set: true, V: reps[rng.IntN(len(reps))]}
			}
			_, _ = e.leads.Update(ctx, admin, l.ID, l.Version, in)
		case op == 6:
			l, _ := pick()
			in := lead.UpdateInput{StopClock: lead.Opt[bool]{Set: true, V: l.ClockStoppedAt == nil}}
			if l.ClockStoppedAt == nil {
				in.StopReason = lead.Opt[string]{Set: true, V: "Umbau"}
			}
			_, _ = e.leads.Update(ctx, admin, l.ID, l.Version, in)
		case op == 7:
			l, _ := pick()
			at := e.clock.Add(-time.Duration(rng.IntN(200)) * time.Hour)
			_, _ = e.leads.Backdate(ctx, admin, l.ID, l.Version, lead.BackdateInput{RegisteredAt: &at,
				Reason: "Messekontakt, nachgetragen"})
		case op == 8:
			l, _ := pick()
			k := followup.Kinds[rng.IntN(len(followup.Kinds))]
			require.NoError(t, e.worker.Work(ctx, &river.Job[followup.JobArgs]{Args: followup.JobArgs{LeadID: l.ID, FollowUp: k}}))
		default:
			*e.clock = e.clock.Add(time.Duration(rng.IntN(20)) * 24 * time.Hour)
			_, err := e.leads.Protect(ctx, 50, e.notices.Notify)
			require.NoError(t, err)
		}
	}
}
