//go:build e2e

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/config"
)

// proxy forwards loopback connections to PostgreSQL until it is cut: then
// it closes what it holds and every new connection at once, as a network
// partition between a replica and the database would.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	conns  map[net.Conn]bool
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { _ = ln.Close(); p.setCut(true) })
	go p.serve()
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.forward(c)
	}
}

func (p *proxy) forward(c net.Conn) {
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = c.Close()
		return
	}
	if !p.hold(c, server) {
		_ = c.Close()
		_ = server.Close()
		return
	}
	go func() { _, _ = io.Copy(server, c); _ = server.Close() }()
	_, _ = io.Copy(c, server)
	_ = c.Close()
}

// hold registers a connection pair unless the proxy is cut.
func (p *proxy) hold(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		return false
	}
	for _, c := range conns {
		p.conns[c] = true
	}
	return true
}

func (p *proxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for c := range p.conns {
			_ = c.Close()
		}
		clear(p.conns)
	}
}

// alertStates are the states of the alerts Prometheus holds, by name.
func alertStates(t *testing.T, base string) map[string]string {
	t.Helper()
	res, err := http.Get(base + "/api/v1/alerts")
	if err != nil {
		return nil // not up yet
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil // up, not ready yet: "Service Unavailable"
	}
	var out struct {
		Data struct {
			Alerts []struct {
				Labels map[string]string `json:"labels"`
				State  string            `json:"state"`
			} `json:"alerts"`
		} `json:"data"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
	states := map[string]string{}
	for _, a := range out.Data.Alerts {
		states[a.Labels["alertname"]] = a.State
	}
	return states
}

// TestE2EAlertsGoPendingForRealFailures puts a test instance of the
// service into failing states for real, with the shipped alert rules
// loaded into the real prometheus: its LISTEN connection goes through a
// loopback proxy that is cut for several scrapes (a killed backend
// reconnects faster than a scrape), and the SMTP relay is down while the
// follow-up mails of a backdated lead wait in the outbox, backdated past
// 15 minutes. EventListenerDisconnected and MailOutboxStale go pending
// (their for: is not waited out), and the listener's alert ends when the
// proxy lets it through again.
func TestE2EAlertsGoPendingForRealFailures(t *testing.T) {
	t.Parallel()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	smtpPort := closed.Addr().(*net.TCPAddr).Port
	require.NoError(t, closed.Close())

	var p *proxy
	h := newHarness(t, func(c *config.Config) {
		u, err := url.Parse(c.DatabaseURL)
		require.NoError(t, err)
		p = newProxy(t, u.Host)
		u.Host = p.addr()
		c.ListenDatabaseURL = u.String()
		c.SMTP.Host, c.SMTP.Port = "127.0.0.1", smtpPort
	})
	rules, err := filepath.Abs(filepath.Join("..", "..", "deploy", "prometheus", "freshplan-alerts.yml"))
	require.NoError(t, err)
	prom := startPrometheus(t, h.srv.URL, rules)

	waitFor := func(what string, cond func() bool) {
		t.Helper()
		h.until(t, func() (bool, string) { return cond(), fmt.Sprintf("%s; alerts %v", what, alertStates(t, prom)) })
	}
	waitFor("a scrape with the listener connected", func() bool {
		v, ok := promValue(t, prom, `freshplan_listener_connected`)
		return ok && v == 1
	})
	require.Empty(t, alertStates(t, prom), "a healthy service raises no alert")

	// Follow-ups due at once, their mails undeliverable.
	tok := h.token(t, "manager.de", "MANAGER", "DE")
	h.dueLead(t, tok)
	waitFor("both follow-up mails in the outbox", func() bool {
		var n int
		require.NoError(t, h.db.Pool.QueryRow(h.ctx, `SELECT count(*) FROM mail_outbox WHERE state = 'PENDING'`).Scan(&n))
		return n == 2
	})
	h.db.Exec(t, `UPDATE mail_outbox SET created_at = created_at - interval '20 minutes'`)

	p.setCut(true)
	waitFor("the listener down for two scrapes and both alerts pending", func() bool {
		// Scrapes that saw it down: its samples are 0 or 1.
		down, _ := promValue(t, prom, `count_over_time(freshplan_listener_connected[1m]) - sum_over_time(freshplan_listener_connected[1m])`)
		s := alertStates(t, prom)
		return down >= 2 && s["EventListenerDisconnected"] == "pending" && s["MailOutboxStale"] == "pending"
	})
	stale, _ := promValue(t, prom, `max(freshplan_mail_outbox_oldest_pending_seconds)`)
	require.Greater(t, stale, 900.0)

	p.setCut(false)
	waitFor("the listener's alert to end after it reconnected", func() bool {
		_, listening := alertStates(t, prom)["EventListenerDisconnected"]
		v, _ := promValue(t, prom, `freshplan_listener_connected`)
		return !listening && v == 1
	})
	require.Equal(t, "pending", alertStates(t, prom)["MailOutboxStale"], "the mails still wait")
}
