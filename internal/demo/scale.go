package demo

// The scale seed: a territory of a million leads for the benchmarks.
//
// Design, measured on the 2-core development machine with PostgreSQL on
// the same host (figures in the README and the report of the change):
//
//   - COPY (pgx CopyFrom), the fastest way in. COPY is refused under
//     row-level security even for the table owner, so the pool must
//     connect as a superuser or a role with BYPASSRLS.
//   - Indexes are rebuilt, not loaded through (scaleindex.go): with the
//     20 indexes of leads (00009, 00010), 100,000 leads and 500,000
//     activities took 122 s through the indexes and 21.5 s with the
//     rebuild, of which 15 s building. The price: indexes built from a
//     sorted load are denser than ones grown by inserts, and the tables
//     are locked while the indexes build. A role that does not own the
//     tables loads through the indexes (ScaleOptions.KeepIndexes forces it).
//   - Leads are cut into chunks of chunkSize; each chunk's leads and their
//     activities go in one transaction (synchronous_commit off) through
//     one of Streams COPY connections, while Streams goroutines generate
//     the next chunks. Lead ids are UUIDv7 of the registration time and
//     activity ids UUIDv4, as the service mints them.
//   - One VACUUM (ANALYZE) at the end: statistics for the planner, hint
//     bits set and the visibility map filled for index-only scans, which a
//     freshly loaded table lacks until autovacuum comes by.
//   - Normalized columns come from internal/normalize, called for every
//     row as the service calls it; that is about a third of the generator's
//     CPU (phone numbers most: libphonenumber parses each).
//
// Every row is a function of the seed, the options and the lead's number:
// a plan decides what spans leads (territory counts, statuses, an exact
// number of activities, the bench users' leads, near-duplicates), and each
// lead draws the rest from random streams of its own, so the rows do not
// depend on the number of streams.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultShares is the split of leads over the territories.
var DefaultShares = map[string]float64{"DE": 0.6, "CH": 0.2, "AT": 0.2}

// ScaleOptions configures SeedScale.
type ScaleOptions struct {
	Leads      int
	Activities int
	// Seed makes the data reproducible: the same seed, options and AsOf
	// give the same rows, ids included.
	Seed uint64
	// Shares of the leads per territory; nil means DefaultShares.
	Shares map[string]float64
	// AsOf is "now" for the data: registrations reach back two years
	// from it. Zero means today, 00:00 UTC.
	AsOf time.Time
	// Streams is the number of goroutines that generate rows, and of
	// parallel COPY connections when the indexes stay; 0 means 2.
	Streams int
	// KeepIndexes loads through the indexes instead of dropping and
	// rebuilding them (SeedScale does that only when the role owns the
	// tables, in one transaction).
	KeepIndexes bool
	// SkipVacuum leaves out the final VACUUM (ANALYZE).
	SkipVacuum bool
	Log        *slog.Logger
}

// ScaleReport says what SeedScale loaded.
type ScaleReport struct {
	Leads       int               `json:"leads"`
	Activities  int               `json:"activities"`
	Users       int               `json:"users"`
	Territories []TerritoryReport `json:"territories"`
	Seed        uint64            `json:"seed"`
	AsOf        time.Time         `json:"asOf"`
	Streams     int               `json:"streams"`
	// RebuiltIndexes says whether the indexes were dropped and rebuilt.
	RebuiltIndexes bool `json:"rebuiltIndexes"`
	// Load is the whole load, IndexBuild the part of it that built indexes.
	Load       time.Duration `json:"loadNs"`
	IndexBuild time.Duration `json:"indexBuildNs"`
	Vacuum     time.Duration `json:"vacuumNs"`
	// TableBytes is each table's size with its indexes and TOAST.
	TableBytes map[string]int64 `json:"tableBytes"`
}

// TerritoryReport is one territory of a ScaleReport.
type TerritoryReport struct {
	Code               string `json:"code"`
	Leads              int    `json:"leads"`
	Reps               int    `json:"reps"`
	Managers           int    `json:"managers"`
	BenchUser          string `json:"benchUser"`
	BenchOwned         int    `json:"benchOwned"`
	BenchCollaborating int    `json:"benchCollaborating"`
}

// BenchUser is the SALES user of a territory whose view the benchmarks
// measure: it owns 1,000 leads and collaborates on 100 (fewer in
// territories under 10,000 leads: a tenth and a hundredth of them).
func BenchUser(territory string) string { return "bench.sales." + strings.ToLower(territory) }

// AdminUser is the seeded ADMIN.
const AdminUser = "admin.01"

