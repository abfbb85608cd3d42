// Package config holds the one Config of the service: built in main from
// defaults, the environment and flags, validated once, and passed down.
package config

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Features are the toggles of SPEC §8; all default to true.
type Features struct {
	LeadWidget        bool // features.dashboard.lead-widget.enabled
	CrossModuleEvents bool // features.events.cross-module.enabled
	Prometheus        bool // features.metrics.prometheus.enabled
}

// Config is the service configuration.
type Config struct {
	Addr               string // FRESHPLAN_ADDR
	DatabaseURL        string // DATABASE_URL; empty: PG* variables, else a local PostgreSQL
	MigrateDatabaseURL string // FRESHPLAN_MIGRATE_DATABASE_URL; default DatabaseURL
	ListenDatabaseURL  string // FRESHPLAN_LISTEN_DATABASE_URL; default DatabaseURL
	MaxConns           int32  // FRESHPLAN_DB_MAX_CONNS
	DevAuth            bool   // FRESHPLAN_DEV_AUTH
	DevJWTSecret       string // FRESHPLAN_DEV_JWT_SECRET
	OIDCIssuer         string // FRESHPLAN_OIDC_ISSUER
	OIDCAudience       string // FRESHPLAN_OIDC_AUDIENCE
	OIDCJWKSURL        string // FRESHPLAN_OIDC_JWKS_URL; empty: discovery
	// OIDCClientID (FRESHPLAN_OIDC_CLIENT_ID) turns on the pages' sign-in
	// through the issuer (authorization code with PKCE, redirect
	// PublicURL/login/callback); OIDCClientSecret
	// (FRESHPLAN_OIDC_CLIENT_SECRET) for a confidential client.
	OIDCClientID, OIDCClientSecret string
	// SessionSecret (FRESHPLAN_SESSION_SECRET, at least 32 bytes) keys the
	// pages' CSRF tokens; with dev auth it defaults to the dev token secret.
	SessionSecret   string
	TokenLeeway     time.Duration // FRESHPLAN_TOKEN_LEEWAY
	LogLevel        string        // FRESHPLAN_LOG_LEVEL: debug, info, warn, error
	ShutdownTimeout time.Duration // FRESHPLAN_SHUTDOWN_TIMEOUT
	ListenerAppName string        // FRESHPLAN_LISTENER_APPLICATION_NAME
	DebugAddr       string        // FRESHPLAN_DEBUG_ADDR: net/http/pprof there; empty: off
	EventRetention  time.Duration // FRESHPLAN_EVENT_RETENTION
	PublicURL       string        // FRESHPLAN_PUBLIC_URL: the service's URL as mail recipients reach it
	// UnsubscribeSecret (FRESHPLAN_UNSUBSCRIBE_SECRET) signs the unsubscribe
	// links of mails; at least 32 bytes. With dev auth it defaults to the
	// dev token secret.
	UnsubscribeSecret string
	// SMTP is the relay follow-up mails go through (FRESHPLAN_SMTP_HOST,
	// _PORT, _FROM, _USERNAME, _PASSWORD, _STARTTLS). Without a host, dev
	// auth keeps mails in a sink shown at /dev/mail; production leaves them
	// waiting in the mail outbox.
	SMTP SMTP
	// MailLease (FRESHPLAN_MAIL_LEASE, default 2m) is how long a mailer's
	// claim on a mail holds: longer than one SMTP delivery may take; the
	// mails of a replica that died wait this long for another one.
	MailLease time.Duration
	// MailRetryAfter (FRESHPLAN_MAIL_RETRY_AFTER, default 30s) is the wait
	// after a failed delivery, doubled after each further one up to an hour.
	MailRetryAfter time.Duration
	// JobRescueAfter (FRESHPLAN_JOB_RESCUE_AFTER, default 1h): a job still
	// running after this long is taken as lost with its process (kill -9,
	// a lost machine) and run again by another replica.
	JobRescueAfter time.Duration
	// AllowUnauthenticatedPublisher is freshplan.security.allow-unauthenticated-publisher
	// (FRESHPLAN_SECURITY_ALLOW_UNAUTHENTICATED_PUBLISHER): tests only.
	AllowUnauthenticatedPublisher bool
	Features                      Features
}

// SMTP is the mail relay.
type SMTP struct {
	Host, From, Username, Password string
	Port                           int
	StartTLS                       bool
}

