package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/freshplan/leads/internal/config"
	"github.com/freshplan/leads/internal/event"
)

// events administers the event pipeline: list parked events, replay a
// shared consumer from an outbox id.
func events(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, out io.Writer) error {
	a, err := parseEventsArgs(args)
	if err != nil {
		return err
	}
	pool, err := connect(ctx, cfg, log, false)
	if err != nil {
		return err
	}
	defer pool.Close()
	if a.action == "parked" {
		list, err := event.ListParked(ctx, pool)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	n, err := event.Replay(ctx, pool, a.consumer, a.from)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "consumer %s goes on from outbox id %d; %d processed keys cleared\n", a.consumer, a.from, n)
	return err
}

type eventsArgs struct {
	action   string // parked or replay
	consumer string
	from     int64
}

// parseEventsArgs checks the arguments before anything connects: the
// action comes first, so "events --help" has none and only prints usage.
func parseEventsArgs(args []string) (eventsArgs, error) {
	fs := newFlagSet("events", "events parked | events replay --consumer NAME --from ID\n\n"+
		"parked lists the events a consumer gave up on (JSON); replay makes a shared consumer\n"+
		"process the outbox again from an id.")
	var a eventsArgs
	fs.StringVar(&a.consumer, "consumer", "", "shared consumer name (replay)")
	fs.Int64Var(&a.from, "from", 0, "first outbox id to process again (replay)")
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		a.action, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return a, err
	}
	switch {
	case a.action == "replay" && (a.consumer == "" || a.from < 1):
		return a, errors.New("events replay: --consumer and --from (>= 1) are required")
	case a.action != "parked" && a.action != "replay":
		return a, fmt.Errorf("events: unknown action %q: use parked | replay --consumer NAME --from ID", a.action)
	}
	return a, nil
}
