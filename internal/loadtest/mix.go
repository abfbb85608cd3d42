package loadtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"
)

// leadPool holds leads of the writer's, each taken by one status change
// at a time, so that no two changes race for one version.
type leadPool struct{ free chan leadRef }

// preparePool creates n leads and moves each to ACTIVE, several at a time.
func (r *run) preparePool(ctx context.Context, n int) (*leadPool, error) {
	p := &leadPool{free: make(chan leadRef, n)}
	errs := make(chan error, n)
	sem := make(chan struct{}, 16)
	for i := range n {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			l, err := r.newActiveLead(ctx, fmt.Sprintf("Poolbetrieb %d-%d", time.Now().UnixNano(), i), false)
			if err != nil {
				errs <- err
				return
			}
			p.free <- l
			errs <- nil
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			return nil, fmt.Errorf("loadtest: lead pool: %w", err)
		}
	}
	return p, nil
}

// toggle moves a lead of the pool between ACTIVE and REMINDER (both
// directions are legal for a MANAGER) and puts it back.
func (r *run) toggle(ctx context.Context, p *leadPool) error {
	var l leadRef
	select {
	case l = <-p.free:
	case <-ctx.Done():
		return ctx.Err()
	}
	next := map[string]string{"ACTIVE": "REMINDER", "REMINDER": "ACTIVE"}[l.Status]
	var changed leadRef
	err := r.request(ctx, "status", r.o.Writer, "PATCH", "/api/leads/"+l.ID, map[string]any{"status": next}, &changed,
		http.StatusOK, map[string]string{"If-Match": fmt.Sprintf(`"%d"`, l.Version)})
	if err != nil {
		p.free <- l // its version is unknown now: the next change on it fails too and says so
		return err
	}
	r.committedEvent(l.ID, "lead.status_changed")
	p.free <- changed
	return nil
}

// read mixes widget (cached and afresh), list and search reads of the
// readers into the writes at the read rate until end.
func (r *run) read(ctx context.Context, end time.Time) {
	if r.o.ReadRate < 1 || len(r.o.Readers) == 0 {
		return
	}
	tokens := make([]string, 0, len(r.o.Readers))
	for _, t := range r.o.Readers {
		tokens = append(tokens, t)
	}
	reads := []struct {
		name, path string
		header     map[string]string
	}{
		{"widget", "/api/cockpit/lead-widget", nil},
		{"widget-fresh", "/api/cockpit/lead-widget", map[string]string{"Cache-Control": "no-cache"}},
		{"list", "/api/leads?" + url.Values{"status": {"ACTIVE"}, "sort": {"createdAt,desc"}, "size": {"20"}}.Encode(), nil},
		{"search", "/api/leads?" + url.Values{"q": {"linde"}, "size": {"20"}}.Encode(), nil},
	}
	tick := time.NewTicker(time.Second / time.Duration(r.o.ReadRate))
	defer tick.Stop()
	for i := 0; time.Now().Before(end); i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		rd, tok := reads[i%len(reads)], tokens[rand.IntN(len(tokens))]
		go func() {
			if err := r.request(ctx, rd.name, tok, "GET", rd.path, nil, nil, http.StatusOK, rd.header); err != nil && ctx.Err() == nil {
				r.fail(err)
			}
		}()
	}
}
