package api

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/time/rate"

	"hlsorigin/origin"
)

// Failed authentication is rate limited on every route: each refused
// credential (admin, host or viewer token, stream key; 401 or 403) takes a
// token of the client address's LimitAuthFail bucket, and while that
// bucket is empty every request from the address that presents credentials
// is answered 429 before they are checked. Requests without credentials
// (players, anonymous reads) are never held back by it.

// minAdminTokenLen is the shortest admin token accepted.
const minAdminTokenLen = 32

// hasCredentials reports a request that presents a secret.
func hasCredentials(c *fiber.Ctx) bool {
	if len(c.Request().Header.Peek(fiber.HeaderAuthorization)) > 0 {
		return true
	}
	p := c.Path() // /ingest/{id}/{key}/{name}
	return strings.HasPrefix(p, "/ingest/") && strings.Count(p, "/") == 4
}

// authGate answers 429 to a client whose failed authentications exhausted
// its bucket, when it presents credentials again.
func (s *Server) authGate(c *fiber.Ctx) error {
	if !hasCredentials(c) {
		return c.Next()
	}
	l := s.limiter(LimitAuthFail)
	ok, wait := l.peek(s.clientKeyOf(c))
	if ok {
		return c.Next()
	}
	secs := max(1, int(math.Ceil(wait.Seconds())))
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
	return s.writeError(c, fmt.Errorf("too many failed authentications from this address, retry in %ds: %w", secs, origin.ErrRateLimited))
}

// noteAuthFailure counts a refused credential (called by writeError).
func (s *Server) noteAuthFailure(c *fiber.Ctx, code string) {
	if (code == "unauthorized" || code == "forbidden") && hasCredentials(c) {
		s.limiter(LimitAuthFail).Allow(s.clientKeyOf(c))
	}
}

// peek reports whether key has a token left, without taking it.
func (l *Limiter) peek(key string) (bool, time.Duration) {
	if l.limit == rate.Inf {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.clients[key]
	if !ok {
		return true, 0
	}
	tokens := e.Value.(*bucket).lim.TokensAt(now)
	if tokens >= 1 {
		return true, 0
	}
	return false, time.Duration((1 - tokens) / float64(l.limit) * float64(time.Second))
}
