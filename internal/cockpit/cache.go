package cockpit

import (
	"context"
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

	// mu orders reads' stores against the consumer's drops. reading are
	// the reads in flight per scope, which later misses join until an
	// event touches the scope: such a read may have seen the figures from
	// before the change, so nobody joins it afterwards and it is not kept.
	// territoryKeys are the territories-scopes ever read, so that an event
	// finds those holding its territory without scanning the cache.
	mu            sync.Mutex
	reading       map[string]*flight
	territoryKeys map[string]bool
}

// flight is one read of a scope's widget that others may wait for.
type flight struct {
	done  chan struct{}
	w     *Widget
	err   error
	stale bool
}

// NewCache returns a cache over reader.
func NewCache(reader *Reader, metrics *metric.Set) *Cache {
	c := &Cache{reader: reader, metrics: metrics, reading: map[string]*flight{}, territoryKeys: map[string]bool{}}
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
// anew and caches that. A miss joins a read of the scope in flight unless
// an event touched the scope since that read began.
func (c *Cache) Widget(ctx context.Context, p auth.Principal, s Scope, fresh bool) (*Widget, error) {
	if !fresh {
		if w, ok := c.entries.GetIfPresent(s.Key); ok {
			return w, nil
		}
	}
	c.mu.Lock()
	f, ok := c.reading[s.Key]
	if fresh || !ok || f.stale {
		f = &flight{done: make(chan struct{})}
		c.reading[s.Key] = f
		if strings.HasPrefix(s.Key, "territories:") {
			c.territoryKeys[s.Key] = true
		}
		c.mu.Unlock()
		// Others may wait for this read: it does not end with its caller.
		f.w, f.err = c.reader.Widget(context.WithoutCancel(ctx), p, s)
		c.land(s.Key, f)
		close(f.done)
	} else {
		c.mu.Unlock()
	}
	select {
	case <-f.done:
		return f.w, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// land keeps what flight f read unless an event touched its scope
// meanwhile; under mu, so that no drop falls between the check and the
// store.
func (c *Cache) land(key string, f *flight) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reading[key] == f {
		delete(c.reading, key)
	}
	if f.err == nil && !f.stale {
		c.entries.Set(key, f.w)
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
// audience, every territories-scope holding its territory, all), and
// marks their reads in flight stale.
func (c *Cache) Invalidate(_ context.Context, d event.Delivered) error {
	a := d.Audience
	if d.Type != TypeWidgetChanged || a.Territory == "" {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, key := range c.touched(a) {
		if f, ok := c.reading[key]; ok {
			f.stale = true
		}
		if _, dropped := c.entries.Invalidate(key); dropped {
			c.metrics.CacheInvalidations.WithLabelValues("lead", "event").Inc()
		}
	}
	return nil
}

// touched are the keys of the scopes that could see a lead of audience a,
// as far as they can be cached here.
func (c *Cache) touched(a event.Audience) []string {
	keys := []string{"all"}
	if a.Owner != "" {
		keys = append(keys, "user:"+a.Owner)
	}
	for _, u := range a.Collaborators {
		keys = append(keys, "user:"+u)
	}
	r := reach{territory: a.Territory} // territories-scopes need no users
	for key := range c.territoryKeys {
		if r.touches(key) {
			keys = append(keys, key)
		}
	}
	return keys
}

// InvalidateAll drops every cached widget (an operator's request).
func (c *Cache) InvalidateAll() {
	n := c.entries.EstimatedSize()
	c.entries.InvalidateAll()
	c.metrics.CacheInvalidations.WithLabelValues("lead", "manual").Add(float64(n))
}

// reach is an audience with its users as a set: a widget change names the
// users of every lead a batch changed in a territory, and each replica
// checks it against every open stream's scope.
type reach struct {
	territory string
	users     map[string]bool
}

func reachOf(a event.Audience) reach {
	users := make(map[string]bool, len(a.Collaborators)+1)
	if a.Owner != "" {
		users[a.Owner] = true
	}
	for _, u := range a.Collaborators {
		users[u] = true
	}
	return reach{territory: a.Territory, users: users}
}

// touches reports whether the scope of key could see a lead of the audience.
func (r reach) touches(key string) bool {
	kind, rest, _ := strings.Cut(key, ":")
	switch kind {
	case "all":
		return true
	case "territories":
		for t := range strings.SplitSeq(rest, ",") {
			if t == r.territory {
				return true
			}
		}
	case "user":
		return r.users[rest]
	}
	return false
}
