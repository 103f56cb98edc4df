package origin

import "sync"

// hotSet bounds the memory of the recent segments every rendition keeps
// for serving the live edge. Each rendition keeps at most
// Config.HotSegments of its newest segments; across all renditions the
// bytes stay within Config.HotBytes, the oldest segments leaving first (a
// many-channel origin would otherwise hold HotSegments x renditions x
// segment size: 2.4 GB at 200 renditions of 3 Mbit/s). A segment that
// leaves is read from the store (through the archive segment cache) when
// asked for again.
type hotSet struct {
	max int64 // < 0: no byte bound

	mu    sync.Mutex
	bytes int64
	fifo  []*hotItem // insertion order; fifo[head:] are live or already dropped
	head  int
	dead  int // dropped items still in fifo[head:]
}

type hotItem struct {
	r    *Rendition
	seq  uint64
	data []byte
	gone bool // dropped from its rendition (by count or by bytes); guarded by hotSet.mu
}

// HotStats describes the hot set.
type HotStats struct {
	Bytes    int64 `json:"bytes"`
	MaxBytes int64 `json:"max_bytes"`
}

// HotStats returns the bytes held by recent segments across renditions.
func (o *Origin) HotStats() HotStats {
	o.hot.mu.Lock()
	defer o.hot.mu.Unlock()
	return HotStats{Bytes: o.hot.bytes, MaxBytes: o.hot.max}
}

// put adds segment seq of r, drops r's segments beyond keep newest, then
// the oldest segments of any rendition while over the byte bound.
func (h *hotSet) put(r *Rendition, seq uint64, data []byte, keep uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	it := &hotItem{r: r, seq: seq, data: data}
	r.hotMu.Lock()
	if old := r.hot[seq]; old != nil {
		h.dropLocked(old, false)
	}
	r.hot[seq] = it
	for s, o := range r.hot {
		if s+keep <= seq {
			delete(r.hot, s)
			h.dropLocked(o, false)
		}
	}
	r.hotMu.Unlock()
	h.fifo = append(h.fifo, it)
	h.bytes += int64(len(data))
	for h.max >= 0 && h.bytes > h.max && h.head < len(h.fifo) {
		old := h.fifo[h.head]
		h.fifo[h.head] = nil
		h.head++
		h.dropLocked(old, true) // no-op when the count bound dropped it already
		h.dead--                // either way it is dropped and out of the queue
	}
	// Segments dropped by the count bound stay queued until they reach
	// the head; an idle rendition's segments may keep them from it, so the
	// queue is filtered once the dropped ones outnumber the rest.
	if h.dead > 64 && h.dead*2 > len(h.fifo)-h.head {
		live := make([]*hotItem, 0, len(h.fifo)-h.head-h.dead)
		for _, q := range h.fifo[h.head:] {
			if !q.gone {
				live = append(live, q)
			}
		}
		h.fifo, h.head, h.dead = live, 0, 0
	} else if h.head > 64 && h.head*2 > len(h.fifo) {
		h.fifo = append([]*hotItem(nil), h.fifo[h.head:]...)
		h.head = 0
	}
}

// dropLocked forgets it (once). With unlink it also removes it from its
// rendition, whose hotMu the caller must not hold then; without, the
// caller holds that hotMu (readers see data only under it).
func (h *hotSet) dropLocked(it *hotItem, unlink bool) {
	if it.gone {
		return
	}
	if unlink {
		it.r.hotMu.Lock()
		defer it.r.hotMu.Unlock()
		if it.r.hot[it.seq] == it {
			delete(it.r.hot, it.seq)
		}
	}
	it.gone = true
	h.bytes -= int64(len(it.data))
	it.data = nil // a queued dropped item must not keep the bytes alive
	h.dead++
}
