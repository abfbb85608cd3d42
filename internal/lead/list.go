package lead

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/freshplan/leads/internal/auth"
)

// MaxTotal is as far as the list counts, and as deep as page × size may
// reach: a pager needs no exact count of a million rows, and an offset that
// deep costs what it skips. Deeper walks go by keyset (ListQuery.After).
const MaxTotal = 10_000

// ListQuery filters, sorts and pages the lead list.
type ListQuery struct {
	Status    *Status
	Territory *string
	Owner     *string
	Q         *string
	Sort      string
	Desc      bool
	Page      int
	Size      int
	// After is the Next of a previous page: the list goes on after that
	// lead, in the same sort, however deep.
	After string
}

// ListPage is one page of the lead list.
type ListPage struct {
	Leads      []Lead
	Total      int  // exact up to MaxTotal, else MaxTotal
	TotalExact bool // Total is the exact count
	Next       string
}

// sortColumn is a sortable field: its column, whether it may be NULL,
// and where NULLs stand. Only these constant fragments ever reach the SQL
// text.
type sortColumn struct {
	column   string
	nullable bool
	// nullsLow sorts NULL below every value (a lead never contacted is the
	// least recently contacted); otherwise above (PostgreSQL's default: a
	// lead without a city comes after every city). Either way one index
	// serves both directions.
	nullsLow bool
}

// nullsAfter reports whether NULLs come after the values in this direction.
func (c sortColumn) nullsAfter(desc bool) bool { return c.nullable && desc == c.nullsLow }

// order is the ORDER BY of the column in a direction, ties broken by id.
func (c sortColumn) order(desc bool) string {
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	switch {
	case !c.nullable:
		return c.column + dir + ", id" + dir
	case c.nullsAfter(desc):
		return c.column + dir + " NULLS LAST, id" + dir
	}
	return c.column + dir + " NULLS FIRST, id" + dir
}

// sortColumns are the sortable fields of SPEC §2: each is served by an
// index, with the territory and without, and none is written by a status
// change (an index on such a column would make every status change a
// non-HOT update).
var sortColumns = map[string]sortColumn{
	"createdAt":      {column: "created_at"},
	"registeredAt":   {column: "registered_at"},
	"lastActivityAt": {column: "last_activity_at", nullable: true, nullsLow: true},
	"companyName":    {column: "company_name"},
	"city":           {column: "city", nullable: true},
}

// SortFields are the fields the list may be sorted by.
func SortFields() []string {
	keys := make([]string, 0, len(sortColumns))
	for k := range sortColumns {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// cursor is where a keyset page ends: the sort, the last lead's sort
// value (nil for NULL) and its id.
type cursor struct {
	Sort  string          `json:"s"`
	Desc  bool            `json:"d,omitempty"`
	Value json.RawMessage `json:"v"`
	ID    uuid.UUID       `json:"id"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func invalidAfter(msg string) error {
	return &ValidationError{Fields: []FieldError{{Field: "after", Message: msg}}}
}

// decodeCursor reads an After for q's sort; a cursor of another sort, or
// one the service did not write, is a validation error.
func decodeCursor(q ListQuery) (*cursor, any, error) {
	raw, err := base64.RawURLEncoding.DecodeString(q.After)
	var c cursor
	if err != nil || len(raw) > 1024 || json.Unmarshal(raw, &c) != nil || c.ID == uuid.Nil {
		return nil, nil, invalidAfter("must be the next of a previous page")
	}
	if c.Sort != q.Sort || c.Desc != q.Desc {
		return nil, nil, invalidAfter("belongs to another sort; repeat that page's sort")
	}
	value, err := sortValue(q.Sort, c.Value)
	if err != nil {
		return nil, nil, invalidAfter("must be the next of a previous page")
	}
	return &c, value, nil
}

// sortValue reads a cursor's value as the sort column's type.
func sortValue(sort string, raw json.RawMessage) (any, error) {
	if string(raw) == "null" || len(raw) == 0 {
		if !sortColumns[sort].nullable {
			return nil, fmt.Errorf("lead: null value for %s", sort)
		}
		return nil, nil
	}
	switch sort {
	case "createdAt", "registeredAt", "lastActivityAt":
		var t time.Time
		err := json.Unmarshal(raw, &t)
		return t, err
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

// leadSortValue is l's value of the sort field, for its cursor.
func leadSortValue(sort string, l *Lead) any {
	switch sort {
	case "createdAt":
		return l.CreatedAt
	case "registeredAt":
		return l.RegisteredAt
	case "lastActivityAt":
		return l.LastActivityAt
	case "companyName":
		return l.CompanyName
	}
	return l.City
}

// validate checks what the SQL relies on.
func (q ListQuery) validate() error {
	v := &ValidationError{}
	if _, ok := sortColumns[q.Sort]; !ok {
		v.add("sort", "must be one of %s", strings.Join(SortFields(), ", "))
	}
	if q.After != "" && q.Page > 0 {
		v.add("page", "must be 0 with after: after already says where the page starts")
	}
	if q.Page*q.Size > MaxTotal {
		v.add("after", "page × size may not exceed %d; walk further with after=<next of the previous page>", MaxTotal)
	}
	return v.orNil()
}

// List returns one page of the leads the caller may see, with their total
// counted up to MaxTotal.
func (s *Service) List(ctx context.Context, p auth.Principal, q ListQuery) (*ListPage, error) {
	if err := q.validate(); err != nil {
		return nil, err
	}
	var after *cursor
	var afterValue any
	if q.After != "" {
		var err error
		if after, afterValue, err = decodeCursor(q); err != nil {
			return nil, err
		}
	}
	var page *ListPage
	err := s.inTx(ctx, p, func(tx pgx.Tx) (err error) {
		page, err = listLeads(ctx, tx, q, scopeOf(p, q), after, afterValue)
		return err
	})
	return page, err
}

// listScope is what the list names of the caller's scope in its query.
type listScope struct {
	territory *string // the one territory read, if there is one
	rep       *string // a SALES caller: their own and collaborating leads
}

// scopeOf is p's scope for q. Row-level security decides visibility
// either way; naming the scope in the query lets the planner use indexes.
func scopeOf(p auth.Principal, q ListQuery) listScope {
	var sc listScope
	switch {
	case q.Territory != nil:
		sc.territory = q.Territory
	case p.Role() != auth.RoleAdmin && len(p.Territories) == 1:
		sc.territory = &p.Territories[0]
	}
	if p.Role() == auth.RoleSales {
		sc.rep = &p.UserID
	}
	return sc
}

// likePattern turns a search text into an ILIKE pattern that matches it
// literally anywhere.
func likePattern(q *string) *string {
	if q == nil {
		return nil
	}
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	p := "%" + r.Replace(*q) + "%"
	return &p
}
