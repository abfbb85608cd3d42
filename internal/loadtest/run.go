package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// run is one scenario's state.
type run struct {
	o         ServiceOptions
	res       ServiceResult
	mu        sync.Mutex
	hist      map[string]*hdrhistogram.Histogram // per endpoint
	e2e       *hdrhistogram.Histogram
	delay     *hdrhistogram.Histogram
	waiting   map[string]bool // committed events (lead|type) the stream has not brought yet
	early     map[string]bool // events the stream brought before the API confirmed them
	seen      map[string]bool // event ids received
	received  atomic.Int64
	committed atomic.Int64
	completed atomic.Int64
	failed    atomic.Int64
}

// schedule starts an iteration at each point of a fixed schedule until
// the duration is over, and waits for them.
func (r *run) schedule(ctx context.Context, began time.Time, pool *leadPool) {
	var wg sync.WaitGroup
	slots := make(chan struct{}, r.o.MaxInFlight)
	interval := time.Second / time.Duration(r.o.Rate)
	n := int(r.o.Duration / interval)
	for i := range n {
		at := began.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			select {
			case <-ctx.Done():
				wg.Wait()
				return
			case <-time.After(d):
			}
		}
		r.mu.Lock()
		_ = r.delay.RecordValue(max(time.Since(at).Microseconds(), 1))
		r.mu.Unlock()
		r.res.Scheduled++
		select {
		case slots <- struct{}{}:
		default:
			r.res.Dropped++
			continue
		}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			var err error
			if pool != nil {
				err = r.toggle(ctx, pool)
			} else {
				err = r.createAndActivate(ctx, i)
			}
			if err != nil {
				r.fail(err)
				return
			}
			r.completed.Add(1)
		}()
	}
	wg.Wait()
}

func (r *run) fail(err error) {
	if r.failed.Add(1) == 1 {
		r.mu.Lock()
		r.res.FirstError = err.Error()
		r.mu.Unlock()
	}
}

// request sends one request, records its latency under name (unless
// name is "") and checks its status.
func (r *run) request(ctx context.Context, name, token, method, path string, body, into any, want int, header ...map[string]string) error {
	start := time.Now()
	status, err := call(ctx, r.o.Client, r.o.BaseURL, token, method, path, body, into, header...)
	elapsed := time.Since(start)
	if err == nil && status != want {
		err = fmt.Errorf("%s %s: status %d, want %d", method, path, status, want)
	}
	if err != nil || name == "" {
		return err
	}
	r.mu.Lock()
	h := r.hist[name]
	if h == nil {
		h = hdrhistogram.New(1, 600_000_000, 3)
		r.hist[name] = h
	}
	_ = h.RecordValue(max(elapsed.Microseconds(), 1))
	r.mu.Unlock()
	return nil
}

// committedEvent notes an event the API confirmed, to be matched on the
// stream.
func (r *run) committedEvent(lead, typ string) {
	r.committed.Add(1)
	key := lead + "|" + typ
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.early[key] {
		delete(r.early, key)
		r.received.Add(1)
		return
	}
	r.waiting[key] = true
}

type leadRef struct {
	ID      string `json:"id"`
	Version int    `json:"version"`
	Status  string `json:"status"`
}

func (r *run) createAndActivate(ctx context.Context, i int) error {
	_, err := r.newActiveLead(ctx, fmt.Sprintf("Lastbetrieb %d-%d", time.Now().UnixNano(), i), true)
	return err
}

