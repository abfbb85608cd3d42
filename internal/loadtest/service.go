package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// The scenarios of freshplan bench against a service over HTTP.
const (
	Burst  = "burst"  // creates and status changes at a rate (seeds: 200–400 events/s for 5 minutes)
	Soak   = "soak"   // a sustained rate, memory and goroutines sampled over time
	Max    = "max"    // the highest rate that keeps end-to-end p95 in budget and loses nothing
	Widget = "widget" // widget, list and search reads mixed with the writes
)

// ServiceOptions drive one run against a running service.
type ServiceOptions struct {
	BaseURL string
	Writer  string // token of a MANAGER of DE: creates leads and changes their status
	Watcher string // token of an ADMIN: the live stream that receives every event
	// Readers are the callers whose widget, list and search reads the
	// widget scenario mixes in (name → token).
	Readers map[string]string
	// Rate is iterations per second, open loop: an iteration starts on its
	// schedule whether or not the earlier ones finished.
	Rate int
	// Mix is what an iteration writes: "create+status" (a lead created,
	// then moved REGISTERED → ACTIVE: two events) or "status" (one of a
	// pool of leads toggled between ACTIVE and REMINDER: one event).
	Mix      string
	Duration time.Duration
	// ReadRate is the widget scenario's reads per second.
	ReadRate int
	// MaxInFlight bounds the iterations running at once (default 1,000):
	// past it the service is overloaded, and more would only exhaust the
	// generator's sockets.
	MaxInFlight int
	Sample      time.Duration // how often memory and goroutines are read (default 10 s)
	Drain       time.Duration // the longest wait for the stream after the writes (default 30 s)
	Client      *http.Client
}

// Latency is one distribution.
type Latency struct {
	Count         int
	P50, P95, P99 time.Duration
	Max           time.Duration
}

// MarshalJSON writes the durations in milliseconds.
func (l Latency) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{"count": l.Count, "p50Ms": ms(l.P50), "p95Ms": ms(l.P95), "p99Ms": ms(l.P99), "maxMs": ms(l.Max)})
}

func latencyOf(h *hdrhistogram.Histogram) Latency {
	return Latency{Count: int(h.TotalCount()), P50: usOf(h, 50), P95: usOf(h, 95), P99: usOf(h, 99),
		Max: time.Duration(h.Max()) * time.Microsecond}
}

// Sample is the service's memory and goroutines at a moment of the run.
type Sample struct {
	Seconds    float64 `json:"seconds"`
	RSSBytes   float64 `json:"rssBytes"`
	HeapBytes  float64 `json:"heapInuseBytes"`
	Goroutines float64 `json:"goroutines"`
}