// leadsPerRep is how many leads a SALES rep holds on average.
const leadsPerRep = 2000

// maxLeads bounds the plan's memory and its 32-bit lead numbers.
const maxLeads = 100_000_000

// chunkSize is how many leads (with their activities) one COPY
// transaction carries.
const chunkSize = 5000

// ParseShares reads "DE=0.4" or "DE=0.4,CH=0.3": the named territories get
// their share, the others split the rest in the proportion of
// DefaultShares. Shares are fractions (0.4) or percentages (40%).
func ParseShares(s string) (map[string]float64, error) {
	out := map[string]float64{}
	given := 0.0
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		code, val, ok := strings.Cut(part, "=")
		code = strings.ToUpper(strings.TrimSpace(code))
		if _, known := DefaultShares[code]; !ok || !known {
			return nil, fmt.Errorf("territory share %q: want CODE=SHARE with CODE one of %s", part, strings.Join(shareCodes(), ", "))
		}
		val = strings.TrimSpace(val)
		scale := 1.0
		if strings.HasSuffix(val, "%") {
			val, scale = strings.TrimSuffix(val, "%"), 0.01
		}
		f, err := strconv.ParseFloat(val, 64)
		if err != nil || f < 0 || math.IsNaN(f) || f*scale > 1 {
			return nil, fmt.Errorf("territory share %q: want a share between 0 and 1", part)
		}
		if _, dup := out[code]; dup {
			return nil, fmt.Errorf("territory share: %s given twice", code)
		}
		out[code] = f * scale
		given += f * scale
	}
	if given > 1+1e-9 {
		return nil, fmt.Errorf("territory shares add up to %.3g, more than 1", given)
	}
	rest := 0.0
	for code, d := range DefaultShares {
		if _, ok := out[code]; !ok {
			rest += d
		}
	}
	for code, d := range DefaultShares {
		if _, ok := out[code]; !ok {
			out[code] = 0
			if rest > 0 {
				out[code] = (1 - given) * d / rest
			}
		}
	}
	if len(out) == 0 || given < 1-1e-9 && rest == 0 {
		return nil, fmt.Errorf("territory shares add up to %.3g, less than 1", given)
	}
	return out, nil
}

