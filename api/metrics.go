package api

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the Prometheus collectors of one server (own registry, so
// several servers can live in one test process).
type metrics struct {
	sseClients   prometheus.Gauge
	reg          *prometheus.Registry
	ingestBytes  *prometheus.CounterVec
	ingestFiles  *prometheus.CounterVec
	segments     *prometheus.CounterVec
	segmentsLost prometheus.Counter
	requests     *prometheus.CounterVec
	latency      *prometheus.HistogramVec
	errors       *prometheus.CounterVec
	generated    *prometheus.CounterVec // segments the output clock generated (input lost), by channel
	clockEvents  *prometheus.CounterVec // input_lost, input_restored, ended, started

	// Per-request children, resolved once: a label lookup hashes its
	// values under a lock, which the hot paths should not pay each time.
	latencyBy [numRoutes]prometheus.Observer
	requestBy [numRoutes][600]atomic.Pointer[prometheus.Counter] // by status code
}

// Route classes (metrics labels).
const (
	routeIngest = iota
	routeLivePlaylist
	routeLiveMedia
	routeReplay
	routeAPI
	routeOther
	numRoutes
)

var routeNames = [numRoutes]string{"ingest", "live_playlist", "live_media", "replay", "api", "other"}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.ingestBytes = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hlsorigin_ingest_bytes_total",
		Help: "Bytes received by ingest, by file kind."}, []string{"kind"})
	m.ingestFiles = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hlsorigin_ingest_files_total",
		Help: "Files received by ingest, by kind and outcome code."}, []string{"kind", "code"})
	m.segments = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hlsorigin_segments_stored_total",
		Help: "Media segments committed to a live timeline, by channel."}, []string{"channel"})
	m.segmentsLost = prometheus.NewCounter(prometheus.CounterOpts{Name: "hlsorigin_staged_segments_dropped_total",
		Help: "Staged segments that failed validation when their rendition became known."})
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hlsorigin_http_requests_total",
		Help: "HTTP requests by route class and status."}, []string{"route", "status"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "hlsorigin_http_request_duration_seconds",
		Help: "HTTP request latency by route class.", Buckets: prometheus.ExponentialBuckets(0.0001, 3, 12)}, []string{"route"})
	m.errors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hlsorigin_errors_total",
		Help: "Error answers by code."}, []string{"code"})
	m.sseClients = prometheus.NewGauge(prometheus.GaugeOpts{Name: "hlsorigin_event_subscribers",
		Help: "Open Server-Sent Events streams."})
	m.generated = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hlsorigin_generated_segments_total",
		Help: "Segments the origin generated while the input was lost (slate video, silent audio), by channel."}, []string{"channel"})
	m.clockEvents = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hlsorigin_clock_events_total",
		Help: "Output clock events: input_lost, input_restored, ended, started."}, []string{"event"})
	m.reg.MustRegister(m.generated, m.clockEvents)
	m.reg.MustRegister(m.ingestBytes, m.ingestFiles, m.segments, m.segmentsLost, m.requests, m.latency, m.errors, m.sseClients,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for i, name := range routeNames {
		m.latencyBy[i] = m.latency.WithLabelValues(name)
	}
	return m
}

// requestCounter is the requests counter of a route class and status.
func (m *metrics) requestCounter(route, code int) prometheus.Counter {
	if code < 0 || code >= len(m.requestBy[route]) {
		return m.requests.WithLabelValues(routeNames[route], statusLabel(code))
	}
	slot := &m.requestBy[route][code]
	if c := slot.Load(); c != nil {
		return *c
	}
	c := m.requests.WithLabelValues(routeNames[route], statusLabel(code))
	slot.Store(&c)
	return c
}

// routeClass groups requests for metrics without unbounded label values.
func routeClass(c *fiber.Ctx) int {
	p := c.Path()
	switch {
	case len(p) >= 8 && p[:8] == "/ingest/":
		return routeIngest
	case len(p) >= 6 && p[:6] == "/live/":
		if len(p) > 5 && p[len(p)-5:] == ".m3u8" {
			return routeLivePlaylist
		}
		return routeLiveMedia
	case len(p) >= 8 && p[:8] == "/replay/":
		return routeReplay
	case len(p) >= 5 && p[:5] == "/api/":
		return routeAPI
	}
	return routeOther
}

// middleware counts and times every request; next runs the handler chain.
// The time starts when the server began the request (fasthttp's clock
// read for it), which saves a clock read per request.
func (m *metrics) middleware(c *fiber.Ctx, next func() error) error {
	start := c.Context().Time()
	err := next()
	route := routeClass(c)
	m.latencyBy[route].Observe(time.Since(start).Seconds())
	m.requestCounter(route, c.Response().StatusCode()).Inc()
	return err
}

func (m *metrics) handler() fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
}

// statusLabel is strconv.Itoa without an allocation for the usual codes.
func statusLabel(code int) string {
	switch code {
	case 200:
		return "200"
	case 201:
		return "201"
	case 204:
		return "204"
	case 206:
		return "206"
	case 304:
		return "304"
	case 404:
		return "404"
	}
	return strconv.Itoa(code)
}