// newActiveLead creates a lead named name and moves it REGISTERED →
// ACTIVE; measured, the two requests count in the endpoints' latencies
// and their events are awaited on the stream.
func (r *run) newActiveLead(ctx context.Context, name string, measured bool) (leadRef, error) {
	create, activate := "", ""
	if measured {
		create, activate = "create", "status"
	}
	var l leadRef
	if err := r.request(ctx, create, r.o.Writer, "POST", "/api/leads", map[string]any{"companyName": name,
		"city": "Laststadt " + name, "countryCode": "DE"}, &l, http.StatusCreated); err != nil {
		return l, err
	}
	if measured {
		r.committedEvent(l.ID, "lead.created")
	}
	if err := r.request(ctx, activate, r.o.Writer, "PATCH", "/api/leads/"+l.ID, map[string]any{"status": "ACTIVE"}, &l,
		http.StatusOK, map[string]string{"If-Match": fmt.Sprintf(`"%d"`, l.Version)}); err != nil {
		return l, err
	}
	if measured {
		r.committedEvent(l.ID, "lead.status_changed")
	}
	return l, nil
}

// watch reads the watcher's stream until ctx ends, matching every lead
// event against the committed ones.
func (r *run) watch(ctx context.Context) (<-chan struct{}, error) {
	done, opened, failed := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		defer close(done)
		// A stream the service closes (a client that fell behind) is
		// resumed from its last event, as a browser's EventSource does. It
		// has no request timeout: it lasts the run.
		client := *r.o.Client
		client.Timeout = 0
		lastID, open := "", false
		for attempt := 0; ctx.Err() == nil; attempt++ {
			if attempt > 0 {
				r.mu.Lock()
				r.res.Reconnects++
				r.mu.Unlock()
			}
			err := resumeStream(ctx, &client, r.o.BaseURL, r.o.Watcher, lastID, func() {
				if !open {
					open = true
					close(opened)
				}
			}, func(name, data, id string, at time.Time) {
				if id != "" {
					lastID = id
				}
				r.event(name, data, at)
			})
			if !open {
				failed <- err
				return
			}
			if err != nil && ctx.Err() == nil {
				select { // the service is away: try again shortly
				case <-ctx.Done():
				case <-time.After(100 * time.Millisecond):
				}
			}
		}
	}()
	select {
	case <-opened:
		return done, nil
	case err := <-failed:
		return nil, fmt.Errorf("loadtest: the watcher's stream did not open: %w", err)
	}
}

