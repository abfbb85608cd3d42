package lead

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/freshplan/leads/internal/auth"
)

// All of the package's SQL is in this file. Row-level security decides
// visibility; the queries never filter by the caller themselves.

const leadColumns = `id, version, company_name, contact_person, email, phone, website, street, postal_code, city,
	country_code, territory, business_type, source, status, owner_user_id, collaborator_user_ids, email_consent,
	contact_blocked, registered_at, last_activity_at, last_follow_up_at, follow_up_count, t3_follow_up_sent_at,
	t7_follow_up_sent_at, reminder_sent_at, grace_period_start_at, expired_at, clock_stopped_at, stop_reason,
	created_at, created_by, updated_at, updated_by, email_normalized, company_name_normalized, phone_e164, website_domain,
	duplicate_override_reason, paused_us, paused_us_at_activity, paused_us_at_status`

// protectionCandidatesSQL: the next $2 leads after $1 that protection
// watches, with a running clock; by primary key, no index on the status.
const protectionCandidatesSQL = `SELECT id, status, territory, registered_at, last_activity_at, reminder_sent_at,
	grace_period_start_at, updated_at, paused_us, paused_us_at_activity, paused_us_at_status
	FROM leads WHERE id > $1 AND status IN ('REGISTERED', 'ACTIVE', 'REMINDER', 'GRACE_PERIOD')
	AND clock_stopped_at IS NULL ORDER BY id LIMIT $2`

func scanLead(row pgx.Row) (*Lead, error) {
	var l Lead
	var paused pausedColumns
	err := row.Scan(&l.ID, &l.Version, &l.CompanyName, &l.ContactPerson, &l.Email, &l.Phone, &l.Website, &l.Street,
		&l.PostalCode, &l.City, &l.CountryCode, &l.Territory, &l.BusinessType, &l.Source, &l.Status, &l.OwnerUserID,
		&l.CollaboratorUserIDs, &l.EmailConsent, &l.ContactBlocked, &l.RegisteredAt, &l.LastActivityAt,
		&l.LastFollowUpAt, &l.FollowUpCount, &l.T3FollowUpSentAt, &l.T7FollowUpSentAt, &l.ReminderSentAt,
		&l.GracePeriodStartAt, &l.ExpiredAt, &l.ClockStoppedAt, &l.StopReason, &l.CreatedAt, &l.CreatedBy,
		&l.UpdatedAt, &l.UpdatedBy, &l.EmailNormalized, &l.CompanyNameNormalized, &l.PhoneE164, &l.WebsiteDomain,
		&l.DuplicateOverrideReason, &paused[0], &paused[1], &paused[2])
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("lead: scan: %w", err)
	}
	l.Paused = paused.pause()
	utc(&l.RegisteredAt, &l.CreatedAt, &l.UpdatedAt)
	utcPtr(l.LastActivityAt, l.LastFollowUpAt, l.T3FollowUpSentAt, l.T7FollowUpSentAt, l.ReminderSentAt,
		l.GracePeriodStartAt, l.ExpiredAt, l.ClockStoppedAt)
	return &l, nil
}

// pausedColumns are paused_us, paused_us_at_activity, paused_us_at_status.
type pausedColumns [3]int64

func (c pausedColumns) pause() Pause {
	us := func(n int64) time.Duration { return time.Duration(n) * time.Microsecond }
	return Pause{Total: us(c[0]), AtActivity: us(c[1]), AtStatus: us(c[2])}
}

func utc(ts ...*time.Time) {
	for _, t := range ts {
		*t = t.UTC()
	}
}

func utcPtr(ts ...*time.Time) {
	for _, t := range ts {
		if t != nil {
			*t = t.UTC()
		}
	}
}

const insertLeadSQL = `INSERT INTO leads (id, company_name, contact_person, email, phone, website, street, postal_code,
	city, country_code, territory, business_type, source, owner_user_id, collaborator_user_ids, email_consent,
	registered_at, email_normalized, company_name_normalized, phone_e164, website_domain,
	created_at, created_by, updated_at, updated_by, duplicate_override_reason)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $17, $22, $17, $22, $23)
	RETURNING ` + leadColumns

