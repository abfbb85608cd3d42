// Package mailtest is a real SMTP server for tests (go-smtp): it accepts
// mails, or refuses the next few with a temporary error, and keeps what it
// accepted.
package mailtest

import (
	"errors"
	"io"
	"net"
	"net/mail"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Mail is a mail as the server accepted it.
type Mail struct {
	From string
	To   []string
	Msg  *mail.Message
	Raw  string
}

// Server is the test's SMTP server.
type Server struct {
	mu       sync.Mutex
	fail     int
	mails    []Mail
	attempts int
	hold     Stage
	gate     chan struct{}
	held     int
	Host     string
	Port     int
}

// Stage is where Hold stops a mail's SMTP conversation.
type Stage int

const (
	// BeforeData holds a session at MAIL FROM: nothing of the mail is sent yet.
	BeforeData Stage = iota + 1
	// AfterData holds a session after the mail's final dot, with the mail
	// accepted (in Received), before the server's reply: a client that dies
	// now never learns that it was.
	AfterData
)

// Hold stops every session at stage until Release.
func (s *Server) Hold(stage Stage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hold, s.gate = stage, make(chan struct{})
}

// Release lets the held sessions go on and holds no more.
func (s *Server) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gate != nil {
		close(s.gate)
	}
	s.hold, s.gate = 0, nil
}

// Held counts the sessions held now.
func (s *Server) Held() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held
}

// wait holds the caller, with s.mu held, while stage is held and the
// client is still there: a client that gave up (its delivery timeout) no
// longer counts as held.
func (s *Server) wait(stage Stage, conn net.Conn) {
	if s.hold != stage {
		return
	}
	gate := s.gate
	s.held++
	s.mu.Unlock()
	// The client sends nothing while it waits for the reply, so a read
	// ends only when it closes, or when the deadline below stops it.
	gone, watched := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watched)
		var b [1]byte
		if _, err := conn.Read(b[:]); !errors.Is(err, os.ErrDeadlineExceeded) {
			close(gone)
		}
	}()
	select {
	case <-gate:
	case <-gone:
	}
	_ = conn.SetReadDeadline(time.Now())
	<-watched
	_ = conn.SetReadDeadline(time.Time{})
	s.mu.Lock()
	s.held--
}

// NewServer listens on a free loopback port until t ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s := &Server{}
	srv := smtp.NewServer(s)
	srv.Domain = "mail.test"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	s.Host = host
	s.Port, _ = strconv.Atoi(port)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// Fail refuses the next n mails with 451.
func (s *Server) Fail(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = n
}

// Received are the accepted mails, in order.
func (s *Server) Received() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// Attempts counts DATA commands, accepted or refused.
func (s *Server) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// NewSession is go-smtp's backend hook.
func (s *Server) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: s, conn: c.Conn()}, nil
}

type session struct {
	s    *Server
	conn net.Conn
	from string
	to   []string
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	ss.s.wait(BeforeData, ss.conn)
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	ss.s.attempts++
	if ss.s.fail > 0 {
		ss.s.fail--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		return errors.New("unreadable message")
	}
	ss.s.mails = append(ss.s.mails, Mail{From: ss.from, To: ss.to, Msg: msg, Raw: string(raw)})
	ss.s.wait(AfterData, ss.conn)
	return nil
}
