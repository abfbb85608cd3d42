package metric_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/metric"
)

func TestCollectorRunsEveryProbeDespiteFailures(t *testing.T) {
	var ran []string
	probe := func(name string, err error) metric.Probe {
		return func(context.Context) error { ran = append(ran, name); return err }
	}
	c := metric.NewCollector(time.Second, slog.New(slog.DiscardHandler),
		probe("a", errors.New("database down")), probe("b", nil))
	c.Collect(t.Context())
	require.Equal(t, []string{"a", "b"}, ran)
}
