package store

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// BenchmarkSegmentRead measures Segment (index lookup, blob copy out of the
// value log, CRC check) for typical segment sizes.
func BenchmarkSegmentRead(b *testing.B) {
	for _, size := range []int{200_000, 2 << 20} {
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			s := openTest(b, Options{})
			for seq := range uint64(16) {
				must(b, s.PutSegment("c", "r", seq, time.Now(), nil, payload(seq, size)))
			}
			b.SetBytes(int64(size))
			for i := 0; b.Loop(); i++ {
				if _, _, err := s.Segment("c", "r", uint64(i%16)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSegmentPut measures one acknowledged PutSegment (two txns).
func BenchmarkSegmentPut(b *testing.B) {
	s := openTest(b, Options{})
	data := payload(1, 500_000)
	b.SetBytes(int64(len(data)))
	for i := 0; b.Loop(); i++ {
		must(b, s.PutSegment("c", "r", uint64(i), time.Now(), nil, data))
	}
}

// BenchmarkPutSegmentTail measures PutSegment latency while many channels
// publish at once (32 writers, 750 KB segments, 60 MB/s in all, the value
// log rotating every ~1 s), with value-log writeback on and, as the
// baseline in the same run, off. The tail is what an encoder's PUT waits.
func BenchmarkPutSegmentTail(b *testing.B) {
	const writers, size, rate = 32, 750_000, 60 << 20
	const phase = 8 * time.Second
	run := func(wb time.Duration) (p50, p99 time.Duration) {
		s := openTest(b, Options{Writeback: wb, MinFreeBytes: -1})
		every := time.Second * writers * size / rate
		data := payload(1, size)
		lat := make([][]time.Duration, writers)
		var wg sync.WaitGroup
		end := time.Now().Add(phase)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				next := time.Now().Add(every * time.Duration(w) / writers)
				for seq := uint64(0); ; seq++ {
					time.Sleep(time.Until(next))
					if time.Now().After(end) {
						return
					}
					t := time.Now()
					if err := s.PutSegment(fmt.Sprintf("c%d", w), "v", seq, t, nil, data); err != nil {
						b.Error(err)
						return
					}
					lat[w] = append(lat[w], time.Since(t))
					next = next.Add(every)
				}
			}()
		}
		wg.Wait()
		var all []time.Duration
		for _, l := range lat {
			all = append(all, l...)
		}
		slices.Sort(all)
		if len(all) == 0 {
			b.Fatal("no writes")
		}
		return all[len(all)/2], all[len(all)*99/100]
	}
	for b.Loop() {
		off50, off99 := run(-1)
		on50, on99 := run(defaultWriteback)
		b.Logf("writeback off: p50 %v p99 %v; on: p50 %v p99 %v; p99 off/on %.2fx", off50, off99, on50, on99,
			float64(off99)/float64(on99))
		b.ReportMetric(float64(on99.Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(off99)/float64(on99), "p99-off/on")
	}
}
