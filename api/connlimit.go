package api

import (
	"errors"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Connection limits. The listener the server serves on is wrapped so that
//   - accept errors caused by resource exhaustion (EMFILE, ENFILE, ENOBUFS,
//     ENOMEM, ECONNABORTED) are retried with a backoff from 5 ms to 1 s and
//     counted, never returned: fasthttp treats any accept error as fatal and
//     would stop serving (the process exited on a descriptor flood);
//   - at most MaxConns connections are open at once, and at most
//     MaxConnsPerIP from one client address (IPv6 per /64; trusted proxies
//     are exempt, they carry many clients). A connection over a cap gets a
//     503 and is closed at once, so it holds no descriptor.
// Connections already open keep being served throughout.

const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
)

type connMetrics struct {
	open         prometheus.Gauge
	refused      *prometheus.CounterVec
	acceptErrors *prometheus.CounterVec
}

func newConnMetrics(reg *prometheus.Registry) *connMetrics {
	m := &connMetrics{
		open: prometheus.NewGauge(prometheus.GaugeOpts{Name: "hlsorigin_connections",
			Help: "Open client connections."}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hlsorigin_connections_refused_total",
			Help: "Connections closed at accept because a cap was reached, by cap (total, per_ip)."}, []string{"cap"}),
		acceptErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hlsorigin_accept_errors_total",
			Help: "Accept failures retried with backoff, by error (emfile, enfile, enobufs, enomem, econnaborted, timeout)."}, []string{"error"}),
	}
	reg.MustRegister(m.open, m.refused, m.acceptErrors)
	return m
}

// limitedListener enforces the connection caps on a listener.
type limitedListener struct {
	net.Listener
	s     *Server
	max   int // 0: no cap
	perIP int // 0: no cap

	mu    sync.Mutex
	total int
	byIP  map[string]int
	lastW time.Time // last accept-error warning (one a second at most)
}

// Serve answers requests on ln, with the connection limits of Options,
// until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	return s.app.Listener(s.limitListener(ln))
}

func (s *Server) limitListener(ln net.Listener) net.Listener {
	return &limitedListener{Listener: ln, s: s, max: s.opt.MaxConns, perIP: s.opt.MaxConnsPerIP, byIP: map[string]int{}}
}

// Accept returns the next connection within the caps; it returns an error
// only when the listener is closed (or fails for good).
func (l *limitedListener) Accept() (net.Conn, error) {
	var delay time.Duration
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			reason, retry := retryableAccept(err)
			if !retry {
				return nil, err
			}
			delay = min(max(2*delay, acceptBackoffMin), acceptBackoffMax)
			l.acceptFailed(reason, err, delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		if lc := l.admit(c); lc != nil {
			return lc, nil
		}
	}
}

func (l *limitedListener) acceptFailed(reason string, err error, delay time.Duration) {
	l.s.conns.acceptErrors.WithLabelValues(reason).Inc()
	l.mu.Lock()
	warn := time.Since(l.lastW) >= time.Second
	if warn {
		l.lastW = time.Now()
	}
	open := l.total
	l.mu.Unlock()
	if warn {
		l.s.log.Warn("accept failed, retrying", "err", err, "retry_in", delay, "open_connections", open)
	}
}

// retryableAccept tells the accept errors that pass once resources free up.
func retryableAccept(err error) (string, bool) {
	for _, e := range []struct {
		errno syscall.Errno
		name  string
	}{{syscall.EMFILE, "emfile"}, {syscall.ENFILE, "enfile"}, {syscall.ENOBUFS, "enobufs"},
		{syscall.ENOMEM, "enomem"}, {syscall.ECONNABORTED, "econnaborted"}} {
		if errors.Is(err, e.errno) {
			return e.name, true
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout", true
	}
	return "", false
}

// overCapAnswer is written to a connection refused at accept.
var overCapAnswer = func() []byte {
	body := `{"error":"too many connections","code":"too_many_connections"}`
	return []byte("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\n" +
		"Content-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
}()

// admit counts c against the caps, or answers 503 and closes it (nil).
func (l *limitedListener) admit(c net.Conn) net.Conn {
	key, exempt := l.keyOf(c)
	l.mu.Lock()
	refused := ""
	switch {
	case l.max > 0 && l.total >= l.max:
		refused = "total"
	case l.perIP > 0 && !exempt && l.byIP[key] >= l.perIP:
		refused = "per_ip"
	default:
		l.total++
		if !exempt {
			l.byIP[key]++
		}
	}
	l.mu.Unlock()
	if refused != "" {
		l.s.conns.refused.WithLabelValues(refused).Inc()
		_ = c.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
		_, _ = c.Write(overCapAnswer)
		_ = c.Close()
		return nil
	}
	l.s.conns.open.Inc()
	return &limitedConn{Conn: c, release: func() { l.release(key, exempt) }}
}

func (l *limitedListener) keyOf(c net.Conn) (string, bool) {
	ta, ok := c.RemoteAddr().(*net.TCPAddr)
	if !ok {
		return "", true
	}
	a, ok := netip.AddrFromSlice(ta.IP)
	if !ok {
		return "", true
	}
	a = a.Unmap()
	return clientKey(a), l.s.proxies.trusted(a)
}

func (l *limitedListener) release(key string, exempt bool) {
	l.s.conns.open.Dec()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if exempt {
		return
	}
	if l.byIP[key]--; l.byIP[key] <= 0 {
		delete(l.byIP, key)
	}
}

// limitedConn gives its slot back once, on the first Close.
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
