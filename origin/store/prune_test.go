package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// ingestHours simulates hours of ingest on 2 renditions, one segment per
// rendition every 10 simulated minutes, pruning every hour like the origin.
// Seq n was stamped at t0 + n*10min.
func ingestHours(t *testing.T, s *Store, clk *fakeClock, hours int) {
	t.Helper()
	seq := uint64(0)
	for now := clk.Now(); now.Before(t0.Add(time.Duration(hours) * time.Hour)); now = clk.Advance(10 * time.Minute) {
		for _, rend := range []string{"v1", "v2"} {
			must(t, s.PutSegment("ch", rend, seq, now, nil, payload(seq, 4000)))
		}
		must(t, s.PutStaged("ch", fmt.Sprintf("st%d.m4s", seq), now, nil, payload(seq, 2000)))
		if now.Minute() == 0 {
			_, err := s.Prune(now)
			must(t, err)
		}
		seq++
	}
}

func TestPruneDropsExpiredBuckets(t *testing.T) {
	clk := newClock(t0)
	s := openTest(t, Options{Now: clk.Now, Retention: 24 * time.Hour, BucketSpan: time.Hour})
	ingestHours(t, s, clk, 30) // last write at 29:50
	now := clk.Now()           // 30:00
	st, err := s.Prune(now)
	must(t, err)
	// Buckets ending at or before now-24h = 6:00 are gone: 0:00..5:00.
	if st.Buckets != 1 || st.Segments != 12 || st.Staged != 6 {
		t.Errorf("last prune %+v, want the 5:00 bucket with 12 segments and 6 staged", st)
	}
	var want []string
	for h := 6; h < 30; h++ {
		want = append(want, fmt.Sprint(t0.Add(time.Duration(h)*time.Hour).Unix()))
	}
	if got := bucketDirs(t, s); !reflect.DeepEqual(got, want) {
		t.Errorf("bucket dirs %v\nwant %v", got, want)
	}
	first := uint64(6 * 6) // first seq stamped at 6:00
	for seq := uint64(0); seq < 30*6; seq++ {
		data, _, err := s.Segment("ch", "v2", seq)
		_, _, _, serr := s.Staged("ch", fmt.Sprintf("st%d.m4s", seq))
		if seq < first && (!errors.Is(err, ErrNotFound) || !errors.Is(serr, ErrNotFound)) {
			t.Fatalf("expired seq %d: %v / %v", seq, err, serr)
		}
		if seq >= first && (err != nil || serr != nil || !bytes.Equal(data, payload(seq, 4000))) {
			t.Fatalf("retained seq %d: %v / %v", seq, err, serr)
		}
	}
	checkSeqs(t, s, "ch", "v1", 0, seqRange(first, 30*6))
	if names, _ := s.StagedNames("ch"); len(names) != 30*6-int(first) {
		t.Errorf("%d staged names left, want %d", len(names), 30*6-int(first))
	}
	if n := countPrefix(t, s, []byte{preMember[0], sep}); n != 3*(30*6-int(first)) {
		t.Errorf("%d membership keys left, want %d", n, 3*(30*6-int(first)))
	}
}

func TestPruneKeepsRewrittenSegment(t *testing.T) {
	clk := newClock(t0)
	s := openTest(t, Options{Now: clk.Now, Retention: 2 * time.Hour, BucketSpan: time.Hour})
	must(t, s.PutSegment("c", "r", 1, clk.Now(), nil, []byte("old-old-old")))
	must(t, s.PutSegment("c", "r", 2, clk.Now(), nil, []byte("gone")))
	now := clk.Advance(2 * time.Hour)
	must(t, s.PutSegment("c", "r", 1, now, nil, []byte("new")))
	st, err := s.Prune(clk.Advance(time.Hour))
	must(t, err)
	data, _, err := s.Segment("c", "r", 1)
	if err != nil || string(data) != "new" || st.Segments != 1 || st.Buckets != 1 {
		t.Fatalf("rewritten seq: %q %v, stats %+v", data, err, st)
	}
}

func TestPrunedBucketReadsNotFound(t *testing.T) {
	clk := newClock(t0)
	s := openTest(t, Options{Now: clk.Now, Retention: time.Hour, BucketSpan: time.Hour})
	must(t, s.PutSegment("c", "r", 1, clk.Now(), nil, payload(1, 5000)))
	// Simulate a crash after the directory went but before the index did.
	must(t, s.bk.drop(t0.Unix()))
	if _, _, err := s.Segment("c", "r", 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("dangling index entry: %v", err)
	}
	must(t, s.Close())
	s = openTest(t, Options{Dir: s.o.Dir, Now: clk.Now, Retention: time.Hour, BucketSpan: time.Hour})
	if _, _, err := s.Segment("c", "r", 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("dangling index entry after reopen: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.o.Dir, "blobs", fmt.Sprint(t0.Unix()))); !os.IsNotExist(err) {
		t.Fatalf("read of a pruned bucket recreated its directory: %v", err)
	}
}

func TestOpenBucketsStayBounded(t *testing.T) {
	clk := newClock(t0)
	s := openTest(t, Options{Now: clk.Now, MaxOpenBuckets: 3})
	for h := range 8 {
		must(t, s.PutSegment("c", "r", uint64(h), clk.Now(), nil, payload(uint64(h), 3000)))
		clk.Advance(time.Hour)
	}
	for round := range 3 {
		for h := range 8 {
			data, _, err := s.Segment("c", "r", uint64(h))
			if err != nil || !bytes.Equal(data, payload(uint64(h), 3000)) {
				t.Fatalf("round %d seq %d: %v", round, h, err)
			}
			if n := openBuckets(s); n > 3 {
				t.Fatalf("%d buckets open, max 3", n)
			}
		}
	}
}

func openBuckets(s *Store) int {
	s.bk.mu.Lock()
	defer s.bk.mu.Unlock()
	return s.bk.openCountLocked()
}

func bucketDirs(t *testing.T, s *Store) []string {
	t.Helper()
	starts, err := s.bk.starts()
	must(t, err)
	var out []string
	for _, b := range starts {
		out = append(out, fmt.Sprint(b))
	}
	return out
}

func countPrefix(t *testing.T, s *Store, p []byte) int {
	t.Helper()
	ks, err := s.keys("count", p)
	must(t, err)
	return len(ks)
}

func seqRange(from, to uint64) []uint64 {
	var out []uint64
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}
