package mail

import (
	"context"
	"net"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Health reports the follow-up mailer for readiness: whether the relay
// answers and how many mails wait. It never makes a replica unready: an
// SMTP outage must not take every replica out of service while the mails
// wait in the outbox.
type Health struct {
	pool  *pgxpool.Pool
	relay string // host:port; "" with the development sink or no relay
	mode  string // "smtp", "dev-sink" or "none"
}

// NewHealth reports on the relay at host:port (host "" for none), or on
// the development sink when sink is true.
func NewHealth(pool *pgxpool.Pool, host string, port int, sink bool) *Health {
	h := &Health{pool: pool, mode: "none"}
	switch {
	case host != "":
		h.relay, h.mode = net.JoinHostPort(host, strconv.Itoa(port)), "smtp"
	case sink:
		h.mode = "dev-sink"
	}
	return h
}

// Check is the data of the followup-mailer check.
func (h *Health) Check(ctx context.Context) map[string]any {
	data := map[string]any{"relay": h.mode}
	if h.relay != "" {
		d := net.Dialer{Timeout: time.Second}
		conn, err := d.DialContext(ctx, "tcp", h.relay)
		data["relayReachable"] = err == nil
		if err == nil {
			_ = conn.Close()
		}
	}
	pending, oldest, err := backlog(ctx, h.pool)
	if err != nil {
		data["backlog"] = "unknown"
	} else {
		data["pending"], data["oldestPendingSeconds"] = pending, int64(oldest.Seconds())
	}
	return data
}