// ServiceResult is what one run measured.
type ServiceResult struct {
	Scenario  string  `json:"scenario"`
	Mix       string  `json:"mix"`
	Rate      int     `json:"rate"`
	Seconds   float64 `json:"seconds"`
	Scheduled int     `json:"scheduled"` // iterations the schedule started
	Completed int     `json:"completed"` // iterations whose requests all succeeded
	Failed    int     `json:"failed"`
	// Achieved is completed iterations per second of the window; Events
	// per second counts the events they committed.
	Achieved        float64 `json:"achievedPerSecond"`
	EventsPerSecond float64 `json:"eventsPerSecond"`
	FirstError      string  `json:"firstError,omitempty"`
	// StartDelay is how late the load generator started iterations against
	// their schedule (a generator that falls behind hides the server's
	// slowness).
	StartDelay Latency            `json:"startDelay"`
	Endpoints  map[string]Latency `json:"endpoints"`
	// EndToEnd runs from an event's time (set in its transaction) to its
	// receipt on the watcher's live stream, on this host's clock.
	EndToEnd Latency `json:"endToEnd"`
	// PublishNotify and NotifyProcess are the service's own histograms
	// over the run, interpolated within their buckets.
	PublishNotify Latency `json:"publishNotify"`
	NotifyProcess Latency `json:"notifyProcess"`
	// Committed events (confirmed by the API), received on the stream
	// (each once), received twice, and never received after the drain.
	Committed  int `json:"committed"`
	Received   int `json:"received"`
	Duplicates int `json:"duplicates"`
	Lost       int `json:"lost"`
	// Reconnects counts the watcher's stream resumed after the service
	// closed it (a client that fell behind); Redelivered the events a
	// resume brought again.
	Reconnects  int `json:"reconnects"`
	Redelivered int `json:"redelivered"`
	// Dropped counts iterations the schedule could not start because
	// MaxInFlight were still running: the service fell that far behind.
	Dropped int `json:"dropped"`
	// The consumers' counts against the outbox, from the service's
	// counters over the run: every published event is consumed once by
	// each local consumer (cache and stream) and each lead event once by
	// the aggregator.
	Published         float64  `json:"published"`
	PublishedLead     float64  `json:"publishedLead"`
	Consumed          float64  `json:"consumed"`
	ConsumedExpected  float64  `json:"consumedExpected"`
	ConsumedDuplicate float64  `json:"consumedDuplicate"`
	ConsumedFailed    float64  `json:"consumedFailed"`
	BacklogAfter      float64  `json:"backlogAfter"` // outbox lag at the end
	DrainSeconds      float64  `json:"drainSeconds"` // from the last write until the stream had every event
	Samples           []Sample `json:"samples"`
}

// ExactlyOnce says whether every committed event reached the stream once
// and the consumers' counts match the outbox.
func (r ServiceResult) ExactlyOnce() bool {
	return r.Lost == 0 && r.Duplicates == 0 && r.ConsumedFailed == 0 && r.ConsumedDuplicate == 0 &&
		r.Consumed == r.ConsumedExpected && r.Received == r.Committed
}

// RunService runs one scenario at one rate.
func RunService(ctx context.Context, scenario string, o ServiceOptions) (ServiceResult, error) {
	if o.Rate < 1 || o.Duration <= 0 || o.Writer == "" || o.Watcher == "" {
		return ServiceResult{}, errors.New("loadtest: a rate, a duration, a writer and a watcher are required")
	}
	if o.Mix == "" {
		o.Mix = "create+status"
	}
	if o.Sample <= 0 {
		o.Sample = 10 * time.Second
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = 1000
	}
	if o.Drain <= 0 {
		o.Drain = 30 * time.Second
	}
	if o.Client == nil {
		o.Client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4096, MaxConnsPerHost: 0}, Timeout: time.Minute}
	}
	r := &run{o: o, res: ServiceResult{Scenario: scenario, Mix: o.Mix, Rate: o.Rate, Endpoints: map[string]Latency{}},
		hist: map[string]*hdrhistogram.Histogram{}, waiting: map[string]bool{}, early: map[string]bool{}, seen: map[string]bool{},
		e2e: hdrhistogram.New(1, 600_000_000, 3), delay: hdrhistogram.New(1, 600_000_000, 3)}
	var pool *leadPool
	if o.Mix == "status" {
		var err error
		if pool, err = r.preparePool(ctx, max(o.Rate, 100)); err != nil {
			return ServiceResult{}, err
		}
	}
	sctx, stopStream := context.WithCancel(ctx)
	defer stopStream()
	streamDone, err := r.watch(sctx)
	if err != nil {
		return ServiceResult{}, err
	}
	before, err := r.quiet(ctx)
	if err != nil {
		return ServiceResult{}, err
	}
	began := time.Now()
	sampled := r.sample(sctx, began)
	if scenario == Widget {
		go r.read(sctx, began.Add(o.Duration))
	}
	r.schedule(ctx, began, pool)
	wrote := time.Now()
	r.res.Seconds = wrote.Sub(began).Seconds()
	r.drain(ctx, wrote)
	after, err := r.settled(ctx, before, wrote)
	if err != nil {
		return ServiceResult{}, err
	}
	stopStream()
	<-streamDone
	r.res.Samples = <-sampled
	r.finish(before, after)
	return r.res, nil
}
