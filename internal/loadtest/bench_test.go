package loadtest_test

import (
	"bytes"
	"context"
	"flag"
	"strconv"
	"testing"
	"time"

	"github.com/freshplan/leads/internal/loadtest"
	"github.com/freshplan/leads/internal/postgres/pgtest"
)

type runFunc func(context.Context, loadtest.Options) (loadtest.Result, error)

// benchDuration is the measurement window of a benchmark: -benchtime when
// it is a duration, else 10 s.
func benchDuration() time.Duration {
	if f := flag.Lookup("test.benchtime"); f != nil {
		if d, err := time.ParseDuration(f.Value.String()); err == nil && d > 0 {
			return d
		}
	}
	return 10 * time.Second
}

func BenchmarkPipeline(b *testing.B) { benchDesign(b, loadtest.Pipeline) }

func BenchmarkNaive(b *testing.B) { benchDesign(b, loadtest.Naive) }

// BenchmarkPipelined measures the prototype of the two-round-trip status
// change (see loadtest.Pipelined).
func BenchmarkPipelined(b *testing.B) { benchDesign(b, loadtest.Pipelined) }

// BenchmarkPipelinedCoalesced adds the prototype of a coalescing relay
// (see loadtest.PipelinedCoalesced).
func BenchmarkPipelinedCoalesced(b *testing.B) { benchDesign(b, loadtest.PipelinedCoalesced) }

// benchDesign runs the design as fast as possible and at 1,000 events/s,
// each on a fresh database, and reports events/s and latency percentiles.
func benchDesign(b *testing.B, run runFunc) {
	for _, rate := range []int{0, 1000} {
		name := "rate=max"
		if rate > 0 {
			name = "rate=" + strconv.Itoa(rate)
		}
		b.Run(name, func(b *testing.B) {
			db := pgtest.New(b)
			// Time-driven: one run of -benchtime whatever b.N is (the first
			// call, with b.N = 1, already lasts longer than -benchtime).
			r, err := run(b.Context(), loadtest.Options{URL: db.URL, Writers: 8, Rate: rate, Leads: 2000,
				Duration: benchDuration(), Drain: 15 * time.Second})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(1e9/max(r.PerSecond, 1e-9), "ns/op") // one op is one event
			b.ReportMetric(r.PerSecond, "events/s")
			b.ReportMetric(ms(r.P50), "p50-ms")
			b.ReportMetric(ms(r.P95), "p95-ms")
			b.ReportMetric(ms(r.P99), "p99-ms")
			b.ReportMetric(r.RoundTrips, "roundtrips/event")
			var buf bytes.Buffer
			loadtest.Report(&buf, r)
			b.Log("\n" + buf.String())
			check(b, r)
		})
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// check fails a run that lost or failed events (after its figures were
// printed): the delivery contract is part of what is measured.
func check(t testing.TB, r loadtest.Result) {
	t.Helper()
	if r.Errors > 0 || r.Lost > 0 {
		t.Errorf("%s at %d/s: %d errors, %d of %d committed events never handled (first error: %q, lost: %v)",
			r.Design, r.TargetRate, r.Errors, r.Lost, r.Committed, r.FirstError, r.LostIDs)
	} else if r.Events == 0 || r.Events != r.Committed {
		t.Errorf("%s at %d/s: %d events handled of %d committed", r.Design, r.TargetRate, r.Events, r.Committed)
	}
}

// TestSmoke runs both designs briefly with few writers: the harness
// matches every committed event to its handling, loses none, and measures.
func TestSmoke(t *testing.T) {
	for _, x := range []struct {
		name string
		run  runFunc
	}{{"pipeline", loadtest.Pipeline}, {"naive", loadtest.Naive}, {"pipelined", loadtest.Pipelined}, {"pipelined+coalesced", loadtest.PipelinedCoalesced}} {
		t.Run(x.name, func(t *testing.T) {
			db := pgtest.New(t)
			r, err := x.run(t.Context(), loadtest.Options{URL: db.URL, Writers: 2, Leads: 20, Rate: 200,
				Warmup: 100 * time.Millisecond, Duration: 500 * time.Millisecond, Drain: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			check(t, r)
			if t.Failed() {
				return
			}
			if r.Design != x.name || r.P50 <= 0 || r.P95 < r.P50 || r.Max < r.P99 || r.RoundTrips < 2 {
				t.Fatalf("implausible result: %+v", r)
			}
			var buf bytes.Buffer
			loadtest.Report(&buf, r)
			if !bytes.Contains(buf.Bytes(), []byte(`"design": "`+x.name+`"`)) {
				t.Fatalf("report lacks the JSON of the run:\n%s", buf.String())
			}
		})
	}
}
