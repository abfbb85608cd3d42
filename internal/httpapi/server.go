// Package httpapi is the HTTP face of the service: routing, authentication,
// problem+json errors, the lead API, health and the OpenAPI document.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/cockpit"
	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/idempotency"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/metric"
	"github.com/freshplan/leads/internal/user"
	"github.com/freshplan/leads/internal/web"
)

// Deps is what the HTTP layer needs from the rest of the service, built
// in main: services, never the pool.
type Deps struct {
	Metrics     *metric.Set // nil: no /q/metrics
	Events      EventHealth // nil: no lead-event-handler check
	Mailer      MailHealth  // nil: no followup-mailer check
	Feed        *event.Feed
	Leads       *lead.Service
	Users       *user.Directory
	Idempotency *idempotency.Store
	Verifier    auth.Verifier
	DB          Pinger
	Log         *slog.Logger
	OpenAPI     []byte
	// DevMail, with dev auth and no SMTP relay, serves /dev/mail and
	// /dev/mail.json; nil: no such pages.
	DevMail DevMail
	// UnsubscribeSecret checks the signed tokens of /unsubscribe.
	UnsubscribeSecret []byte
	// Widgets serves the cockpit's lead widget; nil: the widget is off
	// (features.dashboard.lead-widget.enabled=false), its route 404.
	Widgets *cockpit.Cache
	// Stream feeds GET /api/cockpit/stream; nil: no stream.
	Stream *cockpit.Hub
	// Pages serves the browser's pages; nil: none.
	Pages *web.Site
}

// EventHealth reports the event listener for readiness.
type EventHealth interface {
	Health(ctx context.Context) (up bool, data map[string]any)
}

// MailHealth is the follow-up mailer's check: data only, never DOWN.
type MailHealth interface {
	Check(ctx context.Context) map[string]any
}

// Pinger answers whether the database is reachable.
type Pinger interface {
	Ping(ctx context.Context) error
}

type server struct {
	metrics  *metric.Set
	events   EventHealth
	mailer   MailHealth
	feed     *event.Feed
	leads    *lead.Service
	users    *user.Directory
	idem     *idempotency.Store
	verifier auth.Verifier
	db       Pinger
	log      *slog.Logger
	openapi  []byte
	devMail  DevMail
	// unsubscribeSecret checks the tokens of the unsubscribe links.
	unsubscribeSecret []byte
	widgets           *cockpit.Cache
	hub               *cockpit.Hub
}

// New returns the service's HTTP handler.
func New(d Deps) http.Handler {
	s := &server{metrics: d.Metrics, events: d.Events, mailer: d.Mailer, feed: d.Feed, leads: d.Leads, users: d.Users, idem: d.Idempotency,
		verifier: d.Verifier, db: d.DB, log: d.Log, openapi: d.OpenAPI, devMail: d.DevMail,
		unsubscribeSecret: d.UnsubscribeSecret, widgets: d.Widgets, hub: d.Stream}
	mux := http.NewServeMux()
	api := func(pattern string, h handlerFunc) { mux.HandleFunc(pattern, s.authenticate(s.handle(h))) }
	change := func(pattern string, h handlerFunc) {
		mux.HandleFunc(pattern, s.authenticate(s.idempotent(s.handle(h))))
	}
	change("POST /api/leads", s.createLead)
	api("GET /api/leads", s.listLeads)
	api("GET /api/leads/duplicates", s.duplicates)
	api("GET /api/leads/{id}", s.getLead)
	change("PATCH /api/leads/{id}", s.updateLead)
	change("DELETE /api/leads/{id}", s.deleteLead)
	change("PUT /api/leads/{id}/registered-at", s.backdateLead)
	change("POST /api/leads/{id}/activities", s.addActivity)
	api("GET /api/leads/{id}/activities", s.listActivities)
	api("GET /api/territories", s.territories)
	api("GET /api/events", s.listEvents)
	if d.Widgets != nil {
		api("GET /api/cockpit/lead-widget", s.leadWidget)
		api("DELETE /api/cockpit/lead-widget/cache", s.dropWidgets)
	}
	if d.Stream != nil {
		mux.HandleFunc("GET /api/cockpit/stream", s.authenticate(s.stream))
	}
	if d.Metrics != nil {
		metrics := promhttp.HandlerFor(d.Metrics.Registry, promhttp.HandlerOpts{})
		mux.Handle("GET /q/metrics", metrics)
		mux.Handle("GET /metrics", metrics)
	}
	mux.HandleFunc("GET /unsubscribe", s.unsubscribeForm)
	mux.HandleFunc("POST /unsubscribe", s.unsubscribe)
	if s.devMail != nil {
		mux.HandleFunc("GET /dev/mail", s.devMailHTML)
		mux.HandleFunc("GET /dev/mail.json", s.devMailJSON)
	}
	if d.Pages != nil {
		for _, pattern := range d.Pages.Patterns {
			mux.Handle(pattern, d.Pages)
		}
	}
	mux.HandleFunc("GET /q/health/live", s.live)
	mux.HandleFunc("GET /q/health/ready", s.ready)
	mux.HandleFunc("GET /q/openapi", s.serveOpenAPI)
	mux.Handle("GET /q/swagger-ui/", swaggerUI())
	mux.Handle("GET /q/swagger-ui", http.RedirectHandler("/q/swagger-ui/", http.StatusMovedPermanently))
	return requestID(s.logAndRecover(problemForUnrouted(mux)))
}

// problemForUnrouted answers requests no route matches (404, or 405 with
// Allow) as problem+json instead of the mux's plain text.
func problemForUnrouted(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		probe := &headerOnly{header: http.Header{}}
		mux.ServeHTTP(probe, r)
		if probe.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", probe.header.Get("Allow"))
			writeProblem(w, r, newProblem(http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed",
				"Allowed: "+probe.header.Get("Allow")+"."))
			return
		}
		writeProblem(w, r, newProblem(http.StatusNotFound, "not-found", "Not found", "No such resource."))
	})
}

// headerOnly records what the mux would answer, and discards the body.
type headerOnly struct {
	header http.Header
	status int
}

func (h *headerOnly) Header() http.Header         { return h.header }
func (h *headerOnly) Write(b []byte) (int, error) { return len(b), nil }
func (h *headerOnly) WriteHeader(code int)        { h.status = code }
