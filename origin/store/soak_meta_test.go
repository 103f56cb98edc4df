package store

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestSoakMeta (HLSORIGIN_SOAK=1) churns the segment index of many
// renditions with tiny blobs, so the meta DB sees far more index writes and
// prune deletes than the media soak, and prints its size over time: it must
// plateau (memtables flush, compaction drops tombstones) rather than grow
// with the number of segments ever written.
func TestSoakMeta(t *testing.T) {
	if os.Getenv("HLSORIGIN_SOAK") != "1" {
		t.Skip("set HLSORIGIN_SOAK=1 to run the meta soak")
	}
	const chans, rends = 50, 4
	retention, span, sim := 10*time.Minute, time.Minute, soakMinutes(120)*time.Minute
	clk := newClock(t0)
	s := openTest(t, Options{Now: clk.Now, Retention: retention, BucketSpan: span})
	meta := make([]byte, 120) // about the origin's JSON segment info
	began := time.Now()
	fmt.Printf("meta soak: %d renditions x 1 segment / 2 s, retention %v, bucket %v\n", chans*rends, retention, span)
	fmt.Printf("%8s %14s %10s %10s\n", "sim", "index writes", "meta MB", "total MB")
	var firstHalf, secondHalf int64 // highest meta size in each half
	for step := 0; time.Duration(step)*2*time.Second <= sim; step++ {
		now := clk.Now()
		if el := now.Sub(t0); el%(5*time.Minute) == 0 {
			_, err := s.Prune(now)
			must(t, err)
			m, _ := dirUsage(filepath.Join(s.o.Dir, "meta"))
			total, _ := s.DiskUsage()
			fmt.Printf("%8v %14d %10.2f %10.2f\n", el, step*chans*rends, mb(m), mb(total))
			if el <= sim/2 {
				firstHalf = max(firstHalf, m)
			} else {
				secondHalf = max(secondHalf, m)
			}
		} else if el%(30*time.Second) == 0 {
			_, err := s.Prune(now)
			must(t, err)
		}
		putStep(t, s, chans, rends, uint64(step), now, meta)
		clk.Advance(2 * time.Second)
	}
	fmt.Printf("meta soak took %v; highest meta size %.1f MB in the first half, %.1f MB in the second\n",
		time.Since(began).Round(time.Second), mb(firstHalf), mb(secondHalf))
	if secondHalf > 2*firstHalf {
		t.Errorf("meta DB keeps growing: %d bytes at most in the second half, %d in the first", secondHalf, firstHalf)
	}
}

// putStep writes one tiny segment per rendition, one goroutine per channel.
func putStep(t *testing.T, s *Store, chans, rends int, seq uint64, now time.Time, meta []byte) {
	var wg sync.WaitGroup
	for c := range chans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rends {
				if err := s.PutSegment(fmt.Sprintf("c%d", c), fmt.Sprintf("v%d", r), seq, now, meta, meta[:64]); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
}
