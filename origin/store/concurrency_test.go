package store

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestConcurrentPutsGetsAndPrune runs writers and readers on several
// channels while the clock advances across buckets and Prune drops old
// ones, with a tiny open-bucket cap so LRU eviction races with readers.
func TestConcurrentPutsGetsAndPrune(t *testing.T) {
	clk := newClock(t0)
	s := openTest(t, Options{Now: clk.Now, Retention: 3 * time.Minute, BucketSpan: time.Minute, MaxOpenBuckets: 2})
	const chans, perChan = 4, 300
	var rounds atomic.Int64 // prune rounds done; writers pace themselves on it
	var wg sync.WaitGroup
	errc := make(chan error, 64)
	for c := range chans {
		ch := fmt.Sprintf("ch%d", c)
		wg.Add(2)
		go func() { defer wg.Done(); errc <- writeChannel(s, clk, ch, perChan, &rounds) }()
		go func() { defer wg.Done(); errc <- readChannel(s, ch, perChan) }()
	}
	stop := make(chan struct{})
	var pw sync.WaitGroup
	var pruned int
	pw.Add(1)
	go func() { defer pw.Done(); errc <- advanceAndPrune(s, clk, stop, &pruned, &rounds) }()
	wg.Wait()
	close(stop)
	pw.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Error(err)
		}
	}
	if pruned == 0 {
		t.Error("no bucket was pruned during the run: the test raced nothing")
	}
	t.Logf("pruned %d buckets during the run", pruned)
}

// writeChannel waits for one prune round every 20 segments, so writes,
// reads and prunes interleave whatever the scheduler does.
func writeChannel(s *Store, clk *fakeClock, ch string, n int, rounds *atomic.Int64) error {
	for seq := range uint64(n) {
		for rounds.Load() < int64(seq/20) {
			time.Sleep(time.Millisecond)
		}
		for _, r := range []string{"a", "b"} {
			if err := s.PutSegment(ch, r, seq, clk.Now(), nil, payload(seq, 3000+int(seq))); err != nil {
				return fmt.Errorf("put %s/%s/%d: %w", ch, r, seq, err)
			}
		}
	}
	return nil
}

// readChannel reads whatever is indexed: each read is the right bytes or
// ErrNotFound (pruned meanwhile), never anything else.
func readChannel(s *Store, ch string, n int) error {
	for range n / 4 {
		var seqs []uint64
		err := s.SegmentRefs(ch, "a", 0, func(r SegmentRef) bool { seqs = append(seqs, r.Seq); return true })
		if err != nil {
			return err
		}
		for _, seq := range seqs {
			data, _, err := s.Segment(ch, "a", seq)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil || !bytes.Equal(data, payload(seq, 3000+int(seq))) {
				return fmt.Errorf("read %s/a/%d: %v (%d bytes)", ch, seq, err, len(data))
			}
		}
	}
	return nil
}

func advanceAndPrune(s *Store, clk *fakeClock, stop chan struct{}, pruned *int, rounds *atomic.Int64) error {
	for {
		select {
		case <-stop:
			return nil
		case <-time.After(2 * time.Millisecond):
		}
		st, err := s.Prune(clk.Advance(20 * time.Second))
		if err != nil {
			return err
		}
		*pruned += st.Buckets
		rounds.Add(1)
		if err := s.Sync(); err != nil {
			return err
		}
	}
}
