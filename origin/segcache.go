package origin

import (
	"container/list"
	"sync"
	"sync/atomic"
	"time"
)

// segCache keeps archive segments read back from the store (those that
// left their rendition's hot set: a player behind the live edge, a
// replay viewer, a CDN refilling) in memory, bounded in bytes, least
// recently used out first. A hit serves the cached slice itself, so it
// costs what a hot segment costs instead of a store read and a copy.
//
// Segment bytes never change once stored (a sequence number is written
// once per rendition), so an entry never needs invalidating; Prune drops
// entries older than the retention so the cache never outlives the
// archive.
type segCache struct {
	max int64 // bytes; 0 disables

	mu    sync.Mutex
	size  int64
	items map[segKey]*list.Element
	order list.List // front = most recently used; values are *segEntry

	hits, misses atomic.Uint64
}

type segKey struct {
	r   *Rendition
	seq uint64
}

type segEntry struct {
	key  segKey
	data []byte
	at   time.Time // program date time of the segment
}

func newSegCache(maxBytes int64) *segCache {
	return &segCache{max: max(maxBytes, 0), items: map[segKey]*list.Element{}}
}

// get returns the cached bytes of k and marks them recently used. The
// caller counts misses (a lookup of a segment not produced yet is none).
func (c *segCache) get(k segKey) ([]byte, bool) {
	if c.max == 0 {
		return nil, false
	}
	c.mu.Lock()
	e, ok := c.items[k]
	if ok {
		c.order.MoveToFront(e)
	}
	c.mu.Unlock()
	if !ok {
		return nil, false
	}
	c.hits.Add(1)
	return e.Value.(*segEntry).data, true
}

// put caches data (which the caller never modifies afterwards), evicting
// the least recently used entries beyond the budget. A segment larger
// than an eighth of the budget is not cached: it would flush too much.
func (c *segCache) put(k segKey, data []byte, at time.Time) {
	n := int64(len(data))
	if c.max == 0 || n > c.max/8 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[k]; ok {
		return
	}
	c.items[k] = c.order.PushFront(&segEntry{key: k, data: data, at: at})
	c.size += n
	for c.size > c.max {
		c.remove(c.order.Back())
	}
}

// dropBefore removes entries of segments older than cutoff.
func (c *segCache) dropBefore(cutoff time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for e := c.order.Front(); e != nil; {
		next := e.Next()
		if e.Value.(*segEntry).at.Before(cutoff) {
			c.remove(e)
		}
		e = next
	}
}

func (c *segCache) remove(e *list.Element) {
	se := c.order.Remove(e).(*segEntry)
	delete(c.items, se.key)
	c.size -= int64(len(se.data))
}

// SegmentCacheStats describes the archive segment cache.
type SegmentCacheStats struct {
	Hits     uint64 `json:"hits"`
	Misses   uint64 `json:"misses"`
	Bytes    int64  `json:"bytes"`
	Entries  int    `json:"entries"`
	MaxBytes int64  `json:"max_bytes"`
}

// SegmentCacheStats reports the archive segment cache's use.
func (o *Origin) SegmentCacheStats() SegmentCacheStats {
	c := o.segs
	c.mu.Lock()
	defer c.mu.Unlock()
	return SegmentCacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Bytes: c.size,
		Entries: len(c.items), MaxBytes: c.max}
}
