package origin

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"hlsorigin/fixtures"
)

func TestSegCacheLRUBytes(t *testing.T) {
	c := newSegCache(800) // entries up to 100 bytes
	r1, r2 := &Rendition{}, &Rendition{}
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for i := range uint64(8) {
		c.put(segKey{r1, i}, bytes.Repeat([]byte{byte(i)}, 100), t0.Add(time.Duration(i)*time.Second))
	}
	if _, ok := c.get(segKey{r2, 0}); ok {
		t.Fatal("another rendition's seq 0 was a hit")
	}
	if b, ok := c.get(segKey{r1, 0}); !ok || b[0] != 0 || len(b) != 100 {
		t.Fatalf("seq 0: %v %v", ok, len(b))
	}
	// Seq 0 was just used: adding one more evicts seq 1, the least recent.
	c.put(segKey{r2, 0}, make([]byte, 100), t0)
	if _, ok := c.get(segKey{r1, 1}); ok {
		t.Fatal("seq 1 survived past the byte budget")
	}
	for _, k := range []segKey{{r1, 0}, {r1, 2}, {r1, 7}, {r2, 0}} {
		if _, ok := c.get(k); !ok {
			t.Fatalf("%d evicted", k.seq)
		}
	}
	st := (&Origin{segs: c}).SegmentCacheStats()
	if st.Bytes != 800 || st.Entries != 8 || st.Hits != 5 {
		t.Fatalf("stats %+v", st)
	}
	c.put(segKey{r1, 99}, make([]byte, 101), t0) // over max/8: not cached
	if _, ok := c.get(segKey{r1, 99}); ok {
		t.Fatal("an oversized segment was cached")
	}
	c.dropBefore(t0.Add(5 * time.Second)) // keeps seqs 5, 6, 7
	if st := (&Origin{segs: c}).SegmentCacheStats(); st.Entries != 3 || st.Bytes != 300 {
		t.Fatalf("after dropBefore: %+v", st)
	}
	off := newSegCache(-1)
	off.put(segKey{r1, 0}, []byte{1}, t0)
	if _, ok := off.get(segKey{r1, 0}); ok {
		t.Fatal("a disabled cache answered")
	}
}

// A segment that left the hot set is read from the store once, then served
// from memory (the same bytes, no copy); exports do not fill the cache;
// pruning past the retention empties it so nothing outlives the archive.
func TestArchiveSegmentCache(t *testing.T) {
	c := newClock()
	o, err := Open(Config{DataDir: t.TempDir(), Now: c.Now, HotSegments: 1, Retention: time.Hour}, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	ch := newTestChannel(t, o, "c")
	m := fixtures.Muxed()
	publishFixture(t, ch, c, m)
	r, err := ch.Rendition("index")
	if err != nil {
		t.Fatal(err)
	}
	if _, notYet, err := r.Segment(99); !notYet || !errors.Is(err, ErrNotFound) {
		t.Fatalf("future segment: %v %v", notYet, err)
	}
	if st := o.SegmentCacheStats(); st.Misses != 0 || st.Entries != 0 {
		t.Fatalf("a future segment touched the cache: %+v", st)
	}
	first, _, err := r.Segment(0)
	if err != nil {
		t.Fatal(err)
	}
	again, _, err := r.Segment(0)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, m.Segments[0]) || &first[0] != &again[0] {
		t.Fatal("second read is not the cached slice of the stored bytes")
	}
	if st := o.SegmentCacheStats(); st.Misses != 1 || st.Hits != 1 || st.Entries != 1 || st.Bytes != int64(len(first)) {
		t.Fatalf("stats %+v", st)
	}
	b, _, err := r.ArchiveSource().Segment(1)
	if err != nil || !bytes.Equal(b, m.Segments[1]) {
		t.Fatalf("archive read: %v", err)
	}
	if st := o.SegmentCacheStats(); st.Entries != 1 {
		t.Fatalf("an archive read filled the cache: %+v", st)
	}
	c.Advance(3 * time.Hour)
	o.Prune()
	if st := o.SegmentCacheStats(); st.Entries != 0 || st.Bytes != 0 {
		t.Fatalf("cache outlived the retention: %+v", st)
	}
	if _, _, err := r.Segment(0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("segment 0 past the retention: %v", err)
	}
}