// DefaultDevSecret signs development tokens when no secret is configured.
// Dev tokens are accepted only with dev auth on, so it is harmless there and
// useless in production.
const DefaultDevSecret = "freshplan-development-secret-not-for-production"

// FromEnv builds a Config from defaults and the environment.
func FromEnv() (Config, error) {
	c := Config{
		Addr:            env("FRESHPLAN_ADDR", ":8080"),
		DatabaseURL:     os.Getenv("DATABASE_URL"),
		DevJWTSecret:    env("FRESHPLAN_DEV_JWT_SECRET", DefaultDevSecret),
		OIDCIssuer:      os.Getenv("FRESHPLAN_OIDC_ISSUER"),
		OIDCAudience:    os.Getenv("FRESHPLAN_OIDC_AUDIENCE"),
		OIDCJWKSURL:     os.Getenv("FRESHPLAN_OIDC_JWKS_URL"),
		OIDCClientID:    os.Getenv("FRESHPLAN_OIDC_CLIENT_ID"),
		SessionSecret:   os.Getenv("FRESHPLAN_SESSION_SECRET"),
		LogLevel:        env("FRESHPLAN_LOG_LEVEL", "info"),
		TokenLeeway:     30 * time.Second,
		ShutdownTimeout: 20 * time.Second,
		// About five connections per core of the database server: at 700
		// status changes/s on a 2-core host, 8–12 connections held API p95
		// at 90–166 ms, 20 let as many backends fight over the two cores
		// and the outbox's last index pages (357–1,182 ms), and 5 queued
		// the requests behind the consumers (442 ms).
		MaxConns:        10,
		ListenerAppName: env("FRESHPLAN_LISTENER_APPLICATION_NAME", "freshplan-listener"),
		DebugAddr:       os.Getenv("FRESHPLAN_DEBUG_ADDR"),
		EventRetention:  7 * 24 * time.Hour,
		PublicURL:       strings.TrimSuffix(env("FRESHPLAN_PUBLIC_URL", "http://localhost:8080"), "/"),
		Features:        Features{LeadWidget: true, CrossModuleEvents: true, Prometheus: true},
	}
	c.MigrateDatabaseURL = env("FRESHPLAN_MIGRATE_DATABASE_URL", c.DatabaseURL)
	c.ListenDatabaseURL = os.Getenv("FRESHPLAN_LISTEN_DATABASE_URL")
	c.UnsubscribeSecret = os.Getenv("FRESHPLAN_UNSUBSCRIBE_SECRET")
	c.OIDCClientSecret = os.Getenv("FRESHPLAN_OIDC_CLIENT_SECRET")
	c.SMTP = SMTP{Host: os.Getenv("FRESHPLAN_SMTP_HOST"), Port: 587,
		From:     env("FRESHPLAN_SMTP_FROM", "FreshPlan Vertrieb <vertrieb@freshplan.example>"),
		Username: os.Getenv("FRESHPLAN_SMTP_USERNAME"), Password: os.Getenv("FRESHPLAN_SMTP_PASSWORD")}
	var errs []error
	parse := func(name string, fn func(string) error) {
		if v, ok := os.LookupEnv(name); ok {
			if err := fn(v); err != nil {
				errs = append(errs, fmt.Errorf("config: %s: %w", name, err))
			}
		}
	}
	parse("FRESHPLAN_DEV_AUTH", boolInto(&c.DevAuth))
	parse("FRESHPLAN_SMTP_STARTTLS", boolInto(&c.SMTP.StartTLS))
	parse("FRESHPLAN_SMTP_PORT", func(s string) error {
		n, err := strconv.Atoi(s)
		if err == nil && (n < 1 || n > 65535) {
			err = errors.New("not a port")
		}
		c.SMTP.Port = n
		return err
	})
	parse("FRESHPLAN_TOKEN_LEEWAY", durationInto(&c.TokenLeeway))
	parse("FRESHPLAN_SHUTDOWN_TIMEOUT", durationInto(&c.ShutdownTimeout))
	parse("FRESHPLAN_EVENT_RETENTION", durationInto(&c.EventRetention))
	parse("FRESHPLAN_MAIL_LEASE", positiveDurationInto(&c.MailLease))
	parse("FRESHPLAN_MAIL_RETRY_AFTER", positiveDurationInto(&c.MailRetryAfter))
	parse("FRESHPLAN_JOB_RESCUE_AFTER", positiveDurationInto(&c.JobRescueAfter))
	parse("FRESHPLAN_SECURITY_ALLOW_UNAUTHENTICATED_PUBLISHER", boolInto(&c.AllowUnauthenticatedPublisher))
	parse("FRESHPLAN_DB_MAX_CONNS", func(s string) error {
		n, err := strconv.ParseInt(s, 10, 32)
		c.MaxConns = int32(n)
		return err
	})
	parse("FEATURES_DASHBOARD_LEAD_WIDGET_ENABLED", boolInto(&c.Features.LeadWidget))
	parse("FEATURES_EVENTS_CROSS_MODULE_ENABLED", boolInto(&c.Features.CrossModuleEvents))
	parse("FEATURES_METRICS_PROMETHEUS_ENABLED", boolInto(&c.Features.Prometheus))
	return c, errors.Join(errs...)
}