// queueInsertLead adds the insert of l to b; out receives the row written.
func queueInsertLead(b *pgx.Batch, l *Lead, out *Lead) {
	b.Queue(insertLeadSQL, l.ID, l.CompanyName, l.ContactPerson, l.Email, l.Phone, l.Website,
		l.Street, l.PostalCode, l.City, l.CountryCode, l.Territory, l.BusinessType, l.Source, l.OwnerUserID,
		l.CollaboratorUserIDs, l.EmailConsent, l.RegisteredAt, l.EmailNormalized, l.CompanyNameNormalized,
		l.PhoneE164, l.WebsiteDomain, l.CreatedBy, l.DuplicateOverrideReason).QueryRow(scanInto(out))
}

// scanInto scans a lead row into out, for queued queries.
func scanInto(out *Lead) func(pgx.Row) error {
	return func(row pgx.Row) error {
		l, err := scanLead(row)
		if err == nil {
			*out = *l
		}
		return err
	}
}

// lockLead reads a lead and locks its row: the first statement of every
// command, so changes to one lead are serialized. Sent as a batch, so that
// the transaction's scope settings travel with it. Row-level security
// decides what p may lock; the territory is checked in Go as well, so a
// scope that SQL would read wider than the principal still finds nothing.
func lockLead(ctx context.Context, tx pgx.Tx, p auth.Principal, id uuid.UUID) (*Lead, error) {
	var l Lead
	b := &pgx.Batch{}
	b.Queue(`SELECT `+leadColumns+` FROM leads WHERE id = $1 FOR UPDATE`, id).QueryRow(scanInto(&l))
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	if !p.SeesTerritory(l.Territory) {
		return nil, ErrNotFound
	}
	stored := l
	stored.CollaboratorUserIDs = slices.Clone(l.CollaboratorUserIDs)
	l.stored = &stored
	return &l, nil
}

func getLead(ctx context.Context, tx pgx.Tx, id uuid.UUID) (*Lead, error) {
	return scanLead(tx.QueryRow(ctx, `SELECT `+leadColumns+` FROM leads WHERE id = $1`, id))
}

// updateColumns are the columns a command may write, each with its field.
// version, updated_at and updated_by are written by every update.
var updateColumns = []struct {
	name  string
	field func(*Lead) any
}{
	{"company_name", func(l *Lead) any { return l.CompanyName }},
	{"contact_person", func(l *Lead) any { return l.ContactPerson }},
	{"email", func(l *Lead) any { return l.Email }},
	{"phone", func(l *Lead) any { return l.Phone }},
	{"website", func(l *Lead) any { return l.Website }},
	{"street", func(l *Lead) any { return l.Street }},
	{"postal_code", func(l *Lead) any { return l.PostalCode }},
	{"city", func(l *Lead) any { return l.City }},
	{"country_code", func(l *Lead) any { return l.CountryCode }},
	{"territory", func(l *Lead) any { return l.Territory }},
	{"business_type", func(l *Lead) any { return l.BusinessType }},
	{"source", func(l *Lead) any { return l.Source }},
	{"status", func(l *Lead) any { return l.Status }},
	{"owner_user_id", func(l *Lead) any { return l.OwnerUserID }},
	{"collaborator_user_ids", func(l *Lead) any { return l.CollaboratorUserIDs }},
	{"email_consent", func(l *Lead) any { return l.EmailConsent }},
	{"contact_blocked", func(l *Lead) any { return l.ContactBlocked }},
	{"last_activity_at", func(l *Lead) any { return l.LastActivityAt }},
	{"clock_stopped_at", func(l *Lead) any { return l.ClockStoppedAt }},
	{"stop_reason", func(l *Lead) any { return l.StopReason }},
	{"email_normalized", func(l *Lead) any { return l.EmailNormalized }},
	{"company_name_normalized", func(l *Lead) any { return l.CompanyNameNormalized }},
	{"phone_e164", func(l *Lead) any { return l.PhoneE164 }},
	{"website_domain", func(l *Lead) any { return l.WebsiteDomain }},
	{"reminder_sent_at", func(l *Lead) any { return l.ReminderSentAt }},
	{"grace_period_start_at", func(l *Lead) any { return l.GracePeriodStartAt }},
	{"expired_at", func(l *Lead) any { return l.ExpiredAt }},
	{"registered_at", func(l *Lead) any { return l.RegisteredAt }},
	{"last_follow_up_at", func(l *Lead) any { return l.LastFollowUpAt }},
	{"follow_up_count", func(l *Lead) any { return l.FollowUpCount }},
	{"t3_follow_up_sent_at", func(l *Lead) any { return l.T3FollowUpSentAt }},
	{"t7_follow_up_sent_at", func(l *Lead) any { return l.T7FollowUpSentAt }},
	{"paused_us", func(l *Lead) any { return l.Paused.Total.Microseconds() }},
	{"paused_us_at_activity", func(l *Lead) any { return l.Paused.AtActivity.Microseconds() }},
	{"paused_us_at_status", func(l *Lead) any { return l.Paused.AtStatus.Microseconds() }},
}

