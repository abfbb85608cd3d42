package loadtest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// StreamOptions drive Streams: many open cockpit streams against a
// running service while a writer commits events at a fixed rate.
type StreamOptions struct {
	BaseURL  string
	Reps     []string // tokens of the SALES users, each watching their own leads
	Watchers []string // tokens of users who see everything (ADMIN)
	Writer   string   // the token the writer records activities with (ADMIN)
	Rate     int      // activities per second
	Duration time.Duration
	Client   *http.Client
}

// StreamResult is what the streams received.
type StreamResult struct {
	Streams       int
	Written       int           // activities committed while measuring
	Expected      int           // deliveries the visibility rule asks for
	Delivered     int           // lead events received, each counted per stream
	Late          int           // deliveries more than 1 s after the event's time
	P50, P95, P99 time.Duration // event time to receipt
	Max           time.Duration
	WidgetPushes  int           // widget updates received, all streams
	MaxWidgets    int           // the most widget updates one stream received
	Window        time.Duration // how long the streams were measured
	MinWidgetGap  time.Duration // the shortest time between two widget updates of one stream, as received
	// Fresh is, for each activity a rep's stream got, the time from the
	// event's time to the first widget of that rep listing it among the
	// recent activities; Stale counts those no widget listed in the end.
	Fresh              int
	Stale              int
	FreshP50, FreshP95 time.Duration
	FreshP99, FreshMax time.Duration
}

type streamState struct {
	widgets    int
	lastWidget time.Time
	minGap     time.Duration        // 0 until a stream has had two updates
	waiting    map[string]time.Time // activity id → its event's time, until a widget lists it
	listed     map[string]time.Time // activity id → the widget that listed it first
}

// Streams gives every rep a lead, opens their streams and the watchers',
// then records activities on random reps' leads at the rate for the
// duration, and measures how the events reach the streams.
func Streams(ctx context.Context, o StreamOptions) (StreamResult, error) {
	if len(o.Reps) == 0 || o.Rate < 1 {
		return StreamResult{}, fmt.Errorf("loadtest: streams need at least one rep and a rate")
	}
	client := o.Client
	if client == nil {
		client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2000}}
	}
	leads := make([]string, len(o.Reps))
	for i, tok := range o.Reps {
		var l struct{ ID string }
		status, err := call(ctx, client, o.BaseURL, tok, "POST", "/api/leads",
			map[string]any{"companyName": fmt.Sprintf("Streambetrieb %d-%d", time.Now().UnixNano(), i),
				"city": fmt.Sprintf("Streamstadt %d", i), "countryCode": "DE"}, &l)
		if err != nil || status != http.StatusCreated {
			return StreamResult{}, fmt.Errorf("loadtest: lead of rep %d: status %d: %v", i, status, err)
		}
		leads[i] = l.ID
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	h := hdrhistogram.New(1, 60_000_000, 3)
	fresh := hdrhistogram.New(1, 60_000_000, 3)
	var mu sync.Mutex
	var delivered, late, widgets atomic.Int64
	var measuring atomic.Bool
	states := make([]*streamState, 0, len(o.Reps)+len(o.Watchers))
	var opened sync.WaitGroup
	var done sync.WaitGroup
	for i, tok := range append(append([]string{}, o.Reps...), o.Watchers...) {
		rep := i < len(o.Reps)
		st := &streamState{waiting: map[string]time.Time{}, listed: map[string]time.Time{}}
		states = append(states, st)
		opened.Add(1)
		done.Add(1)
		ready := sync.OnceFunc(opened.Done)
		go func() {
			defer done.Done()
			defer ready() // a stream that could not open delivers nothing, and holds nobody up
			_ = readStream(sctx, client, o.BaseURL, tok, ready, func(name, data string, at time.Time) {
				if !measuring.Load() {
					return
				}
				switch name {
				case "lead-widget":
					var w struct {
						RecentActivities []struct {
							ActivityID string `json:"activityId"`
						} `json:"recentActivities"`
					}
					_ = json.Unmarshal([]byte(data), &w)
					mu.Lock()
					st.widget(at)
					for _, a := range w.RecentActivities {
						st.list(a.ActivityID, at, fresh)
					}
					mu.Unlock()
					widgets.Add(1)
				case "lead-event":
					var ev struct {
						Type string `json:"type"`
						Time string `json:"time"`
						Data struct {
							ActivityID string `json:"activityId"`
						} `json:"data"`
					}
					if json.Unmarshal([]byte(data), &ev) != nil || ev.Type != "lead.activity_added" {
						return
					}
					t, err := time.Parse(time.RFC3339Nano, ev.Time)
					if err != nil {
						return
					}
					d := at.Sub(t)
					delivered.Add(1)
					if d > time.Second {
						late.Add(1)
					}
					mu.Lock()
					_ = h.RecordValue(max(d.Microseconds(), 1))
					if rep {
						st.activity(ev.Data.ActivityID, t, fresh)
					}
					mu.Unlock()
				}
			})
		}()
	}
	opened.Wait()
	measuring.Store(true)
	began := time.Now()
	written := write(sctx, client, o, leads)
	// Let the last second's events arrive.
	select {
	case <-time.After(2 * time.Second):
	case <-ctx.Done():
	}
	measuring.Store(false)
	window := time.Since(began)
	stop()
	done.Wait()

	res := StreamResult{Streams: len(states), Written: written, Expected: written * (1 + len(o.Watchers)),
		Delivered: int(delivered.Load()), Late: int(late.Load()), WidgetPushes: int(widgets.Load()), Window: window}
	res.P50, res.P95, res.P99, res.Max = usOf(h, 50), usOf(h, 95), usOf(h, 99), time.Duration(h.Max())*time.Microsecond
	res.Fresh = int(fresh.TotalCount())
	res.FreshP50, res.FreshP95, res.FreshP99 = usOf(fresh, 50), usOf(fresh, 95), usOf(fresh, 99)
	res.FreshMax = time.Duration(fresh.Max()) * time.Microsecond
	for _, st := range states {
		res.Stale += len(st.waiting)
		res.MaxWidgets = max(res.MaxWidgets, st.widgets)
		if st.minGap > 0 && (res.MinWidgetGap == 0 || st.minGap < res.MinWidgetGap) {
			res.MinWidgetGap = st.minGap
		}
	}
	return res, nil
}

