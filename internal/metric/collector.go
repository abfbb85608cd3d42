package metric

import (
	"context"
	"log/slog"
	"time"
)

// Probe refreshes gauges that need a query or a look at in-memory state.
type Probe func(ctx context.Context) error

// Collector polls its probes: the gauges are as fresh as the interval, and
// a scrape never waits on the database.
type Collector struct {
	every  time.Duration
	log    *slog.Logger
	probes []Probe
}

// NewCollector returns a Collector that runs probes every interval.
func NewCollector(every time.Duration, log *slog.Logger, probes ...Probe) *Collector {
	return &Collector{every: every, log: log, probes: probes}
}

// Collect runs every probe once; a failing probe leaves its gauges as they
// were and does not stop the others.
func (c *Collector) Collect(ctx context.Context) {
	for _, p := range c.probes {
		pctx, cancel := context.WithTimeout(ctx, c.every)
		if err := p(pctx); err != nil && ctx.Err() == nil {
			c.log.WarnContext(ctx, "metric probe failed", "error", err)
		}
		cancel()
	}
}

// Run collects now and then every interval until ctx ends.
func (c *Collector) Run(ctx context.Context) {
	t := time.NewTicker(c.every)
	defer t.Stop()
	for {
		c.Collect(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
