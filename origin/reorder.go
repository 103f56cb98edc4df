package origin

import (
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Encoders number their segments, and an HTTP client may deliver two of
// them out of order (ffmpeg does when it flushes its last segments): a
// segment that arrives ahead of a missing predecessor is staged (durably,
// as any staged segment) and committed once the predecessor is committed,
// or once it has waited a target duration (the predecessor is lost).

// maxHold bounds how far ahead of the last committed number a segment is
// held, and how many are held at once; beyond it the encoder renumbered.
const maxHold = 4

// segNum is the number of a segment name after its learned prefix.
func (r *Rendition) segNum(name string) (int64, bool) {
	p := r.ch.prefixFor(name)
	if p == "" {
		return 0, false
	}
	rest := strings.TrimLeft(name[len(p):], "_-")
	n, err := strconv.ParseInt(strings.TrimSuffix(rest, path.Ext(rest)), 10, 64)
	return n, err == nil
}

// holdBack reports whether name arrived ahead of a missing predecessor.
func (r *Rendition) holdBack(name string) bool {
	n, ok := r.segNum(name)
	return ok && r.hasNum && n > r.lastNum+1 && n <= r.lastNum+maxHold && len(r.pending) < maxHold
}

// holdFor is how long a segment waits for a missing predecessor.
func (r *Rendition) holdFor() time.Duration {
	return time.Duration(max(r.rec.Target, 2)) * time.Second
}

// drain commits r's staged segments in number order, keeping back those
// whose predecessor is missing and that have not waited holdFor yet.
// Called with ch.mu held.
func (r *Rendition) drain(now time.Time) {
	if len(r.inits) == 0 {
		return
	}
	r.sortPending()
	for len(r.pending) > 0 {
		name := r.pending[0]
		st, staged := r.ch.staged[name]
		if !staged {
			r.pending = r.pending[1:]
			continue
		}
		if n, ok := r.segNum(name); ok && r.hasNum && n > r.lastNum+1 && now.Sub(st.at) < r.holdFor() {
			return
		}
		r.pending = r.pending[1:]
		if err := r.commitStaged(name, now); err != nil {
			r.ch.o.log.Warn("staged segment dropped", "channel", r.ch.rec.ID, "name", name, "err", err)
			if h := r.ch.o.hooks.SegmentDropped; h != nil {
				h(r.ch.rec.ID, name, err)
			}
		}
	}
	r.pending = nil
}

// sortPending orders pending names by segment number; unnumbered names
// keep their arrival order ahead of numbered ones.
func (r *Rendition) sortPending() {
	slices.SortStableFunc(r.pending, func(a, b string) int {
		na, oka := r.segNum(a)
		nb, okb := r.segNum(b)
		switch {
		case !oka && !okb:
			return 0
		case !oka:
			return -1
		case !okb:
			return 1
		}
		return int(min(max(na-nb, -1), 1))
	})
}

// drainHeld commits segments held past their wait (the predecessor never
// came and no later ingest triggered a drain).
func (ch *Channel) drainHeld() {
	ch.ingestMu.Lock()
	defer ch.ingestMu.Unlock()
	ch.mu.Lock()
	defer ch.mu.Unlock()
	ch.drainPendingLocked(ch.o.cfg.Now())
}

// drainPendingLocked drains every rendition with staged segments waiting.
// Called with ingestMu and mu held.
func (ch *Channel) drainPendingLocked(now time.Time) {
	for _, r := range ch.rends {
		if len(r.pending) > 0 {
			r.drain(now)
		}
	}
}
