package mailtest_test

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/mail/mailtest"
)

// TestAClientThatGivesUpIsNoLongerHeld: a session held at MAIL FROM counts
// as held until its client closes the connection (a mailer's delivery
// timeout), not until Release.
func TestAClientThatGivesUpIsNoLongerHeld(t *testing.T) {
	srv := mailtest.NewServer(t)
	srv.Hold(mailtest.BeforeData)
	conn, err := net.Dial("tcp", net.JoinHostPort(srv.Host, fmt.Sprint(srv.Port)))
	require.NoError(t, err)
	r := bufio.NewReader(conn)
	line := func() string {
		l, err := r.ReadString('\n')
		require.NoError(t, err)
		return l
	}
	require.True(t, strings.HasPrefix(line(), "220"))
	fmt.Fprint(conn, "HELO client.test\r\n")
	require.True(t, strings.HasPrefix(line(), "250"))
	fmt.Fprint(conn, "MAIL FROM:<vertrieb@freshplan.example>\r\n")
	waitHeld(t, srv, 1)
	require.NoError(t, conn.Close())
	waitHeld(t, srv, 0)
}

func waitHeld(t *testing.T, srv *mailtest.Server, n int) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for srv.Held() != n {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("held %d sessions, want %d", srv.Held(), n)
		}
	}
}
