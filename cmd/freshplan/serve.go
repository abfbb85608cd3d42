package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/config"
	"github.com/freshplan/leads/internal/demo"
	"github.com/freshplan/leads/internal/postgres"
)

func serve(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	fs := newFlagSet("serve", "serve [--demo] [--dev-auth] [--addr :8080]\n\n"+
		"Migrates, then serves the API until SIGTERM, which drains open requests.")
	demoData := fs.Bool("demo", false, "load demo data and accept development tokens")
	fs.BoolVar(&cfg.DevAuth, "dev-auth", cfg.DevAuth, "accept HS256 development tokens (never in production)")
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *demoData {
		cfg.DevAuth = true
	}
	cfg = cfg.WithDevDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	// Bind first: a taken port should fail before minutes of migration and
	// seeding, not after.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("http: cannot listen on %q; choose a free address with FRESHPLAN_ADDR or --addr: %w", cfg.Addr, err)
	}
	defer ln.Close()
	if cfg.DebugAddr != "" {
		if _, err := startDebug(ctx, cfg.DebugAddr, log); err != nil {
			return err
		}
	}
	cfg, err = resolveDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	if err := postgres.Migrate(ctx, cfg.MigrateDatabaseURL, log); err != nil {
		return err
	}
	pool, err := postgres.Open(ctx, cfg.DatabaseURL, cfg.MaxConns)
	if err != nil {
		return err
	}
	defer pool.Close()
	verifier, err := newVerifier(ctx, cfg, log)
	if err != nil {
		return err
	}
	svc, err := wire(ctx, cfg, pool, verifier, log)
	if err != nil {
		return err
	}
	defer svc.close()
	if *demoData {
		if err := demo.Seed(ctx, pool, log, os.Stdout); err != nil {
			return err
		}
	}
	svc.background(ctx)
	return listen(ctx, cfg, log, ln, svc.handler)
}

func newVerifier(ctx context.Context, cfg config.Config, log *slog.Logger) (auth.Verifier, error) {
	var chain auth.Chain
	if cfg.OIDCIssuer != "" {
		v, err := auth.NewOIDCVerifier(ctx, auth.OIDCConfig{IssuerURL: cfg.OIDCIssuer, Audience: cfg.OIDCAudience,
			JWKSURL: cfg.OIDCJWKSURL, Leeway: cfg.TokenLeeway, Now: time.Now})
		if err != nil {
			return nil, fmt.Errorf("oidc: %w", err)
		}
		chain = append(chain, v)
	}
	if cfg.DevAuth {
		log.Warn("dev auth is ON: HS256 development tokens are accepted; never run like this in production")
		chain = append(chain, auth.DevVerifier{Secret: []byte(cfg.DevJWTSecret), Leeway: cfg.TokenLeeway, Now: time.Now})
	}
	return chain, nil
}

// listen serves on ln until ctx ends (SIGTERM), then drains open requests.
func listen(ctx context.Context, cfg config.Config, log *slog.Logger, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	url := baseURL(cfg.Addr, ln.Addr())
	log.Info("listening", "addr", ln.Addr().String(), "url", url, "dev_auth", cfg.DevAuth)
	if cfg.DevAuth {
		// A developer reads stdout, next to the demo users' token commands;
		// production reads the JSON log.
		fmt.Printf("Serving on %s; try: curl -H \"Authorization: Bearer $TOKEN\" %s/api/leads\n", url, url)
	}
	select {
	case err := <-errc:
		return fmt.Errorf("http: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http shutdown: %w", err)
	}
	return nil
}

// baseURL is the URL a client on this machine uses for the listen address
// addr, bound at bound: the configured host, or localhost when it names
// every interface, with the bound port (so ":0" shows the real one).
func baseURL(addr string, bound net.Addr) string {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	port := "80"
	if tcp, ok := bound.(*net.TCPAddr); ok {
		port = strconv.Itoa(tcp.Port)
	}
	return "http://" + net.JoinHostPort(host, port)
}
