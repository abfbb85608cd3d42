package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/freshplan/leads/internal/config"
	"github.com/freshplan/leads/internal/event"
)

// events administers the event pipeline: list parked events, replay a
// shared consumer from an outbox id.
func events(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("events: parked | replay --consumer NAME --from ID")
	}
	fs := flag.NewFlagSet("events "+args[0], flag.ContinueOnError)
	consumer := fs.String("consumer", "", "shared consumer name")
	from := fs.Int64("from", 0, "first outbox id to process again")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	pool, err := connect(ctx, cfg, log, false)
	if err != nil {
		return err
	}
	defer pool.Close()
	switch args[0] {
	case "parked":
		list, err := event.ListParked(ctx, pool)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	case "replay":
		if *consumer == "" || *from < 1 {
			return errors.New("events replay: --consumer and --from (>= 1) are required")
		}
		n, err := event.Replay(ctx, pool, *consumer, *from)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "consumer %s goes on from outbox id %d; %d processed keys cleared\n", *consumer, *from, n)
		return err
	}
	return fmt.Errorf("events: unknown action %q", args[0])
}
