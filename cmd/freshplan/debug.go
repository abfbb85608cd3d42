package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// debugAddress is where FRESHPLAN_DEBUG_ADDR serves: a port alone, or an
// address without a host, stays on loopback; a host given is taken as is.
func debugAddress(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil { // a port alone
		return net.JoinHostPort("127.0.0.1", addr)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// startDebug serves net/http/pprof on addr until ctx ends, for operators
// profiling a live replica; it returns the bound address.
func startDebug(ctx context.Context, addr string, log *slog.Logger) (net.Addr, error) {
	ln, err := net.Listen("tcp", debugAddress(addr))
	if err != nil {
		return nil, fmt.Errorf("debug: cannot listen on %q (FRESHPLAN_DEBUG_ADDR): %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("debug server stopped", "error", err)
		}
	}()
	context.AfterFunc(ctx, func() { _ = srv.Close() })
	log.Info("profiling served", "addr", ln.Addr().String())
	return ln.Addr(), nil
}
