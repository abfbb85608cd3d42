package cockpit

import (
	"context"
	"errors"
	"math"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/postgres"
	"github.com/freshplan/leads/internal/territory"
)

// Widget is the lead widget of SPEC §7. Rates and trend values are
// percentages (0–100, one decimal).
type Widget struct {
	LeadStats        LeadStats        `json:"leadStats"`
	PendingT3Count   int64            `json:"pendingT3Count"`
	PendingT7Count   int64            `json:"pendingT7Count"`
	OverdueCount     int64            `json:"overdueCount"`
	CompletedT3Today int64            `json:"completedT3Today"`
	CompletedT7Today int64            `json:"completedT7Today"`
	T3ConversionRate float64          `json:"t3ConversionRate"`
	T7ConversionRate float64          `json:"t7ConversionRate"`
	T3ResponseRate   float64          `json:"t3ResponseRate"`
	T7ResponseRate   float64          `json:"t7ResponseRate"`
	ConversionTrend  Trend            `json:"conversionTrend"`
	ResponseTrend    Trend            `json:"responseTrend"`
	TrendDays        []TrendDay       `json:"trendDays"` // the last 7 days, oldest first
	RecentFollowUps  []RecentFollowUp `json:"recentFollowUps"`
	RecentActivities []RecentActivity `json:"recentActivities"`
	IsManagerView    bool             `json:"isManagerView"`
	UserID           string           `json:"userId"`
	Territories      []string         `json:"territories"`
	GeneratedAt      time.Time        `json:"generatedAt"`
}

// LeadStats counts the leads of the scope.
type LeadStats struct {
	Total        int64            `json:"total"`
	ByStatus     map[string]int64 `json:"byStatus"` // every status but DELETED
	ClockStopped int64            `json:"clockStopped"`
	ExpiringSoon int64            `json:"expiringSoon"` // protection ends within 7 days
}

// TrendDay is one local day of the trend chart: follow-up mails queued
// that day (T3 and T7), and of those the leads now converted and those
// answered within 7 days.
type TrendDay struct {
	Date      string `json:"date"` // YYYY-MM-DD
	Sent      int64  `json:"sent"`
	Converted int64  `json:"converted"`
	Responded int64  `json:"responded"`
}

// Trend compares the last 7 days with the 7 before.
type Trend struct {
	CurrentValue  float64  `json:"currentValue"`
	PreviousValue float64  `json:"previousValue"`
	ChangePercent *float64 `json:"changePercent"` // null when the previous value is 0
	Trend         string   `json:"trend"`         // UP, DOWN or STABLE (less than 1 point apart)
}

// Scope is what a widget counts: user units (a rep's leads) or territory
// units, and its cache key.
type Scope struct {
	Key         string
	User        string // the user unit's user; "" for territory units
	Territories []string
}

// ErrForbidden: the caller may not see the scope asked for.
var ErrForbidden = errors.New("cockpit: forbidden")

// ErrUnknownTerritory: ?territory= names no territory.
var ErrUnknownTerritory = errors.New("cockpit: unknown territory")

// ScopeOf is the caller's scope, narrowed to one territory when asked
// (MANAGER and ADMIN).
func ScopeOf(p auth.Principal, only string, territories *territory.Registry) (Scope, error) {
	if only != "" {
		if !territories.Known(only) {
			return Scope{}, ErrUnknownTerritory
		}
		if p.Role() != auth.RoleManager && p.Role() != auth.RoleAdmin || !p.SeesTerritory(only) {
			return Scope{}, ErrForbidden
		}
		return Scope{Key: "territories:" + only, Territories: []string{only}}, nil
	}
	var codes []string
	for _, t := range territories.Visible(p) {
		codes = append(codes, t.Code)
	}
	switch p.Role() {
	case auth.RoleAdmin:
		return Scope{Key: "all", Territories: codes}, nil
	case auth.RoleManager:
		return Scope{Key: "territories:" + strings.Join(codes, ","), Territories: codes}, nil
	case auth.RoleSales:
		if p.UserID == "" {
			return Scope{}, ErrForbidden
		}
		return Scope{Key: "user:" + p.UserID, User: p.UserID, Territories: codes}, nil
	}
	return Scope{}, ErrForbidden
}

// Reader reads widgets as their callers, through row-level security.
type Reader struct {
	pool        *pgxpool.Pool
	territories *territory.Registry
	now         func() time.Time
}

// NewReader returns a Reader.
func NewReader(pool *pgxpool.Pool, territories *territory.Registry, now func() time.Time) *Reader {
	return &Reader{pool: pool, territories: territories, now: now}
}

// figures are the sums of one metric over the scope's units.
type figures struct {
	count, next7, overdue, all, today, last30, last7, previous7 int64
}

