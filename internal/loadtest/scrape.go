package loadtest

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"sort"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape is one reading of the service's /q/metrics.
type scrape map[string]*dto.MetricFamily

func scrapeMetrics(ctx context.Context, client *http.Client, base string) (scrape, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/q/metrics", nil)
	if err != nil {
		return nil, err
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("loadtest: metrics: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("loadtest: metrics: status %d (the harness reads the service's own histograms)", res.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		return nil, fmt.Errorf("loadtest: metrics: %w", err)
	}
	return families, nil
}

// sum adds the values of a counter's or gauge's series whose labels
// include every pair of match.
func (s scrape) sum(name string, match map[string]string) float64 {
	f := s[name]
	if f == nil {
		return 0
	}
	total := 0.0
	for _, m := range f.Metric {
		if !matches(m, match) {
			continue
		}
		switch {
		case m.Counter != nil:
			total += m.Counter.GetValue()
		case m.Gauge != nil:
			total += m.Gauge.GetValue()
		case m.Untyped != nil:
			total += m.Untyped.GetValue()
		}
	}
	return total
}

// since is how much a counter grew from before to s.
func (s scrape) since(before scrape, name string, match map[string]string) float64 {
	return s.sum(name, match) - before.sum(name, match)
}

// buckets adds a histogram's cumulative bucket counts by upper bound over
// the series whose labels include match.
func (s scrape) buckets(name string, match map[string]string) map[float64]float64 {
	out := map[float64]float64{}
	f := s[name]
	if f == nil {
		return out
	}
	for _, m := range f.Metric {
		if m.Histogram == nil || !matches(m, match) {
			continue
		}
		inf := false
		for _, b := range m.Histogram.Bucket {
			out[b.GetUpperBound()] += float64(b.GetCumulativeCount())
			inf = inf || math.IsInf(b.GetUpperBound(), 1)
		}
		if !inf {
			out[math.Inf(1)] += float64(m.Histogram.GetSampleCount())
		}
	}
	return out
}

func matches(m *dto.Metric, match map[string]string) bool {
	n := 0
	for _, l := range m.Label {
		if v, ok := match[l.GetName()]; ok {
			if v != l.GetValue() {
				return false
			}
			n++
		}
	}
	return n == len(match)
}

// histogramDelta is what a histogram recorded between two scrapes, as
// quantiles interpolated within its buckets the way Prometheus's
// histogram_quantile does: the service's buckets bound their precision.
func histogramDelta(before, after scrape, name string, match map[string]string) Latency {
	b, a := before.buckets(name, match), after.buckets(name, match)
	bounds := make([]float64, 0, len(a))
	for le := range a {
		bounds = append(bounds, le)
	}
	sort.Float64s(bounds)
	counts := make([]float64, len(bounds))
	for i, le := range bounds {
		counts[i] = a[le] - b[le]
	}
	if len(counts) == 0 || counts[len(counts)-1] <= 0 {
		return Latency{}
	}
	total := counts[len(counts)-1]
	q := func(q float64) float64 {
		rank := q * total
		lower, below := 0.0, 0.0
		for i, le := range bounds {
			if counts[i] >= rank {
				if math.IsInf(le, 1) {
					return lower // above the last bucket: its lower bound, as histogram_quantile
				}
				return lower + (le-lower)*(rank-below)/(counts[i]-below)
			}
			lower, below = le, counts[i]
		}
		return lower
	}
	return Latency{Count: int(total), P50: fromMs(q(0.50)), P95: fromMs(q(0.95)), P99: fromMs(q(0.99))}
}

func fromMs(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }
