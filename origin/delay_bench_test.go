package origin

import (
	"fmt"
	"testing"
	"time"

	"hlsorigin/fixtures"
)

// BenchmarkBackdatedPause: a pause 3 s in the past under a 6 s delay
// (re-splice of the two unlisted segments it hides, one split, in one
// store batch) against a pause at now in the same run (the baseline: no
// re-splice). Reports the ratio.
func BenchmarkBackdatedPause(b *testing.B) {
	run := func(b *testing.B, back time.Duration) time.Duration {
		c := newClock()
		o, err := Open(Config{DataDir: b.TempDir(), Now: c.Now, ResumeMargin: time.Second, PublishDelay: 6 * time.Second}, Hooks{})
		if err != nil {
			b.Fatal(err)
		}
		defer o.Close()
		var total time.Duration
		for i := 0; i < b.N; i++ {
			ch, _, err := o.CreateChannel(fmt.Sprintf("b%d", i), "bench")
			if err != nil {
				b.Fatal(err)
			}
			start := c.Now()
			benchSend(b, ch, c)
			at := start.Add(6*time.Second - back)
			t0 := time.Now()
			if _, err := ch.Pause(PauseRequest{At: &at}); err != nil {
				b.Fatal(err)
			}
			if err := ch.Reconcile(); err != nil {
				b.Fatal(err)
			}
			total += time.Since(t0)
			c.Advance(time.Minute)
		}
		b.ReportMetric(float64(total.Microseconds())/float64(b.N), "µs/pause")
		return total / time.Duration(b.N)
	}
	var now, back time.Duration
	b.Run("now", func(b *testing.B) { now = run(b, 0) })
	b.Run("back3s", func(b *testing.B) { back = run(b, 3*time.Second) })
	if now > 0 {
		fmt.Printf("pause at now %v, back-dated 3 s (re-splice) %v: %.1fx\n", now, back, float64(back)/float64(now))
	}
}

// benchSend is sendAll for benchmarks.
func benchSend(b *testing.B, ch *Channel, c *clock) {
	m := fixtures.Muxed()
	must := func(name string, body []byte) {
		if err := ch.Ingest(name, body); err != nil {
			b.Fatal(err)
		}
	}
	must(m.InitName, m.Init)
	for k := range m.Segments {
		c.Advance(2 * time.Second)
		must(m.SegmentNames[k], m.Segments[k])
		must(m.PlaylistName, playlistFor(m, k))
	}
}