func shareCodes() []string {
	var codes []string
	for c := range DefaultShares {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	return codes
}

// SeedScale loads opts.Leads leads and opts.Activities activities, with
// the users that own them, through COPY. pool must connect as a superuser
// or a role with BYPASSRLS. It writes no outbox events, follow-up jobs or
// audit rows, and refuses a database it has seeded before.
func SeedScale(ctx context.Context, pool *pgxpool.Pool, opts ScaleOptions) (*ScaleReport, error) {
	opts, shares, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	log := opts.Log
	if _, err := rebuildPending(ctx, pool, opts.Streams, log); err != nil {
		return nil, err
	}
	if err := checkTarget(ctx, pool, shares); err != nil {
		return nil, err
	}
	cols, err := leadColumns(ctx, pool)
	if err != nil {
		return nil, err
	}
	rebuild := !opts.KeepIndexes
	if rebuild {
		if rebuild, err = ownsTables(ctx, pool); err != nil {
			return nil, err
		}
		if !rebuild {
			log.Warn("seed: the role does not own leads and activities, so COPY goes through their indexes (much slower)")
		}
	}
	g, users, err := newGenerator(opts, shares)
	if err != nil {
		return nil, err
	}
	p := g.plan
	report := &ScaleReport{Leads: opts.Leads, Activities: opts.Activities, Users: len(users), Seed: opts.Seed,
		AsOf: opts.AsOf, Streams: opts.Streams, RebuiltIndexes: rebuild}
	for ti, t := range p.territories {
		u := g.users[ti]
		report.Territories = append(report.Territories, TerritoryReport{Code: t, Leads: p.counts[ti], Reps: len(u.reps),
			Managers: len(u.managers), BenchUser: u.bench, BenchOwned: p.benchOwned[ti], BenchCollaborating: p.benchCollab[ti]})
	}

	log.Info("seeding leads", "leads", opts.Leads, "activities", opts.Activities, "seed", opts.Seed, "rebuildIndexes", rebuild)
	began := time.Now()
	if rebuild {
		report.IndexBuild, err = g.loadRebuilding(ctx, pool, cols, users, opts.Streams, log)
	} else {
		err = g.loadThroughIndexes(ctx, pool, cols, users, opts.Streams, log)
	}
	if err != nil {
		return nil, err
	}
	report.Load = time.Since(began)
	if !opts.SkipVacuum {
		began = time.Now()
		if _, err := pool.Exec(ctx, "VACUUM (ANALYZE) users, leads, activities"); err != nil {
			return nil, fmt.Errorf("demo: vacuum: %w", err)
		}
		report.Vacuum = time.Since(began)
	} else if _, err := pool.Exec(ctx, "ANALYZE users, leads, activities"); err != nil {
		return nil, fmt.Errorf("demo: analyze: %w", err)
	}
	report.TableBytes, err = tableBytes(ctx, pool)
	return report, err
}

func (o ScaleOptions) withDefaults() (ScaleOptions, map[string]float64, error) {
	if o.Leads < 0 || o.Activities < 0 {
		return o, nil, errors.New("demo: leads and activities must not be negative")
	}
	if o.Leads > maxLeads {
		return o, nil, fmt.Errorf("demo: at most %d leads (the plan keeps about 30 bytes a lead in memory)", maxLeads)
	}
	if o.Leads == 0 && o.Activities > 0 {
		return o, nil, errors.New("demo: activities need leads")
	}
	shares := o.Shares
	if shares == nil {
		shares = DefaultShares
	}
	for t := range shares {
		if len(cityTable[t]) == 0 {
			return o, nil, fmt.Errorf("demo: no place data for territory %q", t)
		}
	}
	if o.AsOf.IsZero() {
		o.AsOf = time.Now().UTC().Truncate(day)
	}
	o.AsOf = o.AsOf.UTC().Truncate(time.Microsecond)
	if o.Streams <= 0 {
		o.Streams = 2
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o, shares, nil
}

// checkTarget refuses a role that COPY would refuse (row-level security),
// territories the database does not know, and a database seeded before.
func checkTarget(ctx context.Context, pool *pgxpool.Pool, shares map[string]float64) error {
	var role string
	var bypass bool
	err := pool.QueryRow(ctx, `SELECT current_user, rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user`).Scan(&role, &bypass)
	if err != nil {
		return fmt.Errorf("demo: check role: %w", err)
	}
	if !bypass {
		return fmt.Errorf("demo: role %s can neither bypass row-level security nor COPY into the leads: "+
			"seed --leads connects with FRESHPLAN_MIGRATE_DATABASE_URL (default DATABASE_URL), which must name a superuser or a role with BYPASSRLS", role)
	}
	rows, err := pool.Query(ctx, `SELECT code FROM territories`)
	if err != nil {
		return fmt.Errorf("demo: territories: %w", err)
	}
	known, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("demo: territories: %w", err)
	}
	var bench []string
	for t, share := range shares {
		if share > 0 && !slices.Contains(known, t) {
			return fmt.Errorf("demo: territory %s is not in the territories table", t)
		}
		bench = append(bench, BenchUser(t))
	}
	var seeded bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = ANY ($1))`, bench).Scan(&seeded); err != nil {
		return fmt.Errorf("demo: check users: %w", err)
	}
	if seeded {
		return errors.New("demo: this database holds seeded leads already (the bench users exist); seed into a fresh database")
	}
	return nil
}

// The columns of leads that SeedScale fills; the optional ones only when
// the schema has them (deleted_at comes with a later migration).
var (
	leadRequired = []string{"id", "version", "company_name", "contact_person", "email", "phone", "website", "street",
		"postal_code", "city", "country_code", "territory", "business_type", "source", "status", "owner_user_id",
		"collaborator_user_ids", "email_consent", "contact_blocked", "registered_at", "last_activity_at",
		"last_follow_up_at", "follow_up_count", "t3_follow_up_sent_at", "t7_follow_up_sent_at", "reminder_sent_at",
		"grace_period_start_at", "expired_at", "clock_stopped_at", "stop_reason", "email_normalized",
		"company_name_normalized", "phone_e164", "website_domain", "created_at", "created_by", "updated_at", "updated_by"}
	leadOptional    = []string{"duplicate_override_reason", "deleted_at"}
	activityColumns = []string{"id", "lead_id", "type", "occurred_at", "description", "outcome", "user_id", "created_at"}
	userColumns     = []string{"id", "name", "email", "roles", "territories", "first_seen_at", "last_seen_at", "updated_at"}
)

// leadCols are the columns of one COPY into leads.
type leadCols struct {
	names                   []string
	overrideReason, deleted bool
}

func leadColumns(ctx context.Context, pool *pgxpool.Pool) (leadCols, error) {
	// Generated columns (deleted_at is generated from the status) fill themselves.
	rows, err := pool.Query(ctx, `SELECT column_name::text FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = 'leads' AND is_generated = 'NEVER'`)
	if err != nil {
		return leadCols{}, fmt.Errorf("demo: lead columns: %w", err)
	}
	have, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return leadCols{}, fmt.Errorf("demo: lead columns: %w", err)
	}
	c := leadCols{names: slices.Clone(leadRequired)}
	for _, name := range leadRequired {
		if !slices.Contains(have, name) {
			return c, fmt.Errorf("demo: leads has no column %s: migrate first", name)
		}
	}
	c.overrideReason = slices.Contains(have, leadOptional[0])
	c.deleted = slices.Contains(have, leadOptional[1])
	if c.overrideReason {
		c.names = append(c.names, leadOptional[0])
	}
	if c.deleted {
		c.names = append(c.names, leadOptional[1])
	}
	return c, nil
}

// values fills row with l's values in the order of c.names.
func (c leadCols) values(row []any, l *leadRow) []any {
	row = append(row[:0], l.id, l.version, l.company, null(l.contact), null(l.email), null(l.phone), null(l.website),
		null(l.street), null(l.postal), null(l.city), l.country, l.territory, null(l.businessType), l.source, l.status,
		l.owner, l.collaborators, l.consent, l.blocked, l.registered, nullTime(l.lastActivity),
		nullTime(l.lastFollowUp), l.followUps, nullTime(l.t3), nullTime(l.t7), nullTime(l.reminder),
		nullTime(l.grace), nullTime(l.expired), nullTime(l.clockStopped), null(l.stopReason), null(l.emailN),
		null(l.companyN), null(l.phoneN), null(l.domainN), l.registered, l.createdBy, l.updated, l.updatedBy)
	if c.overrideReason {
		row = append(row, null(l.overrideReason))
	}
	if c.deleted {
		row = append(row, nullTime(l.deleted))
	}
	return row
}

func activityValues(row []any, a *activityRow) []any {
	return append(row[:0], a.id, a.lead, a.typ, a.occurred, a.description, null(a.outcome), a.user, a.occurred)
}

func null(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// chunk is a slice of the leads with their activities, ready to COPY.
type chunk struct {
	index int
	leads []leadRow
	acts  []activityRow
}

// produce generates the chunks with workers goroutines and calls consume
// from copiers goroutines for each; it stops at the first error.
func (g *generator) produce(ctx context.Context, workers, copiers int, log *slog.Logger,
	consume func(ctx context.Context, c *chunk, row *[]any) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	chunks := (g.plan.n + chunkSize - 1) / chunkSize
	next := make(chan int)
	ready := make(chan *chunk, copiers)
	free := make(chan *chunk, workers+copiers+1)
	go func() {
		defer close(next)
		for k := range chunks {
			select {
			case next <- k:
			case <-ctx.Done():
				return
			}
		}
	}()
	var gen, cp sync.WaitGroup
	for range workers {
		gen.Go(func() {
			r := newRNGs()
			for k := range next {
				var c *chunk
				select {
				case c = <-free:
				default:
					c = &chunk{}
				}
				g.chunk(k, r, c)
				select {
				case ready <- c:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() { gen.Wait(); close(ready) }()
	var mu sync.Mutex
	var leads, acts int
	lastLog := time.Now()
	for range copiers {
		cp.Go(func() {
			var row []any
			for c := range ready {
				if ctx.Err() != nil {
					continue // drain, so the generators finish
				}
				if err := consume(ctx, c, &row); err != nil {
					cancel(fmt.Errorf("demo: chunk %d: %w", c.index, err))
					continue
				}
				mu.Lock()
				leads, acts = leads+len(c.leads), acts+len(c.acts)
				if time.Since(lastLog) > 10*time.Second {
					log.Info("seeding", "leads", leads, "activities", acts)
					lastLog = time.Now()
				}
				mu.Unlock()
				select {
				case free <- c:
				default:
				}
			}
		})
	}
	cp.Wait()
	return context.Cause(ctx)
}

// loadThroughIndexes copies the users, then the chunks over streams
// connections, each chunk in a transaction of its own.
func (g *generator) loadThroughIndexes(ctx context.Context, pool *pgxpool.Pool, cols leadCols, users [][]any, streams int, log *slog.Logger) error {
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"users"}, userColumns, pgx.CopyFromRows(users)); err != nil {
		return fmt.Errorf("demo: copy users: %w", err)
	}
	return g.loadChunks(ctx, pool, cols, streams, log)
}

func (g *generator) loadChunks(ctx context.Context, pool *pgxpool.Pool, cols leadCols, streams int, log *slog.Logger) error {
	return g.produce(ctx, streams, streams, log, func(ctx context.Context, c *chunk, row *[]any) error {
		return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			// A crash loses at most the last chunks of a seed that is run again anyway.
			if _, err := tx.Exec(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
				return err
			}
			return copyChunk(ctx, tx, cols, c, row)
		})
	})
}

// chunk generates chunk k into c, reusing its slices.
func (g *generator) chunk(k int, r *rngs, c *chunk) {
	from, to := k*chunkSize, min((k+1)*chunkSize, g.plan.n)
	c.index = k
	c.leads = slices.Grow(c.leads[:0], to-from)[:to-from]
	c.acts = c.acts[:0]
	for i := from; i < to; i++ {
		c.acts = g.lead(i, r, &c.leads[i-from], c.acts)
	}
}

// copyChunk writes a chunk's leads and their activities.
func copyChunk(ctx context.Context, tx pgx.Tx, cols leadCols, c *chunk, row *[]any) error {
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"leads"}, cols.names, pgx.CopyFromSlice(len(c.leads), func(k int) ([]any, error) {
		*row = cols.values(*row, &c.leads[k])
		return *row, nil
	}))
	if err != nil {
		return fmt.Errorf("copy leads: %w", err)
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"activities"}, activityColumns, pgx.CopyFromSlice(len(c.acts), func(k int) ([]any, error) {
		*row = activityValues(*row, &c.acts[k])
		return *row, nil
	}))
	if err != nil {
		return fmt.Errorf("copy activities: %w", err)
	}
	return nil
}

// newGenerator plans the leads and creates the users; opts has its defaults.
func newGenerator(opts ScaleOptions, shares map[string]float64) (*generator, [][]any, error) {
	p, err := newPlan(opts, shares)
	if err != nil {
		return nil, nil, err
	}
	g := &generator{seed: opts.Seed, plan: p, asOf: opts.AsOf}
	users := g.makeUsers()
	for _, t := range p.territories {
		g.locations = append(g.locations, location(t))
	}
	return g, users, nil
}

// makeUsers creates the users of every territory: SALES reps (about one
// per leadsPerRep leads, some holding more than others), three MANAGERs,
// the bench user, and one ADMIN; it returns their rows for COPY.
func (g *generator) makeUsers() [][]any {
	p := g.plan
	rng := rand.New(rand.NewPCG(g.seed, 0x7573657273)) // "users"
	seen := g.asOf.Add(-time.Duration(1+rng.IntN(48)) * time.Hour)
	first := g.asOf.Add(-history - 30*day)
	var rows [][]any
	add := func(id, role string, territories []string) {
		name := firstNames[rng.IntN(len(firstNames))] + " " + surnames[rng.IntN(len(surnames))]
		rows = append(rows, []any{id, name, id + "@freshplan.example", []string{role}, territories, first, seen, first})
	}
	g.users = make([]territoryUsers, len(p.territories))
	for ti, t := range p.territories {
		lower := strings.ToLower(t)
		u := &g.users[ti]
		reps := max(2, (p.counts[ti]+leadsPerRep-1)/leadsPerRep)
		total := 0.0
		for k := range reps {
			id := fmt.Sprintf("sales.%s.%04d", lower, k+1)
			u.reps = append(u.reps, id)
			// Weights 1/(k + reps/5): the busiest rep holds about six times
			// the leads of the least busy one.
			total += 1 / (float64(k) + float64(reps)/5)
			u.repCum = append(u.repCum, total)
			add(id, "SALES", []string{t})
		}
		for k := range 3 {
			id := fmt.Sprintf("manager.%s.%02d", lower, k+1)
			u.managers = append(u.managers, id)
			add(id, "MANAGER", []string{t})
		}
		u.bench = BenchUser(t)
		add(u.bench, "SALES", []string{t})
	}
	add(AdminUser, "ADMIN", slices.Clone(p.territories))
	return rows
}

var timeZones = map[string]string{"DE": "Europe/Berlin", "CH": "Europe/Zurich", "AT": "Europe/Vienna"}

// location is the territory's time zone, or Central European Time when
// the system has no zone data.
func location(territory string) *time.Location {
	if loc, err := time.LoadLocation(timeZones[territory]); err == nil {
		return loc
	}
	return time.FixedZone("CET", 3600)
}

func tableBytes(ctx context.Context, pool *pgxpool.Pool) (map[string]int64, error) {
	out := map[string]int64{}
	for _, t := range []string{"users", "leads", "activities"} {
		var n int64
		if err := pool.QueryRow(ctx, `SELECT pg_total_relation_size($1::regclass)`, t).Scan(&n); err != nil {
			return nil, fmt.Errorf("demo: size of %s: %w", t, err)
		}
		out[t] = n
	}
	return out, nil
}
