package loadtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/metric"
)

// Pipeline measures the production path: lead.Service.Update in each
// writer, the Publisher's after-commit relay, and a Bus with one local
// consumer, all in this process as in a replica.
func Pipeline(ctx context.Context, opts Options) (Result, error) {
	if err := opts.defaults(); err != nil {
		return Result{}, err
	}
	tr := newTracer()
	pool, err := openPool(ctx, opts, tr)
	if err != nil {
		return Result{}, err
	}
	defer pool.Close()
	leads, err := fixture(ctx, pool, opts.Leads)
	if err != nil {
		return Result{}, err
	}
	h := newHarness("pipeline", opts)

	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	metrics := metric.New()
	pub := event.NewPublisher(pool, metrics, opts.Log, false)
	relayDone := make(chan struct{})
	go func() {
		defer close(relayDone)
		pub.RunRelay(rctx)
	}()
	bus := event.NewBus(event.Config{ConnString: opts.URL, ApplicationName: "freshplan-loadtest-" + randomHex(4)},
		pool, metrics, opts.Log)
	bus.Local("loadtest", func(_ context.Context, d event.Delivered) error {
		h.handle(d.Envelope.ID, time.Now())
		return nil
	})
	busDone := make(chan error, 1)
	go func() { busDone <- bus.Run(rctx) }()
	defer func() {
		cancel()
		<-busDone
		<-relayDone
	}()
	select {
	case <-bus.Reconnected:
	case err := <-busDone:
		busDone <- err
		return Result{}, fmt.Errorf("loadtest: bus stopped before it connected: %v", err)
	case <-time.After(30 * time.Second):
		return Result{}, fmt.Errorf("loadtest: bus did not connect within 30 s")
	}
	probe, err := newProbe(ctx, pool, tr)
	if err != nil {
		return Result{}, fmt.Errorf("loadtest: probe: %w", err)
	}

	// One Service per writer, each with a clock the writer sets: the
	// command's time is the writer's start time, so the writer knows the
	// event id (leadId|old|new|changedAt) before the transaction.
	clocks := make([]time.Time, opts.Writers)
	services := make([]*lead.Service, opts.Writers)
	for w := range services {
		services[w] = lead.NewService(pool, pub, metrics, func() time.Time { return clocks[w] }, opts.Log)
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
