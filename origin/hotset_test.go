package origin

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"hlsorigin/fixtures"
)

// hotContents checks the hot set's accounting against the renditions'
// maps and returns, per rendition, the hot sequence numbers.
func hotContents(t *testing.T, o *Origin, rends ...*Rendition) map[*Rendition][]uint64 {
	t.Helper()
	o.hot.mu.Lock()
	defer o.hot.mu.Unlock()
	var sum int64
	out := map[*Rendition][]uint64{}
	for _, r := range rends {
		r.hotMu.RLock()
		for seq, it := range r.hot {
			if it.gone {
				t.Errorf("%s/%d: a dropped segment is still in its rendition", r.name, seq)
			}
			sum += int64(len(it.data))
			out[r] = append(out[r], seq)
		}
		r.hotMu.RUnlock()
	}
	if sum != o.hot.bytes {
		t.Fatalf("hot set counts %d bytes, the renditions hold %d", o.hot.bytes, sum)
	}
	return out
}

// TestHotSetByteBound: across channels the newest segments stay in memory
// within HotBytes, the oldest leave first, and a segment that left is
// still served, byte for byte, from the store.
func TestHotSetByteBound(t *testing.T) {
	c := newClock()
	m := fixtures.Muxed()
	seg := int64(len(m.Segments[0]))
	max := 3*seg + seg/2 // room for three segments of this fixture
	o, err := Open(Config{DataDir: t.TempDir(), Now: c.Now, HotBytes: max, ResumeMargin: time.Second}, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	a, b := newTestChannel(t, o, "a"), newTestChannel(t, o, "b")
	for _, ch := range []*Channel{a, b} {
		ingestOK(t, ch, m.InitName, m.Init)
	}
	var ra, rb *Rendition
	for k := range m.Segments {
		c.Advance(2 * time.Second)
		for _, ch := range []*Channel{a, b} {
			ingestOK(t, ch, m.SegmentNames[k], m.Segments[k])
			ingestOK(t, ch, m.PlaylistName, playlistFor(m, k))
		}
		ra, _ = a.Rendition("index")
		rb, _ = b.Rendition("index")
		hotContents(t, o, ra, rb)
		if st := o.HotStats(); st.Bytes > max || st.MaxBytes != max {
			t.Fatalf("after segment %d: %+v", k, st)
		}
	}
	hot := hotContents(t, o, ra, rb)
	last := uint64(len(m.Segments) - 1)
	// b's newest segment came in last; a's newest just before it.
	if !containsSeq(hot[rb], last) || !containsSeq(hot[ra], last) {
		t.Fatalf("the newest segments left the hot set: a %v, b %v", hot[ra], hot[rb])
	}
	if containsSeq(hot[ra], 0) || containsSeq(hot[rb], 0) {
		t.Fatalf("the oldest segments stayed: a %v, b %v", hot[ra], hot[rb])
	}
	for _, r := range []*Rendition{ra, rb} {
		for k := range m.Segments {
			got, _, err := r.Segment(uint64(k))
			if err != nil || !bytes.Equal(got, m.Segments[k]) {
				t.Fatalf("%s segment %d: %v", r.ch.rec.ID, k, err)
			}
		}
	}
}

func containsSeq(ss []uint64, s uint64) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// TestHotSetCountAndConcurrency: without a byte bound each rendition keeps
// its HotSegments newest; with one, many renditions putting and reading at
// once keep the accounting exact (run with -race).
func TestHotSetCountAndConcurrency(t *testing.T) {
	o := &Origin{cfg: Config{HotSegments: 4}, hot: &hotSet{max: -1}}
	ch := &Channel{o: o}
	r := newRendition(ch, "r")
	for seq := range uint64(10) {
		r.putHot(seq, make([]byte, 100))
	}
	if got := hotContents(t, o, r)[r]; len(got) != 4 || containsSeq(got, 5) || !containsSeq(got, 6) || !containsSeq(got, 9) {
		t.Fatalf("count bound: %v", got)
	}
	r.putHot(9, make([]byte, 50)) // the same segment again replaces it
	if st := o.HotStats(); st.Bytes != 350 {
		t.Fatalf("after a replace: %+v", st)
	}

	o = &Origin{cfg: Config{HotSegments: 8}, hot: &hotSet{max: 5_000}}
	ch = &Channel{o: o}
	rends := make([]*Rendition, 8)
	for i := range rends {
		rends[i] = newRendition(ch, fmt.Sprintf("r%d", i))
	}
	var wg sync.WaitGroup
	for i, r := range rends {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for seq := range uint64(500) {
				r.putHot(seq, make([]byte, 100+i*10))
			}
		}()
		go func() {
			defer wg.Done()
			for seq := range uint64(500) {
				r.hotMu.RLock()
				if it := r.hot[seq]; it != nil && len(it.data) != 100+i*10 {
					t.Errorf("%s/%d: %d bytes", r.name, seq, len(it.data))
				}
				r.hotMu.RUnlock()
			}
		}()
	}
	wg.Wait()
	hot := hotContents(t, o, rends...)
	if st := o.HotStats(); st.Bytes > 5_000 || st.Bytes < 5_000-170 {
		t.Fatalf("after concurrent puts: %+v", st)
	}
	for _, r := range rends {
		if len(hot[r]) > 8 {
			t.Errorf("%s keeps %v", r.name, hot[r])
		}
	}
	if n := len(o.hot.fifo) - o.hot.head; n > 2*8*8+64 {
		t.Errorf("the queue keeps %d entries for at most 64 live ones", n)
	}

	// An idle rendition's segment at the head of the queue must not let
	// the dropped segments of the busy ones pile up behind it.
	o = &Origin{cfg: Config{HotSegments: 2}, hot: &hotSet{max: 1 << 30}}
	ch = &Channel{o: o}
	idle, busy := newRendition(ch, "idle"), newRendition(ch, "busy")
	idle.putHot(0, make([]byte, 10))
	for seq := range uint64(10_000) {
		busy.putHot(seq, make([]byte, 10))
	}
	hotContents(t, o, idle, busy)
	if n := len(o.hot.fifo) - o.hot.head; n > 3*2+130 {
		t.Errorf("queue of %d entries for 3 live segments", n)
	}
}
