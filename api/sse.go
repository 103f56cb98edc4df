package api

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"hlsorigin/origin"
)

// Event streams (Server-Sent Events) are capped in total
// (Options.MaxEventStreams, default 5,000) and per client address
// (MaxEventStreamsPerIP, default 32; IPv6 per /64): over a cap the answer
// is 503 or 429 with Retry-After. A stream ends, and its subscription is
// dropped, as soon as the client's connection closes (a watcher reads the
// connection), not at the next write. The replay of a reconnect with
// Last-Event-ID is bounded to MaxReplayBytes (default 64 KiB) of event
// data, newest kept: when older events are left out the stream starts
// with a "sync" event carrying the channel's state, as when they are no
// longer known.

// Event stream defaults.
const (
	DefaultMaxEventStreams      = 5000
	DefaultMaxEventStreamsPerIP = 32
	DefaultMaxReplayBytes       = 64 << 10
)

// sseKeepAlive is how often an idle event stream sends a comment, so that
// proxies keep it open.
const sseKeepAlive = 15 * time.Second

type sseMetrics struct {
	refused   *prometheus.CounterVec
	truncated prometheus.Counter
}

func newSSEMetrics(reg *prometheus.Registry) *sseMetrics {
	m := &sseMetrics{
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hlsorigin_event_streams_refused_total",
			Help: "Event streams refused because a cap was reached, by cap (total, per_ip)."}, []string{"cap"}),
		truncated: prometheus.NewCounter(prometheus.CounterOpts{Name: "hlsorigin_event_replays_truncated_total",
			Help: "Last-Event-ID replays cut to the replay byte bound."}),
	}
	reg.MustRegister(m.refused, m.truncated)
	return m
}

// sseSlots counts open event streams.
type sseSlots struct {
	mu    sync.Mutex
	total int
	byKey map[string]int
}

// acquire takes a stream slot for a client key, or says which cap refused it.
func (s *Server) acquireStream(key string) (release func(), err error) {
	sl := &s.sseSlots
	sl.mu.Lock()
	defer sl.mu.Unlock()
	switch {
	case sl.total >= s.opt.MaxEventStreams:
		s.sseMetrics.refused.WithLabelValues("total").Inc()
		return nil, fmt.Errorf("too many event streams open, retry later: %w", errStreamsFull)
	case sl.byKey[key] >= s.opt.MaxEventStreamsPerIP:
		s.sseMetrics.refused.WithLabelValues("per_ip").Inc()
		return nil, fmt.Errorf("too many event streams from this address (at most %d): %w", s.opt.MaxEventStreamsPerIP, origin.ErrRateLimited)
	}
	if sl.byKey == nil {
		sl.byKey = map[string]int{}
	}
	sl.total++
	sl.byKey[key]++
	var once sync.Once
	return func() {
		once.Do(func() {
			sl.mu.Lock()
			defer sl.mu.Unlock()
			sl.total--
			if sl.byKey[key]--; sl.byKey[key] <= 0 {
				delete(sl.byKey, key)
			}
		})
	}, nil
}

// boundReplay keeps the newest events of a backlog within maxBytes of
// event data; complete turns false when older ones are left out.
func boundReplay(backlog []origin.Event, complete bool, maxBytes int) ([]origin.Event, bool) {
	n := 0
	for i := len(backlog) - 1; i >= 0; i-- {
		n += len(backlog[i].Data) + len(backlog[i].Type) + 32 // "id: ...\nevent: ...\ndata: ...\n\n"
		if n > maxBytes {
			return backlog[i+1:], false
		}
	}
	return backlog, complete
}

// watchGone reads the connection (an event stream's client sends nothing
// more) and closes the returned channel when it ends: EOF, reset, or the
// read deadline the stream sets when it finishes.
func watchGone(conn net.Conn) <-chan struct{} {
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		buf := make([]byte, 512)
		for {
			if _, err := conn.Read(buf); err != nil {
				return
			}
		}
	}()
	return gone
}

// events serves a channel's events as Server-Sent Events. A client that
// reconnects with Last-Event-ID (header, or ?last_event_id= for clients
// that cannot set it) gets what it missed; when that is no longer known
// (or over the replay bound) it first gets a "sync" event with the
// channel's current state.
func (s *Server) events(c *fiber.Ctx) error {
	ch, err := s.o.Channel(c.Params("id"))
	if err != nil {
		return s.writeError(c, err)
	}
	last := c.Get("Last-Event-ID")
	if last == "" {
		last = c.Query("last_event_id")
	}
	var lastID uint64
	if last != "" {
		if lastID, err = strconv.ParseUint(last, 10, 64); err != nil {
			return s.writeError(c, fmt.Errorf("Last-Event-ID %q: %w", last, origin.ErrInvalid))
		}
	}
	release, err := s.acquireStream(s.clientKeyOf(c))
	if err != nil {
		c.Set(fiber.HeaderRetryAfter, "5")
		return s.writeError(c, err)
	}
	backlog, complete, sub := ch.Subscribe(lastID)
	if kept, ok := boundReplay(backlog, complete, s.opt.MaxReplayBytes); len(kept) < len(backlog) {
		s.sseMetrics.truncated.Inc()
		backlog, complete = kept, ok
	}
	state, _ := json.Marshal(s.channelView(ch))
	c.Set(fiber.HeaderContentType, "text/event-stream; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Accel-Buffering", "no")
	c.Context().SetConnectionClose() // the stream owns the connection until it ends
	conn := c.Context().Conn()
	_ = conn.SetReadDeadline(time.Time{}) // the request's read timeout must not end the stream
	gone := watchGone(conn)
	done := s.done
	s.metrics.sseClients.Inc()
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer s.metrics.sseClients.Dec()
		defer release()
		defer sub.Cancel()
		defer conn.SetReadDeadline(time.Now()) // ends the watcher
		send := func(write func()) bool {
			_ = conn.SetWriteDeadline(time.Now().Add(2 * sseKeepAlive))
			write()
			return w.Flush() == nil
		}
		ok := send(func() {
			fmt.Fprintf(w, "retry: 2000\n\n")
			if lastID == 0 || !complete {
				fmt.Fprintf(w, "event: sync\ndata: %s\n\n", state)
			}
			for _, ev := range backlog {
				writeEvent(w, ev)
			}
		})
		tick := time.NewTicker(sseKeepAlive)
		defer tick.Stop()
		for ok {
			select {
			case ev, open := <-sub.C:
				if !open {
					return // lagged too far: the client reconnects with Last-Event-ID
				}
				ok = send(func() {
					writeEvent(w, ev)
					for len(sub.C) > 0 { // batch what is already queued
						if ev, open = <-sub.C; open {
							writeEvent(w, ev)
						}
					}
				})
			case <-tick.C:
				ok = send(func() { fmt.Fprintf(w, ": keep-alive\n\n") })
			case <-gone:
				return
			case <-done:
				return
			}
		}
	})
	return nil
}
