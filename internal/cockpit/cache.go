package cockpit

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/metric"
)

// TTL is how long a cached widget lives without an event that changes it.
const TTL = 60 * time.Second

// Cache holds widgets per scope for this replica. Its local consumer drops
// exactly the scopes an event touches; the TTL bounds what a lost event
// could leave stale.
type Cache struct {
	reader  *Reader
	entries *otter.Cache[string, *Widget]
	metrics *metric.Set

	// reading are the scopes being read now, and whether an event touched
	// one meanwhile: such a read may have seen the figures before the
	// change, so it is not kept.
	mu      sync.Mutex
	reading map[string]*read
}

type read struct {
	readers int
	stale   bool
}

// NewCache returns a cache over reader.
func NewCache(reader *Reader, metrics *metric.Set) *Cache {
	c := &Cache{reader: reader, metrics: metrics, reading: map[string]*read{}}
	c.entries = otter.Must(&otter.Options[string, *Widget]{
		MaximumSize:      100_000,
		ExpiryCalculator: otter.ExpiryWriting[string, *Widget](TTL),
		OnDeletion: func(e otter.DeletionEvent[string, *Widget]) {
			if e.Cause == otter.CauseExpiration {
				metrics.CacheInvalidations.WithLabelValues("lead", "ttl").Inc()
			}
		},
	})
	return c
}

// Scope is p's scope, narrowed to territory only when asked.
func (c *Cache) Scope(p auth.Principal, only string) (Scope, error) {
	return ScopeOf(p, only, c.reader.territories)
}

// Widget is scope s's widget, from the cache or read as p; fresh reads it
// anew and caches that. Concurrent misses of one scope read once.
func (c *Cache) Widget(ctx context.Context, p auth.Principal, s Scope, fresh bool) (*Widget, error) {
	if fresh {
		c.startRead(s.Key)
		w, err := c.reader.Widget(ctx, p, s)
		if err == nil {
			c.entries.Set(s.Key, w)
		}
		c.endRead(s.Key)
		return w, err
	}
	loaded := false
	w, err := c.entries.Get(ctx, s.Key, otter.LoaderFunc[string, *Widget](func(ctx context.Context, _ string) (*Widget, error) {
		loaded = true
		c.startRead(s.Key)
		return c.reader.Widget(ctx, p, s)
	}))
	if loaded {
		c.endRead(s.Key)
	}
	return w, err
}

func (c *Cache) startRead(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.reading[key]
	if !ok {
		r = &read{}
		c.reading[key] = r
	}
	r.readers++
}

// endRead drops what a read stored if an event touched its scope while it
// read.
func (c *Cache) endRead(key string) {
	c.mu.Lock()
	r := c.reading[key]
	r.readers--
	stale := r.stale
	if r.readers == 0 {
		delete(c.reading, key)
	}
	c.mu.Unlock()
	if stale {
		c.entries.Invalidate(key)
	}
}

// Age is how long ago scope key's cached widget was generated; ok is false
// when none is cached.
func (c *Cache) Age(key string, now time.Time) (time.Duration, bool) {
	w, ok := c.entries.GetIfPresent(key)
	if !ok {
		return 0, false
	}
	return now.Sub(w.GeneratedAt), true
}

// Invalidate is the local consumer: on TypeWidgetChanged, which the
// aggregator emits once the figures committed, it drops the scopes that
// could see the lead before or after the change (the users of its
// audience, every territories-scope holding its territory, all).
func (c *Cache) Invalidate(_ context.Context, d event.Delivered) error {
	a := d.Audience
	if d.Type != TypeWidgetChanged || a.Territory == "" {
		return nil
	}
	c.mu.Lock()
	for key, r := range c.reading {
		if touches(key, a) {
			r.stale = true
		}
	}
	c.mu.Unlock()
	for key := range c.entries.Keys() {
		if touches(key, a) {
			if _, dropped := c.entries.Invalidate(key); dropped {
				c.metrics.CacheInvalidations.WithLabelValues("lead", "event").Inc()
			}
		}
	}
	return nil
}

// InvalidateAll drops every cached widget (an operator's request).
func (c *Cache) InvalidateAll() {
	n := c.entries.EstimatedSize()
	c.entries.InvalidateAll()
	c.metrics.CacheInvalidations.WithLabelValues("lead", "manual").Add(float64(n))
}

// touches reports whether the scope of key could see a lead of audience a.
func touches(key string, a event.Audience) bool {
	kind, rest, _ := strings.Cut(key, ":")
	switch kind {
	case "all":
		return true
	case "territories":
		return slices.Contains(strings.Split(rest, ","), a.Territory)
	case "user":
		return rest == a.Owner || slices.Contains(a.Collaborators, rest)
	}
	return false
}
