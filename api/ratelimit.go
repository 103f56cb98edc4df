package api

import (
	"container/list"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/time/rate"

	"hlsorigin/origin"
)

// RateLimit is one token bucket per client IP: Burst requests at once,
// refilled at PerSecond requests per second. A zero PerSecond or Burst
// turns the limit off.
type RateLimit struct {
	PerSecond float64
	Burst     int
}

// Off reports a disabled limit.
func (r RateLimit) Off() bool { return r.PerSecond <= 0 || r.Burst <= 0 }

// Rate-limited route classes. Options.RateLimits is keyed by them; routes
// of other features take theirs with s.limiter(class).Handler().
const (
	LimitCreate  = "create"  // POST /api/v1/channels
	LimitPause   = "pause"   // POST /api/v1/channels/{id}/pause and /resume
	LimitRotate  = "rotate"  // POST /api/v1/channels/{id}/rotate
	LimitViewers = "viewers" // POST /api/v1/viewers
	LimitChat    = "chat"    // POST /api/v1/channels/{id}/chat
	LimitVote    = "vote"    // POST /api/v1/channels/{id}/poll/vote
	// LimitAuthFail: refused credentials on any route (authfail.go).
	LimitAuthFail = "auth_fail"
)

// DefaultRateLimits are the limits of a class missing from Options.RateLimits.
func DefaultRateLimits() map[string]RateLimit {
	return map[string]RateLimit{
		LimitCreate:  {PerSecond: 1.0 / 3, Burst: 20},
		LimitPause:   {PerSecond: 1, Burst: 20},
		LimitRotate:  {PerSecond: 1.0 / 12, Burst: 5},
		LimitViewers: {PerSecond: 1, Burst: 20},
		LimitChat:    {PerSecond: 1, Burst: 10},
		// Votes: a whole audience may share one address (NAT, campus,
		// mobile carrier) and vote in the seconds after a pause starts.
		LimitVote: {PerSecond: 200, Burst: 2000},
		// Failed authentications: a mistyped token now and then, not a
		// guessing loop.
		LimitAuthFail: {PerSecond: 1, Burst: 20},
	}
}

// NoRateLimits turns every limit off (benchmarks driving the API hard from
// one address).
func NoRateLimits() map[string]RateLimit {
	out := DefaultRateLimits()
	for k := range out {
		out[k] = RateLimit{}
	}
	return out
}

// defaultMaxClients bounds the addresses a limiter remembers.
const defaultMaxClients = 10000

// Limiter is a per-client-IP token-bucket limiter over a bounded map: when
// it holds MaxClients addresses, the least recently seen one is forgotten
// (a forgotten client starts again with a full bucket, which is what an
// idle client has anyway).
type Limiter struct {
	class string
	limit rate.Limit
	burst int
	max   int
	now   func() time.Time
	key   func(*fiber.Ctx) string // client key of a request (default: the peer address)

	mu      sync.Mutex
	clients map[string]*list.Element // ip -> element of lru, Value *bucket
	lru     *list.List               // front: most recently seen
}

type bucket struct {
	ip  string
	lim *rate.Limiter
}

// NewLimiter builds a limiter for a route class. maxClients <= 0 means the
// default (10,000); now nil means time.Now (tests pass a fake clock).
func NewLimiter(class string, rl RateLimit, maxClients int, now func() time.Time) *Limiter {
	if maxClients <= 0 {
		maxClients = defaultMaxClients
	}
	if now == nil {
		now = time.Now
	}
	l := &Limiter{class: class, burst: rl.Burst, max: maxClients, now: now,
		clients: map[string]*list.Element{}, lru: list.New()}
	if rl.Off() {
		l.limit = rate.Inf
	} else {
		l.limit = rate.Limit(rl.PerSecond)
	}
	return l
}

// Allow takes one token for ip. When none is left it returns false and how
// long until the next token.
func (l *Limiter) Allow(ip string) (bool, time.Duration) {
	if l.limit == rate.Inf {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	var b *bucket
	if e, ok := l.clients[ip]; ok {
		l.lru.MoveToFront(e)
		b = e.Value.(*bucket)
	} else {
		for l.lru.Len() >= l.max {
			old := l.lru.Back()
			l.lru.Remove(old)
			delete(l.clients, old.Value.(*bucket).ip)
		}
		b = &bucket{ip: ip, lim: rate.NewLimiter(l.limit, l.burst)}
		l.clients[ip] = l.lru.PushFront(b)
	}
	if b.lim.AllowN(now, 1) {
		return true, 0
	}
	missing := 1 - b.lim.TokensAt(now)
	return false, time.Duration(missing / float64(l.limit) * float64(time.Second))
}

// Clients is how many addresses the limiter remembers.
func (l *Limiter) Clients() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lru.Len()
}

// Handler is the fiber middleware: over the limit it answers 429 JSON
// {"error","code":"rate_limited"} with Retry-After (whole seconds), before
// any authentication or body parsing.
func (l *Limiter) Handler() fiber.Handler {
	return func(c *fiber.Ctx) error {
		key := c.IP()
		if l.key != nil {
			key = l.key(c)
		}
		ok, wait := l.Allow(key)
		if ok {
			return c.Next()
		}
		secs := int(math.Ceil(wait.Seconds()))
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(max(1, secs)))
		return fmt.Errorf("too many %s requests from this address, retry in %ds: %w", l.class, max(1, secs), origin.ErrRateLimited)
	}
}

// limiter returns the server's limiter of a route class, built once from
// Options.RateLimits (or DefaultRateLimits). Features register theirs as
// s.app.Post(path, s.limiter(LimitChat).Handler(), handler).
func (s *Server) limiter(class string) *Limiter {
	s.limMu.Lock()
	defer s.limMu.Unlock()
	if l := s.limiters[class]; l != nil {
		return l
	}
	rl, ok := s.opt.RateLimits[class]
	if !ok {
		rl = DefaultRateLimits()[class]
	}
	l := NewLimiter(class, rl, s.opt.RateLimitClients, s.opt.Now)
	l.key = s.clientKeyOf
	if s.limiters == nil {
		s.limiters = map[string]*Limiter{}
	}
	s.limiters[class] = l
	return l
}