func usOf(h *hdrhistogram.Histogram, q float64) time.Duration {
	return time.Duration(h.ValueAtQuantile(q)) * time.Microsecond
}

// activity notes an activity event of the rep's lead, measured at once
// when a widget listed it already.
func (st *streamState) activity(id string, at time.Time, fresh *hdrhistogram.Histogram) {
	if listed, ok := st.listed[id]; ok {
		_ = fresh.RecordValue(max(listed.Sub(at).Microseconds(), 1))
		delete(st.listed, id)
		return
	}
	st.waiting[id] = at
}

// list notes a widget listing activity id.
func (st *streamState) list(id string, at time.Time, fresh *hdrhistogram.Histogram) {
	if t, ok := st.waiting[id]; ok {
		_ = fresh.RecordValue(max(at.Sub(t).Microseconds(), 1))
		delete(st.waiting, id)
	} else if _, ok := st.listed[id]; !ok {
		st.listed[id] = at
	}
}

// widget notes an update's arrival and keeps the shortest gap so far.
func (st *streamState) widget(at time.Time) {
	st.widgets++
	if !st.lastWidget.IsZero() {
		if gap := at.Sub(st.lastWidget); st.minGap == 0 || gap < st.minGap {
			st.minGap = gap
		}
	}
	st.lastWidget = at
}

// write records activities on random reps' leads at o.Rate for
// o.Duration, several in flight at once, and returns how many committed.
func write(ctx context.Context, client *http.Client, o StreamOptions, leads []string) int {
	var written atomic.Int64
	tick := time.NewTicker(time.Second / time.Duration(o.Rate))
	defer tick.Stop()
	end := time.After(o.Duration)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return int(written.Load())
		case <-end:
			wg.Wait()
			return int(written.Load())
		case <-tick.C:
		}
		id := leads[rand.IntN(len(leads))]
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			status, err := call(ctx, client, o.BaseURL, o.Writer, "POST", "/api/leads/"+id+"/activities",
				map[string]any{"type": "NOTE", "description": "Notiz"}, nil)
			if err == nil && status == http.StatusCreated {
				written.Add(1)
			}
		}()
	}
}

// readStream reads one stream until ctx ends, calling on for each event
// with the time it arrived; opened is marked when the stream answered.
func readStream(ctx context.Context, client *http.Client, base, token string, opened func(),
	on func(name, data string, at time.Time)) error {
	return resumeStream(ctx, client, base, token, "", opened, func(name, data, _ string, at time.Time) { on(name, data, at) })
}

// resumeStream reads one stream from after lastID (the start when empty),
// passing each event's id too.
func resumeStream(ctx context.Context, client *http.Client, base, token, lastID string, opened func(),
	on func(name, data, id string, at time.Time)) error {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/api/cockpit/stream", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("stream: status %d", res.StatusCode)
	}
	opened()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var name, data, id string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if name != "" {
				on(name, data, id, time.Now())
			}
			name, data, id = "", "", ""
		case strings.HasPrefix(line, "event: "):
			name = line[7:]
		case strings.HasPrefix(line, "data: "):
			data = line[6:]
		case strings.HasPrefix(line, "id: "):
			id = line[4:]
		}
	}
	return sc.Err()
}

// ReportStreams prints the result as a line of figures and as JSON.
func ReportStreams(w io.Writer, r StreamResult) {
	fmt.Fprintf(w, "streams %d, activities written %d, deliveries %d of %d expected, later than 1 s %d\n",
		r.Streams, r.Written, r.Delivered, r.Expected, r.Late)
	fmt.Fprintf(w, "event time to receipt: p50 %s, p95 %s, p99 %s, max %s\n", r.P50, r.P95, r.P99, r.Max)
	fmt.Fprintf(w, "widget updates %d, at most %d to one stream in %s; shortest gap between two updates of one stream as received: %s\n",
		r.WidgetPushes, r.MaxWidgets, r.Window.Round(time.Millisecond), r.MinWidgetGap)
	fmt.Fprintf(w, "event time to the rep's widget listing the activity: %d listed, %d never; p50 %s, p95 %s, p99 %s, max %s\n",
		r.Fresh, r.Stale, r.FreshP50, r.FreshP95, r.FreshP99, r.FreshMax)
	_ = json.NewEncoder(w).Encode(r)
}
