// Package protection runs the lead protection automation (SPEC §2): a
// daily River job, inserted by River's elected leader, that walks the
// leads and moves those whose deadline passed, and the notices that tell
// an owner their lead entered REMINDER or GRACE_PERIOD, written into the
// mail outbox in the transition's transaction.
package protection

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/mail"
	"github.com/freshplan/leads/internal/territory"
)

var (
	//go:embed templates/notice.txt
	noticeText string
	//go:embed templates/notice.html
	noticeHTML string

	textTemplate = texttemplate.Must(texttemplate.New("notice.txt").Parse(noticeText))
	htmlTemplate = htmltemplate.Must(htmltemplate.New("notice.html").Parse(noticeHTML))
)

// Notifier writes owners' notices into the mail outbox.
type Notifier struct {
	territories *territory.Registry
	baseURL     string // the service's public URL, for the link to the lead
}

// NewNotifier returns a Notifier linking to leads under baseURL.
func NewNotifier(territories *territory.Registry, baseURL string) *Notifier {
	return &Notifier{territories: territories, baseURL: strings.TrimRight(baseURL, "/")}
}

// MessageID is the Message-ID of the notice of l's move to status at:
// the same whenever it is written or sent again.
func MessageID(l *lead.Lead, status lead.Status, at time.Time) string {
	return fmt.Sprintf("<protection.%s.%s.%d@leads.freshplan>", status, l.ID, at.UnixMicro())
}

// Notify queues the notice of l, which has just moved to REMINDER or
// GRACE_PERIOD at now, to its owner's address in the user directory. It
// reports false, queuing nothing, for an owner without an address.
func (n *Notifier) Notify(ctx context.Context, tx pgx.Tx, l *lead.Lead, now time.Time) (bool, error) {
	var name, email string
	err := tx.QueryRow(ctx, `SELECT name, email FROM users WHERE id = $1`, l.OwnerUserID).Scan(&name, &email)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && email == "") {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("protection: owner: %w", err)
	}
	loc, err := n.territories.Location(l.Territory)
	if err != nil {
		return false, fmt.Errorf("protection: %w", err)
	}
	subject, text, html, err := n.render(l, name, loc)
	if err != nil {
		return false, err
	}
	b := &pgx.Batch{}
	mail.Queue(b, mail.Message{MessageID: MessageID(l, l.Status, now), LeadID: &l.ID, Territory: l.Territory,
		Recipient: email, Subject: subject, Text: text, HTML: html}, now)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return false, fmt.Errorf("protection: queue notice: %w", err)
	}
	return true, nil
}

type noticeData struct {
	Owner, Company, City, Link, Next, End, Subject string
	Grace                                          bool
	ReminderAfterDays                              int
}

// render writes the notice of l's current status, with its next deadline.
func (n *Notifier) render(l *lead.Lead, owner string, loc *time.Location) (subject, text, html string, err error) {
	_, next, _ := lead.NextProtection(l, loc)
	d := noticeData{Owner: owner, Company: l.CompanyName, City: deref(l.City), Link: n.baseURL + "/leads/" + l.ID.String(),
		Next: date(next, loc), End: date(lead.ProtectionEnd(l, loc), loc), Grace: l.Status == lead.StatusGracePeriod,
		ReminderAfterDays: lead.ReminderAfterDays}
	if d.Owner == "" {
		d.Owner = l.OwnerUserID
	}
	var tb bytes.Buffer
	if err := textTemplate.Execute(&tb, d); err != nil {
		return "", "", "", fmt.Errorf("protection: render: %w", err)
	}
	first, body, _ := strings.Cut(tb.String(), "\n")
	d.Subject = strings.TrimPrefix(first, "Subject: ")
	var hb bytes.Buffer
	if err := htmlTemplate.Execute(&hb, d); err != nil {
		return "", "", "", fmt.Errorf("protection: render: %w", err)
	}
	return d.Subject, body, hb.String(), nil
}

// date is the day t falls on in loc, as the German-speaking territories
// write it. The deadline is the start of that day: the step happens on it.
func date(t time.Time, loc *time.Location) string { return t.In(loc).Format("02.01.2006") }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