// UsesLocalDatabase reports whether no database is configured at all, so
// the service should find or start a local PostgreSQL.
func (c Config) UsesLocalDatabase() bool {
	if c.DatabaseURL != "" {
		return false
	}
	for _, v := range []string{"PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE"} {
		if os.Getenv(v) != "" {
			return false
		}
	}
	return true
}

// WithDevDefaults fills what development may leave unset once dev auth is
// decided (flags may turn it on after FromEnv): the unsubscribe secret
// defaults to the dev token secret.
func (c Config) WithDevDefaults() Config {
	if c.DevAuth && c.UnsubscribeSecret == "" {
		c.UnsubscribeSecret = c.DevJWTSecret
	}
	if c.DevAuth && c.SessionSecret == "" {
		c.SessionSecret = c.DevJWTSecret
	}
	return c
}

// Validate checks the rules of production: without dev auth the service
// needs an OIDC issuer and audience, and never accepts dev tokens.
func (c Config) Validate() error {
	var errs []error
	if !c.DevAuth && (c.OIDCIssuer == "" || c.OIDCAudience == "") {
		errs = append(errs, errors.New("config: FRESHPLAN_OIDC_ISSUER and FRESHPLAN_OIDC_AUDIENCE are required unless dev auth is on"))
	}
	if c.OIDCClientID != "" && len(c.SessionSecret) < 32 {
		errs = append(errs, errors.New("config: FRESHPLAN_SESSION_SECRET must be at least 32 bytes for the pages' sign-in"))
	}
	if c.DevAuth && len(c.DevJWTSecret) < 32 {
		errs = append(errs, errors.New("config: FRESHPLAN_DEV_JWT_SECRET must be at least 32 bytes"))
	}
	if len(c.UnsubscribeSecret) < 32 {
		errs = append(errs, errors.New("config: FRESHPLAN_UNSUBSCRIBE_SECRET must be at least 32 bytes (it signs the unsubscribe links of mails)"))
	}
	if c.AllowUnauthenticatedPublisher && !c.DevAuth {
		errs = append(errs, errors.New("config: allow-unauthenticated-publisher is for tests only and refused in production"))
	}
	if c.EventRetention < time.Hour {
		errs = append(errs, errors.New("config: FRESHPLAN_EVENT_RETENTION must be at least 1h"))
	}
	if c.MaxConns < 2 {
		errs = append(errs, errors.New("config: FRESHPLAN_DB_MAX_CONNS must be at least 2"))
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, errors.New("config: FRESHPLAN_LOG_LEVEL must be debug, info, warn or error"))
	}
	return errors.Join(errs...)
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func boolInto(dst *bool) func(string) error {
	return func(s string) (err error) {
		*dst, err = strconv.ParseBool(s)
		return err
	}
}

func positiveDurationInto(dst *time.Duration) func(string) error {
	return func(s string) error {
		d, err := time.ParseDuration(s)
		if err == nil && d <= 0 {
			err = errors.New("not a positive duration")
		}
		*dst = d
		return err
	}
}

func durationInto(dst *time.Duration) func(string) error {
	return func(s string) (err error) {
		*dst, err = time.ParseDuration(s)
		return err
	}
}

// ListenURL is the database of the LISTEN connection: a session of its
// own, direct to PostgreSQL where DatabaseURL goes through a pooler in
// transaction mode (which cannot hold a LISTEN).
func (c Config) ListenURL() string {
	if c.ListenDatabaseURL != "" {
		return c.ListenDatabaseURL
	}
	return c.DatabaseURL
}
