// Package api is the HTTP face of the origin: ingest for encoders, live
// playlists and segments for players and CDNs, and the REST API for hosts
// and admins. It is the only package that imports fiber. Handlers parse,
// call the origin, and write; errors are mapped to JSON in errors.go.
package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"hlsorigin/audience"
	"hlsorigin/origin"
	"hlsorigin/slatelib"
)

// Options configure the HTTP server.
type Options struct {
	// AdminToken guards admin endpoints. Required.
	AdminToken string
	// ReadTimeout must exceed a segment's duration: ffmpeg streams a
	// segment's body while it encodes it. Default 60s.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing an answer (event streams renew it per
	// event). Default: ReadTimeout.
	WriteTimeout time.Duration
	// IdleTimeout closes idle keep-alive connections. Default 120s.
	IdleTimeout time.Duration
	// MaxConns caps open connections in total, MaxConnsPerIP per client
	// address (IPv6 per /64; trusted proxies exempt). 0: no cap. Applied
	// by Serve (see connlimit.go).
	MaxConns, MaxConnsPerIP int
	// TrustedProxies are the peers whose X-Forwarded-For / Forwarded
	// headers name the client (see clientaddr.go). Default none.
	TrustedProxies []netip.Prefix
	// ReplayMinRecording: replays leave pauses out only of recordings at
	// least this long (shorter ones are served whole). Default 0.
	ReplayMinRecording time.Duration
	// MaxJSONBytes bounds the body of JSON API requests (default
	// DefaultMaxJSONBytes, 8 KiB); ingest and slate uploads have their own
	// limits (see body.go).
	MaxJSONBytes int
	// MaxEventStreams caps open event streams in total (default 5,000),
	// MaxEventStreamsPerIP per client address (default 32); MaxReplayBytes
	// bounds a Last-Event-ID replay (default 64 KiB). See sse.go.
	MaxEventStreams, MaxEventStreamsPerIP, MaxReplayBytes int
	// MaxVotersPerIP caps the viewers voting from one client address in
	// one poll (default DefaultMaxVotersPerIP, 20; negative: no cap).
	MaxVotersPerIP int
	// AllowedOrigins may read viewer-token, chat and vote answers from
	// other sites (CORS); default none: only the origin's own pages.
	AllowedOrigins []string
	// RateLimits per route class (LimitCreate, LimitPause, ...), per client
	// IP; a class left out gets DefaultRateLimits. NoRateLimits() turns
	// them all off.
	RateLimits map[string]RateLimit
	// RateLimitClients bounds the addresses each limiter remembers (default 10,000).
	RateLimitClients int
	// Now is the rate limiters' clock (default time.Now; tests use a fake).
	Now    func() time.Time
	Logger *slog.Logger
	// Slates is the origin's slate library (nil: New loads one over o).
	Slates *slatelib.Library
	// Audience is the origin's viewers, chat and polls (nil: New loads one
	// over o).
	Audience *audience.Audience
}

// Server wires the origin to HTTP.
type Server struct {
	o         *origin.Origin
	lib       *slatelib.Library
	aud       *audience.Audience
	app       *fiber.App
	log       *slog.Logger
	metrics   *metrics
	adminHash [32]byte
	opt       Options
	done      chan struct{} // closed on Shutdown: ends event streams
	closeOnce sync.Once

	proxies proxySet
	conns   *connMetrics

	voteCaps   voteCaps
	sseSlots   sseSlots
	sseMetrics *sseMetrics

	limMu    sync.Mutex
	limiters map[string]*Limiter
}

