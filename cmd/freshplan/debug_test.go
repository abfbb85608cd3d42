package main

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDebugAddressStaysOnLoopbackUnlessAHostIsGiven(t *testing.T) {
	for in, want := range map[string]string{
		"6060": "127.0.0.1:6060", ":6060": "127.0.0.1:6060", "0.0.0.0:6060": "0.0.0.0:6060", "10.0.0.5:7070": "10.0.0.5:7070",
	} {
		require.Equal(t, want, debugAddress(in), in)
	}
}

// TestProfilingIsServedOnLoopback: FRESHPLAN_DEBUG_ADDR=:0 serves the pprof
// index and a goroutine profile on 127.0.0.1, and stops with its context.
func TestProfilingIsServedOnLoopback(t *testing.T) {
	addr, err := startDebug(t.Context(), ":0", slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	tcp := addr.(*net.TCPAddr)
	require.True(t, tcp.IP.IsLoopback(), "bound to %s", tcp.IP)
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/goroutine?debug=1"} {
		res, err := http.Get("http://" + addr.String() + path)
		require.NoError(t, err)
		body, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		require.NoError(t, res.Body.Close())
		require.Equal(t, http.StatusOK, res.StatusCode, path)
		require.Contains(t, string(body), "goroutine", path)
	}
}
