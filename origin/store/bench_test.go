package store

import (
	"fmt"
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