// New builds the server and its routes.
func New(o *origin.Origin, opt Options) (*Server, error) {
	if opt.AdminToken == "" {
		return nil, errors.New("api: admin token required")
	}
	if len(opt.AdminToken) < minAdminTokenLen {
		return nil, fmt.Errorf("api: admin token of %d characters: at least %d are required", len(opt.AdminToken), minAdminTokenLen)
	}
	if opt.ReadTimeout == 0 {
		opt.ReadTimeout = 60 * time.Second
	}
	if opt.WriteTimeout == 0 {
		opt.WriteTimeout = opt.ReadTimeout
	}
	if opt.IdleTimeout == 0 {
		opt.IdleTimeout = 120 * time.Second
	}
	opt.MaxEventStreams = orDefault(opt.MaxEventStreams, DefaultMaxEventStreams)
	opt.MaxEventStreamsPerIP = orDefault(opt.MaxEventStreamsPerIP, DefaultMaxEventStreamsPerIP)
	opt.MaxReplayBytes = orDefault(opt.MaxReplayBytes, DefaultMaxReplayBytes)
	if opt.MaxVotersPerIP == 0 {
		opt.MaxVotersPerIP = DefaultMaxVotersPerIP
	}
	if opt.MaxJSONBytes <= 0 {
		opt.MaxJSONBytes = DefaultMaxJSONBytes
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Slates == nil {
		lib, err := slatelib.New(o)
		if err != nil {
			return nil, fmt.Errorf("api: slate library: %w", err)
		}
		opt.Slates = lib
	}
	if opt.Audience == nil {
		aud, err := audience.New(o)
		if err != nil {
			return nil, fmt.Errorf("api: audience: %w", err)
		}
		opt.Audience = aud
	}
	s := &Server{o: o, lib: opt.Slates, aud: opt.Audience, log: opt.Logger, metrics: newMetrics(), adminHash: sha256.Sum256([]byte(opt.AdminToken)), opt: opt, done: make(chan struct{}),
		proxies: proxySet(opt.TrustedProxies)}
	s.conns = newConnMetrics(s.metrics.reg)
	s.sseMetrics = newSSEMetrics(s.metrics.reg)
	s.app = fiber.New(fiber.Config{
		BodyLimit:                    maxBodyLimit(o, opt.Slates),
		StreamRequestBody:            true, // bodies are read by handlers, within their route's limit (body.go)
		DisablePreParseMultipartForm: true,
		ReadTimeout:                  opt.ReadTimeout,
		WriteTimeout:                 opt.WriteTimeout,
		IdleTimeout:                  opt.IdleTimeout,
		DisableStartupMessage:        true,
		ErrorHandler:                 s.writeError,
		StrictRouting:                true,
	})
	s.metrics.reg.MustRegister(segmentCacheCollectors(o)...)
	o.SetHooks(origin.Hooks{
		SegmentStored:    func(ch, _ string, _ int, _ float64) { s.metrics.segments.WithLabelValues(ch).Inc() },
		SegmentDropped:   func(_, _ string, _ error) { s.metrics.segmentsLost.Inc() },
		SegmentGenerated: func(ch, _ string) { s.metrics.generated.WithLabelValues(ch).Inc() },
		ClockEvent:       func(_, ev string) { s.metrics.clockEvents.WithLabelValues(ev).Inc() },
	})
	s.metrics.reg.MustRegister(channelStateCollectors(o)...)
	s.routes()
	return s, nil
}

// Audience is the origin's viewers, chat and polls.
func (s *Server) Audience() *audience.Audience { return s.aud }

// App exposes the fiber app (tests use app.Test).
func (s *Server) App() *fiber.App { return s.app }

// Listen serves on addr, with the connection limits, until Shutdown.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// Shutdown stops accepting connections and waits for in-flight requests.
// Open event streams end at once (clients reconnect elsewhere).
func (s *Server) Shutdown(timeout time.Duration) error {
	s.closeOnce.Do(func() { close(s.done) })
	return s.app.ShutdownWithTimeout(timeout)
}

func (s *Server) routes() {
	a := s.app
	a.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: func(c *fiber.Ctx, e any) {
		s.log.Error("panic in handler", "path", logPath(c), "panic", e)
	}}))
	a.Use(s.countRequests)
	a.Use(s.guardBody)
	a.Use(s.authGate)
	s.corsRoutes()
	a.Use(func(c *fiber.Ctx) error { // CORS "*" on every GET/HEAD answer, with or without an Origin header
		if c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead {
			c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
		}
		return c.Next()
	})
	a.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	a.Get("/metrics", s.metrics.handler())
	s.ingestRoutes()
	s.liveRoutes()
	s.channelRoutes()
	s.pauseRoutes()
	s.replayRoutes()
	s.audienceRoutes()
	s.pollRoutes()
	s.slateRoutes()
	s.rotateRoutes()
	s.webRoutes()
}

// countRequests feeds metrics and turns a returned error into its JSON
// answer before counting, so the status label is the one sent.
func (s *Server) countRequests(c *fiber.Ctx) error {
	return s.metrics.middleware(c, func() error {
		if err := c.Next(); err != nil {
			return s.writeError(c, err)
		}
		return nil
	})
}

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(c *fiber.Ctx) string {
	h := c.Get(fiber.HeaderAuthorization)
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// isAdmin compares the presented token with the admin token in constant time.
func (s *Server) isAdmin(c *fiber.Ctx) bool {
	tok := bearer(c)
	if tok == "" {
		return false
	}
	h := sha256.Sum256([]byte(tok))
	return subtle.ConstantTimeCompare(h[:], s.adminHash[:]) == 1
}

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}
