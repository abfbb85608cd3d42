package loadtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/event/pgnotify"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/metric"
	"github.com/freshplan/leads/internal/territory"
)

// Pipeline measures the production path: lead.Service.Update in each
// writer, the Publisher's after-commit relay, and a Bus with one local
// consumer, all in this process as in a replica.
func Pipeline(ctx context.Context, opts Options) (Result, error) {
	pool, tr, leads, h, err := prepare(ctx, &opts, "pipeline")
	if err != nil {
		return Result{}, err
	}
	defer pool.Close()

	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	metrics := metric.New()
	pub := event.NewPublisher(pgnotify.NewRelay(pool), metrics, opts.Log, false, time.Now)
	relayDone := make(chan struct{})
	go func() {
		defer close(relayDone)
		pub.RunRelay(rctx)
	}()
	stopBus, err := startBus(rctx, opts, pool, metrics, h)
	if err != nil {
		return Result{}, err
	}
	defer func() {
		cancel()
		stopBus()
		<-relayDone
	}()
	probe, err := newProbe(ctx, pool, tr)
	if err != nil {
		return Result{}, fmt.Errorf("loadtest: probe: %w", err)
	}

	// One Service per writer, each with a clock the writer sets: the
	// command's time is the writer's start time, so the writer knows the
	// event id (leadId|old|new|changedAt) before the transaction.
	clocks := make([]time.Time, opts.Writers)
	services := make([]*lead.Service, opts.Writers)
	territories, err := territory.Load(ctx, pool)
	if err != nil {
		return Result{}, fmt.Errorf("loadtest: %w", err)
	}
	for w := range services {
		services[w] = lead.NewService(lead.Deps{Pool: pool, Publisher: pub, Metrics: metrics, Territories: territories,
			Now: func() time.Time { return clocks[w] }, Log: opts.Log})
	}
	p := manager()
	return h.run(ctx, leads, func(ctx context.Context, c change) error {
		clocks[c.writer] = c.at
		_, err := services[c.writer].Update(ctx, p, c.lead, lead.AnyVersion,
			lead.UpdateInput{Status: lead.Opt[lead.Status]{Set: true, V: c.to}})
		return err
	}, probe)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