// queueUpdateLead adds the update of l to b; out receives the row written.
// It sets only the columns whose value differs from the row lockLead read
// (all of them for a lead not read so), so a status change sends a status,
// not a whole row. The SQL is built from the constant column names only.
func queueUpdateLead(b *pgx.Batch, l *Lead, out *Lead) {
	args := []any{l.ID, l.UpdatedAt, l.UpdatedBy}
	set := `version = version + 1, updated_at = $2, updated_by = $3`
	for _, c := range updateColumns {
		v := c.field(l)
		if l.stored != nil && reflect.DeepEqual(v, c.field(l.stored)) {
			continue
		}
		args = append(args, v)
		set += fmt.Sprintf(", %s = $%d", c.name, len(args))
	}
	b.Queue(`UPDATE leads SET `+set+` WHERE id = $1 RETURNING `+leadColumns, args...).QueryRow(scanInto(out))
}

// knownUsers returns which of ids are recorded users with access to
// territory. Users the caller may not see count as unknown.
func knownUsers(ctx context.Context, tx pgx.Tx, ids []string, territory string) (map[string]bool, error) {
	rows, err := tx.Query(ctx, `SELECT id FROM users WHERE id = ANY($1)
		AND roles && '{SALES,MANAGER,ADMIN}' AND ($2 = ANY (territories) OR 'ADMIN' = ANY (roles))`, ids, territory)
	if err != nil {
		return nil, fmt.Errorf("lead: known users: %w", err)
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("lead: known users: %w", err)
	}
	out := make(map[string]bool, len(found))
	for _, id := range found {
		out[id] = true
	}
	return out, nil
}

const activityColumns = `id, lead_id, type, occurred_at, description, outcome, user_id`