// event matches one event of the watcher's stream against the committed
// ones.
func (r *run) event(name, data string, at time.Time) {
	if name != "lead-event" {
		return
	}
	var ev struct {
		ID, Type, Subject string
		Time              time.Time
	}
	if json.Unmarshal([]byte(data), &ev) != nil || !strings.HasPrefix(ev.Type, "lead.") {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen[ev.ID] {
		// A resumed stream reads the rest of its last page again (at least
		// once); without a resume, a repeat is a duplicate.
		if r.res.Reconnects > 0 {
			r.res.Redelivered++
		} else {
			r.res.Duplicates++
		}
		return
	}
	r.seen[ev.ID] = true
	_ = r.e2e.RecordValue(max(at.Sub(ev.Time).Microseconds(), 1))
	key := ev.Subject + "|" + ev.Type
	if r.waiting[key] {
		delete(r.waiting, key)
		r.received.Add(1)
	} else {
		// The stream can be faster than the API's answer.
		r.early[key] = true
	}
}

// drain waits until the stream received every committed event, or the
// drain time is over.
func (r *run) drain(ctx context.Context, wrote time.Time) {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(r.o.Drain)
	for {
		r.mu.Lock()
		open := len(r.waiting)
		r.mu.Unlock()
		if open == 0 {
			r.res.DrainSeconds = time.Since(wrote).Seconds()
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-deadline:
			r.res.DrainSeconds = time.Since(wrote).Seconds()
			return
		case <-tick.C:
		}
	}
}

// quiet waits until the service has consumed what was published before
// the run (the pool's leads, an earlier run's backlog): two scrapes 200 ms
// apart with the same counts. It returns the second.
func (r *run) quiet(ctx context.Context) (scrape, error) {
	s, err := scrapeMetrics(ctx, r.o.Client, r.o.BaseURL)
	if err != nil {
		return nil, err
	}
	published, _, consumed := r.counts(scrape{}, s)
	for deadline := time.Now().Add(r.o.Drain); ; {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if s, err = scrapeMetrics(ctx, r.o.Client, r.o.BaseURL); err != nil {
			return nil, err
		}
		p, _, c := r.counts(scrape{}, s)
		if (p == published && c == consumed) || time.Now().After(deadline) {
			return s, nil
		}
		published, consumed = p, c
	}
}

// settled scrapes the service until its consumers have consumed what was
// published during the run (the aggregator may trail the stream), or the
// drain time is over.
func (r *run) settled(ctx context.Context, before scrape, wrote time.Time) (scrape, error) {
	for {
		after, err := scrapeMetrics(ctx, r.o.Client, r.o.BaseURL)
		if err != nil {
			return nil, err
		}
		published, lead, consumed := r.counts(before, after)
		if consumed >= expectedConsumption(published, lead) || time.Since(wrote) > r.o.Drain {
			return after, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// counts are the events published (all, and of leads) and consumed
// successfully between two scrapes.
func (r *run) counts(before, after scrape) (published, lead, consumed float64) {
	published = after.since(before, "freshplan_events_published_total", map[string]string{"result": "success"})
	lead = published - after.since(before, "freshplan_events_published_total",
		map[string]string{"result": "success", "event_type": "cockpit.widget_changed"})
	consumed = after.since(before, "freshplan_events_consumed_total", map[string]string{"result": "success"})
	return published, lead, consumed
}

// expectedConsumption is how many consumptions the service's wiring makes
// of what was published: the aggregator takes each lead event once, the
// cache and stream consumers every event.
func expectedConsumption(published, lead float64) float64 { return lead + 2*published }

// sample reads the service's memory and goroutines every o.Sample, and
// once at the end.
func (r *run) sample(ctx context.Context, began time.Time) <-chan []Sample {
	out := make(chan []Sample, 1)
	go func() {
		var samples []Sample
		read := func() {
			s, err := scrapeMetrics(context.WithoutCancel(ctx), r.o.Client, r.o.BaseURL)
			if err == nil {
				samples = append(samples, Sample{Seconds: time.Since(began).Seconds(), RSSBytes: s.sum("process_resident_memory_bytes", nil),
					HeapBytes: s.sum("go_memstats_heap_inuse_bytes", nil), Goroutines: s.sum("go_goroutines", nil)})
			}
		}
		read()
		tick := time.NewTicker(r.o.Sample)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				read()
				out <- samples
				return
			case <-tick.C:
				read()
			}
		}
	}()
	return out
}

// finish fills the result from the run's state and the two scrapes.
func (r *run) finish(before, after scrape) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for name, h := range r.hist {
		r.res.Endpoints[name] = latencyOf(h)
	}
	r.res.StartDelay = latencyOf(r.delay)
	r.res.EndToEnd = latencyOf(r.e2e)
	r.res.Completed, r.res.Failed = int(r.completed.Load()), int(r.failed.Load())
	r.res.Committed, r.res.Received = int(r.committed.Load()), int(r.received.Load())
	r.res.Lost = len(r.waiting)
	if r.res.Seconds > 0 {
		r.res.Achieved = float64(r.res.Completed) / r.res.Seconds
		r.res.EventsPerSecond = float64(r.res.Committed) / r.res.Seconds
	}
	r.res.Published, r.res.PublishedLead, r.res.Consumed = r.counts(before, after)
	r.res.ConsumedExpected = expectedConsumption(r.res.Published, r.res.PublishedLead)
	r.res.ConsumedDuplicate = after.since(before, "freshplan_events_consumed_total", map[string]string{"result": "duplicate"})
	r.res.ConsumedFailed = after.since(before, "freshplan_events_consumed_total", map[string]string{"result": "failure"})
	r.res.BacklogAfter = after.sum("freshplan_outbox_lag_events", nil)
	r.res.PublishNotify = histogramDelta(before, after, "freshplan_event_latency_ms", map[string]string{"path": "publish_notify"})
	r.res.NotifyProcess = histogramDelta(before, after, "freshplan_event_latency_ms", map[string]string{"path": "notify_process"})
}
