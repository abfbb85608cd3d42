package mail

import (
	"context"
	"slices"
	"sync"
)

// sinkSize is how many mails the sink keeps.
const sinkSize = 500

// Sink is the development default when no SMTP relay is configured: it
// keeps the last mails in memory instead of sending them, for /dev/mail.
type Sink struct {
	mu    sync.Mutex
	mails []Message
}

// NewSink returns an empty sink.
func NewSink() *Sink { return &Sink{} }

// Send keeps m.
func (s *Sink) Send(_ context.Context, m Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mails = append(s.mails, m)
	if len(s.mails) > sinkSize {
		s.mails = slices.Delete(s.mails, 0, len(s.mails)-sinkSize)
	}
	return nil
}

// Messages are the kept mails, newest first.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.mails)
	slices.Reverse(out)
	return out
}
