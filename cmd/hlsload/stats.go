package main

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

type reqKind int

const (
	kindPlaylist reqKind = iota
	kindSegment
	kindInit
	numKinds
)

func (k reqKind) String() string { return [...]string{"playlist", "segment", "init"}[k] }

var errLimit = errors.New("request limit reached")

// Latencies are recorded in microseconds, 1 us .. 5 min, 3 significant digits.
func newHist() *hdrhistogram.Histogram {
	return hdrhistogram.New(1, int64(5*time.Minute/time.Microsecond), 3)
}

const shards = 16

type shard struct {
	mu   sync.Mutex
	lat  [numKinds]*hdrhistogram.Histogram // full response
	ttfb [numKinds]*hdrhistogram.Histogram // headers received
}

// stats collects every viewer's requests (sharded histograms: viewers
// record concurrently) and their playback outcome.
type stats struct {
	shards [shards]shard
	next   atomic.Uint32

	limit    int64 // max requests (0: none)
	issued   atomic.Int64
	limitHit atomic.Bool
	onLimit  func()

	requests  [numKinds]atomic.Int64
	status2xx [numKinds]atomic.Int64
	status4xx [numKinds]atomic.Int64
	status5xx [numKinds]atomic.Int64
	transport [numKinds]atomic.Int64
	bytes     [numKinds]atomic.Int64
	badPL     atomic.Int64

	mu        sync.Mutex
	viewers   int
	stalls    int
	stalled   int // viewers with at least one stall
	stallTime time.Duration
	skipped   int
	neverPlay int
	played    float64
	startup   *hdrhistogram.Histogram
}

func newStats(limit int64, onLimit func()) *stats {
	s := &stats{limit: limit, onLimit: onLimit, startup: newHist()}
	for i := range s.shards {
		for k := range numKinds {
			s.shards[i].lat[k], s.shards[i].ttfb[k] = newHist(), newHist()
		}
	}
	return s
}

// take reserves one request of the budget.
func (s *stats) take() bool {
	if s.limit <= 0 {
		return true
	}
	if s.issued.Add(1) > s.limit {
		if s.limitHit.CompareAndSwap(false, true) && s.onLimit != nil {
			s.onLimit()
		}
		return false
	}
	return true
}

func us(d time.Duration) int64 { return max(1, int64(d/time.Microsecond)) }

func (s *stats) record(k reqKind, status int, ttfb, total time.Duration, n int64) {
	s.requests[k].Add(1)
	s.bytes[k].Add(n)
	switch {
	case status >= 500:
		s.status5xx[k].Add(1)
	case status >= 400:
		s.status4xx[k].Add(1)
	case status >= 200 && status < 300:
		s.status2xx[k].Add(1)
	}
	sh := &s.shards[s.next.Add(1)%shards]
	sh.mu.Lock()
	_ = sh.lat[k].RecordValue(us(total))
	_ = sh.ttfb[k].RecordValue(us(ttfb))
	sh.mu.Unlock()
}

func (s *stats) transportError(k reqKind) {
	s.requests[k].Add(1)
	s.transport[k].Add(1)
}

func (s *stats) badPlaylist() { s.badPL.Add(1) }

func (s *stats) viewerDone(v *viewer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.viewers++
	s.stalls += v.ph.Stalls
	s.stallTime += v.ph.StallTime
	s.skipped += v.Skipped
	s.played += v.ph.Played
	if v.ph.Stalls > 0 {
		s.stalled++
	}
	if v.ph.started {
		_ = s.startup.RecordValue(us(v.ph.Startup))
	} else {
		s.neverPlay++
	}
}

// merged returns the merged latency and TTFB histograms of kind k.
func (s *stats) merged(k reqKind) (lat, ttfb *hdrhistogram.Histogram) {
	lat, ttfb = newHist(), newHist()
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		lat.Merge(sh.lat[k])
		ttfb.Merge(sh.ttfb[k])
		sh.mu.Unlock()
	}
	return lat, ttfb
}