func queueActivity(b *pgx.Batch, a *Activity, now time.Time) {
	b.Queue(`INSERT INTO activities (`+activityColumns+`, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		a.ID, a.LeadID, a.Type, a.OccurredAt, a.Description, a.Outcome, a.UserID, now)
}

func listActivities(ctx context.Context, tx pgx.Tx, leadID uuid.UUID, limit, offset int) ([]Activity, int, error) {
	var total int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM activities WHERE lead_id = $1`, leadID).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("lead: count activities: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT `+activityColumns+` FROM activities WHERE lead_id = $1
		ORDER BY occurred_at DESC, seq DESC LIMIT $2 OFFSET $3`, leadID, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("lead: list activities: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Activity, error) {
		var a Activity
		err := r.Scan(&a.ID, &a.LeadID, &a.Type, &a.OccurredAt, &a.Description, &a.Outcome, &a.UserID)
		a.OccurredAt = a.OccurredAt.UTC()
		a.Meaningful = IsMeaningful(a.Type)
		return a, err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("lead: list activities: %w", err)
	}
	return list, total, nil
}

func queueAudit(b *pgx.Batch, at time.Time, actor, action string, l *Lead, details map[string]any) {
	b.Queue(`INSERT INTO audit_log (occurred_at, actor, action, lead_id, territory, details)
		VALUES ($1, $2, $3, $4, $5, $6)`, at, actor, action, l.ID, l.Territory, details)
}

// listFilter is the list's WHERE. $2 and $5 restate in the query what
// row-level security decides anyway — the one territory read, and for a
// rep (when $5 is set) their own and collaborating leads — because a
// policy's quals are no index conditions: named here, the planner reads
// the territory's index in order, or a rep's few leads (lead_rep_leads,
// migration 00012, through the owner and collaborator indexes, then by id:
// as an array, since joined as a set the planner, blind to its size,
// filtered the territory's walk with it), instead of filtering every row of
// the scope. $4 is a search's ILIKE pattern, only for a walk in the list's
// order (see listLeads).
const listFilter = `FROM leads WHERE ($1::text IS NULL AND deleted_at IS NULL OR status = $1)
	AND ($2::text IS NULL OR territory = $2) AND ($3::text IS NULL OR owner_user_id = $3)
	AND ($4::text IS NULL OR company_name ILIKE $4 OR contact_person ILIKE $4 OR email ILIKE $4 OR city ILIKE $4)
	AND ($5::text IS NULL OR id = ANY (ARRAY(SELECT lead_rep_leads())))`

// searchSQL finds a search's matches through lead_search (migration
// 00011: index-driven, as the functions' owner, with the caller's scope
// applied explicitly): their number, up to MaxTotal + 1, and the first $6
// of their ids, newest first.
const searchSQL = `SELECT count(*)::int, coalesce((array_agg(lead_id ORDER BY created_at DESC, lead_id DESC))[1:$6], '{}')
	FROM lead_search($1, $2, $3, $4, $5)`

// keyset is the condition of the rows after a cursor, from the sort
// column's constant name only, and its arguments (numbered from arg, after
// the filter's), for NULLs after or before the values.
func keyset(c sortColumn, desc bool, value any, id uuid.UUID, arg int) (string, []any) {
	op := ">"
	if desc {
		op = "<"
	}
	v, i := fmt.Sprintf("$%d", arg), fmt.Sprintf("$%d", arg+1)
	after := ` AND (` + c.column + `, id) ` + op + ` (` + v + `, ` + i + `)`
	switch {
	case !c.nullable:
		return after, []any{value, id}
	case c.nullsAfter(desc) && value == nil:
		return ` AND ` + c.column + ` IS NULL AND id ` + op + ` ` + v, []any{id}
	case c.nullsAfter(desc):
		return ` AND ((` + c.column + `, id) ` + op + ` (` + v + `, ` + i + `) OR ` + c.column + ` IS NULL)`, []any{value, id}
	case value == nil:
		return ` AND (` + c.column + ` IS NULL AND id ` + op + ` ` + v + ` OR ` + c.column + ` IS NOT NULL)`, []any{id}
	}
	return after, []any{value, id}
}

// listStatements are the list's two statements: the bounded count and the
// page (one more row than asked, to know whether a next page exists). The
// count reads in the page's order: the same index serves both, and it
// stops after MaxTotal + 1 rows. With ids, the page is read from those
// leads only (a search's matches) and the filter's pattern is left out.
func listStatements(q ListQuery, sc listScope, after *cursor, afterValue any, ids []uuid.UUID) (countSQL string, countArgs []any, pageSQL string, pageArgs []any) {
	col := sortColumns[q.Sort]
	countArgs = []any{q.Status, sc.territory, q.Owner, likePattern(q.Q), sc.rep}
	where, pageArgs := listFilter, slices.Clone(countArgs)
	if ids != nil {
		pageArgs[3] = nil
		where, pageArgs = where+` AND id = ANY ($6)`, append(pageArgs, ids)
	}
	if after != nil {
		cond, more := keyset(col, q.Desc, afterValue, after.ID, len(pageArgs)+1)
		where, pageArgs = where+cond, append(pageArgs, more...)
	}
	n := len(pageArgs)
	order := col.order(q.Desc)
	countSQL = `SELECT count(*) FROM (SELECT 1 ` + listFilter + ` ORDER BY ` + order + ` LIMIT ` + fmt.Sprint(MaxTotal+1) + `) c`
	pageSQL = `SELECT ` + leadColumns + ` ` + where + ` ORDER BY ` + order + fmt.Sprintf(` LIMIT $%d OFFSET $%d`, n+1, n+2)
	return countSQL, countArgs, pageSQL, append(pageArgs, q.Size+1, q.Page*q.Size)
}

// search counts q's matches (up to MaxTotal + 1) through lead_search and
// returns the ids the page may be read from; nil when the page must walk
// the list's order instead (see listLeads).
func search(ctx context.Context, tx pgx.Tx, q ListQuery, after *cursor) (int, []uuid.UUID, error) {
	var total int
	var ids []uuid.UUID
	var status *string
	if q.Status != nil {
		s := string(*q.Status)
		status = &s
	}
	// Newest first is the search's own order: then the page is among its
	// first leads (page × size ≤ MaxTotal), and only those are needed.
	newest := q.Sort == "createdAt" && q.Desc && after == nil
	want := MaxTotal + 1
	if newest {
		want = (q.Page+1)*q.Size + 1
	}
	if err := tx.QueryRow(ctx, searchSQL, q.Q, status, q.Territory, q.Owner, MaxTotal+1, want).Scan(&total, &ids); err != nil {
		return 0, nil, fmt.Errorf("lead: search: %w", err)
	}
	if newest || total <= MaxTotal {
		if ids == nil {
			ids = []uuid.UUID{} // no match: the page reads no lead
		}
		return total, ids, nil
	}
	return total, nil, nil
}

// listLeads reads one page and the total up to MaxTotal: in one round trip,
// or in two for a search. A search counts and finds its matches through
// lead_search; the page is read from them when they are all there (at
// most MaxTotal), or when they are the page (the newest first). Otherwise
// more than MaxTotal leads match, so the text is common and the page walks
// the list's order with the pattern as a filter: it finds a page's leads
// after reading about size / share of them.
func listLeads(ctx context.Context, tx pgx.Tx, q ListQuery, sc listScope, after *cursor, afterValue any) (*ListPage, error) {
	page := &ListPage{Leads: []Lead{}}
	var ids []uuid.UUID
	if q.Q != nil {
		var err error
		if page.Total, ids, err = search(ctx, tx, q, after); err != nil {
			return nil, err
		}
	}
	countSQL, countArgs, pageSQL, pageArgs := listStatements(q, sc, after, afterValue, ids)
	b := &pgx.Batch{}
	if q.Q == nil {
		b.Queue(countSQL, countArgs...).QueryRow(func(r pgx.Row) error { return r.Scan(&page.Total) })
	}
	b.Queue(pageSQL, pageArgs...).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			l, err := scanLead(rows)
			if err != nil {
				return err
			}
			page.Leads = append(page.Leads, *l)
		}
		return rows.Err()
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("lead: list: %w", err)
	}
	page.TotalExact = page.Total <= MaxTotal
	page.Total = min(page.Total, MaxTotal)
	if len(page.Leads) > q.Size {
		page.Leads = page.Leads[:q.Size]
		last := &page.Leads[q.Size-1]
		value, _ := json.Marshal(leadSortValue(q.Sort, last))
		page.Next = cursor{Sort: q.Sort, Desc: q.Desc, Value: value, ID: last.ID}.encode()
	}
	return page, nil
}
