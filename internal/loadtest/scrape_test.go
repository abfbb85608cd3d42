package loadtest

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"
)

func parseScrape(t *testing.T, text string) scrape {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	f, err := p.TextToMetricFamilies(strings.NewReader(text))
	require.NoError(t, err)
	return f
}

// TestHistogramDeltaInterpolatesLikePrometheus: what a histogram recorded
// between two scrapes, summed over its other labels, as histogram_quantile
// would report it; a path the match leaves out does not count.
func TestHistogramDeltaInterpolatesLikePrometheus(t *testing.T) {
	const head = "# TYPE h histogram\n"
	before := parseScrape(t, head+`h_bucket{path="a",event_type="x",le="10"} 5
h_bucket{path="a",event_type="x",le="100"} 5
h_bucket{path="a",event_type="x",le="+Inf"} 5
h_sum{path="a",event_type="x"} 10
h_count{path="a",event_type="x"} 5
`)
	after := parseScrape(t, head+`h_bucket{path="a",event_type="x",le="10"} 55
h_bucket{path="a",event_type="x",le="100"} 95
h_bucket{path="a",event_type="x",le="+Inf"} 105
h_sum{path="a",event_type="x"} 3000
h_count{path="a",event_type="x"} 105
h_bucket{path="a",event_type="y",le="10"} 0
h_bucket{path="a",event_type="y",le="100"} 0
h_bucket{path="a",event_type="y",le="+Inf"} 0
h_sum{path="a",event_type="y"} 0
h_count{path="a",event_type="y"} 0
h_bucket{path="b",event_type="x",le="10"} 1000
h_bucket{path="b",event_type="x",le="100"} 1000
h_bucket{path="b",event_type="x",le="+Inf"} 1000
h_sum{path="b",event_type="x"} 10
h_count{path="b",event_type="x"} 1000
`)
	got := histogramDelta(before, after, "h", map[string]string{"path": "a"})
	// 100 new: 50 up to 10, 40 in (10, 100], 10 above 100.
	require.Equal(t, 100, got.Count)
	require.Equal(t, 10*time.Millisecond, got.P50, "the 50th of 100 is the top of the first bucket")
	require.Equal(t, 100*time.Millisecond, got.P95, "the rank above the last finite bucket reports its bound")
	require.Equal(t, 100*time.Millisecond, got.P99)
	require.Zero(t, histogramDelta(before, before, "h", map[string]string{"path": "a"}).Count, "nothing recorded")
	require.Zero(t, after.sum("h_missing", nil), "a metric that is not there sums to 0")
}