// Widget reads the widget of scope s as p.
func (r *Reader) Widget(ctx context.Context, p auth.Principal, s Scope) (*Widget, error) {
	now := r.now().UTC()
	w := windows{}
	for _, code := range s.Territories {
		loc, err := r.territories.Location(code)
		if errors.Is(err, territory.ErrUnknown) {
			continue
		}
		if err != nil {
			return nil, err
		}
		w.add(code, now, loc)
	}
	out := &Widget{IsManagerView: s.User == "", UserID: p.UserID, Territories: nonNil(s.Territories), GeneratedAt: now,
		RecentFollowUps: []RecentFollowUp{}, RecentActivities: []RecentActivity{}}
	err := postgres.InTx(ctx, r.pool, p, func(tx pgx.Tx) error {
		f, err := readFigures(ctx, tx, w, s.User)
		if err != nil {
			return err
		}
		out.fill(f)
		days, err := readDays(ctx, tx, w, s.User)
		if err != nil {
			return err
		}
		out.TrendDays = r.trendDays(now, s.Territories, days)
		if err := readRecent(ctx, tx, p, s, "followup", &out.RecentFollowUps); err != nil {
			return err
		}
		return readRecent(ctx, tx, p, s, "activity", &out.RecentActivities)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// trendDays lays the day figures out on the last 7 days, in the zone of
// the territory each comes from (the first territory's calendar names the
// days).
func (r *Reader) trendDays(now time.Time, territories []string, figures []dayFigure) []TrendDay {
	zone := func(code string) *time.Location {
		if loc, err := r.territories.Location(code); err == nil {
			return loc
		}
		return time.UTC
	}
	first := time.UTC
	if len(territories) > 0 {
		first = zone(territories[0])
	}
	y, m, day := now.In(first).Date()
	byDate := map[string]*TrendDay{}
	out := make([]TrendDay, 7)
	for i := range out {
		out[i].Date = time.Date(y, m, day+i-6, 0, 0, 0, 0, first).Format(time.DateOnly)
	}
	for i := range out {
		byDate[out[i].Date] = &out[i]
	}
	for _, f := range figures {
		d, ok := byDate[f.at.In(zone(f.territory)).Format(time.DateOnly)]
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(f.metric, metricSent):
			d.Sent += f.value
		case strings.HasPrefix(f.metric, metricConverted):
			d.Converted += f.value
		case strings.HasPrefix(f.metric, metricResponded):
			d.Responded += f.value
		}
	}
	return out
}

// windows are, per territory, now and the local day starts the figures
// count from.
type windows struct {
	territory                []string
	now, today, d30, d7, d14 []time.Time
}

func (w *windows) add(code string, now time.Time, loc *time.Location) {
	y, m, d := now.In(loc).Date()
	day := func(n int) time.Time { return time.Date(y, m, d-n, 0, 0, 0, 0, loc).UTC() }
	w.territory = append(w.territory, code)
	w.now, w.today = append(w.now, now), append(w.today, day(0))
	w.d30, w.d7, w.d14 = append(w.d30, day(29)), append(w.d7, day(6)), append(w.d14, day(13))
}

func (out *Widget) fill(f map[string]figures) {
	out.LeadStats.ByStatus = map[string]int64{}
	for _, st := range lead.Statuses {
		if st == lead.StatusDeleted {
			continue
		}
		n := f[metricStatus+string(st)].count
		out.LeadStats.ByStatus[string(st)] = n
		out.LeadStats.Total += n
	}
	out.LeadStats.ClockStopped = f[metricClockStopped].count
	out.LeadStats.ExpiringSoon = f[metricProtectionEnd].next7
	out.PendingT3Count, out.PendingT7Count = f[metricPending+"T3"].all, f[metricPending+"T7"].all
	out.OverdueCount = f[metricPending+"T3"].overdue + f[metricPending+"T7"].overdue
	out.CompletedT3Today, out.CompletedT7Today = f[metricSent+"T3"].today, f[metricSent+"T7"].today
	rate := func(part, whole int64) float64 {
		if whole == 0 {
			return 0
		}
		return math.Round(float64(part)*1000/float64(whole)) / 10
	}
	for _, k := range []struct {
		kind                 string
		conversion, response *float64
	}{{"T3", &out.T3ConversionRate, &out.T3ResponseRate}, {"T7", &out.T7ConversionRate, &out.T7ResponseRate}} {
		sent := f[metricSent+k.kind].last30
		*k.conversion = rate(f[metricConverted+k.kind].last30, sent)
		*k.response = rate(f[metricResponded+k.kind].last30, sent)
	}
	both := func(metric string, pick func(figures) int64) int64 {
		return pick(f[metric+"T3"]) + pick(f[metric+"T7"])
	}
	last7 := func(x figures) int64 { return x.last7 }
	previous7 := func(x figures) int64 { return x.previous7 }
	out.ConversionTrend = trend(rate(both(metricConverted, last7), both(metricSent, last7)),
		rate(both(metricConverted, previous7), both(metricSent, previous7)))
	out.ResponseTrend = trend(rate(both(metricResponded, last7), both(metricSent, last7)),
		rate(both(metricResponded, previous7), both(metricSent, previous7)))
}

// trend compares two percentages (SPEC §7).
func trend(current, previous float64) Trend {
	t := Trend{CurrentValue: current, PreviousValue: previous, Trend: "STABLE"}
	if previous != 0 {
		c := math.Round((current-previous)/previous*1000) / 10
		t.ChangePercent = &c
	}
	switch {
	case current-previous >= 1:
		t.Trend = "UP"
	case previous-current >= 1:
		t.Trend = "DOWN"
	}
	return t
}

// visibleOnly keeps the entries p may see by the audience recorded with
// them: the rule the row-level security applies, once more in Go.
func visibleOnly[T any](p auth.Principal, entries []recentEntry[T]) []T {
	out := []T{}
	for _, e := range entries {
		if e.audience.VisibleTo(p) {
			out = append(out, e.item)
		}
	}
	return out
}
