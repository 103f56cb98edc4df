package store

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// soakLoad is a scaled live workload: rends segments of size bytes every
// step of simulated time, pruned every pruneEvery, sampled every sample.
type soakLoad struct {
	rends      int
	size       int
	step       time.Duration
	retention  time.Duration
	span       time.Duration
	sim        time.Duration
	pruneEvery time.Duration
	sample     time.Duration
}

// rate is the ingest rate in bytes per simulated second.
func (w soakLoad) rate() float64 { return float64(w.rends*w.size) / w.step.Seconds() }

// retained is what the bucket design must keep at most: retention plus one
// bucket span (the bucket that has not fully expired yet) of ingest.
func (w soakLoad) retained() int64 { return int64(w.rate() * (w.retention + w.span).Seconds()) }

// sink is a storage design under test.
type sink interface {
	put(rend string, seq uint64, at time.Time, data []byte) error
	prune(now time.Time) error
	usage() (total, meta int64, err error)
}

type storeSink struct{ s *Store }

func (k storeSink) put(rend string, seq uint64, at time.Time, data []byte) error {
	return k.s.PutSegment("soak", rend, seq, at, nil, data)
}
func (k storeSink) prune(now time.Time) error { _, err := k.s.Prune(now); return err }
func (k storeSink) usage() (int64, int64, error) {
	total, err := k.s.DiskUsage()
	if err != nil {
		return 0, 0, err
	}
	meta, err := dirUsage(filepath.Join(k.s.o.Dir, "meta"))
	return total, meta, err
}

type soakSample struct {
	at    time.Duration
	bytes []int64 // total disk per sink
	meta  []int64 // of which metadata
}

// runSoak drives every sink with the same workload and clock; it returns
// disk usage per sample, one column per sink.
func runSoak(t testing.TB, w soakLoad, clk *fakeClock, sinks ...sink) []soakSample {
	t.Helper()
	data := payload(42, w.size)
	var out []soakSample
	start := clk.Now()
	for seq := uint64(0); ; seq++ {
		now := clk.Now()
		el := now.Sub(start)
		if el%w.pruneEvery == 0 && el > 0 {
			for _, k := range sinks {
				must(t, k.prune(now))
			}
		}
		if el%w.sample == 0 {
			out = append(out, sampleSinks(t, el, sinks))
		}
		if el >= w.sim {
			return out
		}
		for r := range w.rends {
			for _, k := range sinks {
				must(t, k.put(fmt.Sprintf("v%d", r), seq, now, data))
			}
		}
		clk.Advance(w.step)
	}
}

func sampleSinks(t testing.TB, el time.Duration, sinks []sink) soakSample {
	s := soakSample{at: el}
	for _, k := range sinks {
		u, m, err := k.usage()
		must(t, err)
		s.bytes = append(s.bytes, u)
		s.meta = append(s.meta, m)
	}
	return s
}

// TestSoakShortDiskBounded is the always-on soak: 12 simulated minutes of
// 4 x 100 KB every 2 s with 2 min retention and 30 s buckets (144 MB
// written). Disk must stay under 3x the theoretical retained bytes (90 MB);
// without pruning it would reach ~144 MB and fail.
func TestSoakShortDiskBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes ~150 MB")
	}
	w := soakLoad{rends: 4, size: 100_000, step: 2 * time.Second, retention: 2 * time.Minute,
		span: 30 * time.Second, sim: 12 * time.Minute, pruneEvery: 10 * time.Second, sample: time.Minute}
	clk := newClock(t0)
	s := openTest(t, Options{Now: clk.Now, Retention: w.retention, BucketSpan: w.span})
	samples := runSoak(t, w, clk, storeSink{s})
	limit := 3 * w.retained()
	for _, sm := range samples {
		t.Logf("t=%v disk=%.1f MB (limit %.1f MB)", sm.at, mb(sm.bytes[0]), mb(limit))
		if sm.bytes[0] > limit {
			t.Errorf("t=%v: disk %d bytes > %d", sm.at, sm.bytes[0], limit)
		}
	}
	written := int64(w.rate() * w.sim.Seconds())
	if written <= limit {
		t.Fatalf("workload too small to tell pruning from none: wrote %d <= limit %d", written, limit)
	}
}

// TestSoakRetention (HLSORIGIN_SOAK=1) prints disk usage over simulated
// time for the bucket store and for a naive single-DB-with-deletes design
// fed the same workload. HLSORIGIN_SOAK_MINUTES sets the simulated length.
// The bucket store must stay bounded: once retention has kicked in, under
// twice the theoretical retained bytes, and flat (no sample of the last
// third above 1.25x the highest of the first hour after the warm-up).
func TestSoakRetention(t *testing.T) {
	if os.Getenv("HLSORIGIN_SOAK") != "1" {
		t.Skip("set HLSORIGIN_SOAK=1 to run the retention soak")
	}
	w := soakLoad{rends: 4, size: 200_000, step: 2 * time.Second, retention: 10 * time.Minute,
		span: time.Minute, sim: soakMinutes(180) * time.Minute, pruneEvery: 30 * time.Second, sample: 5 * time.Minute}
	clk := newClock(t0)
	s := openTest(t, Options{Now: clk.Now, Retention: w.retention, BucketSpan: w.span})
	naive := openNaive(t, w.retention)
	began := time.Now()
	samples := runSoak(t, w, clk, storeSink{s}, naive)
	printSoak(w, samples, time.Since(began))
	checkBounded(t, w, samples)
}

// checkBounded fails when the bucket store (column 0) outgrows its bound
// or keeps growing after the warm-up (retention plus two bucket spans).
func checkBounded(t *testing.T, w soakLoad, samples []soakSample) {
	t.Helper()
	warm := w.retention + 2*w.span
	early := warm + time.Hour
	if w.sim < early+time.Hour {
		t.Logf("%v simulated: too short to check that disk stays flat (needs %v)", w.sim, early+time.Hour)
		early = w.sim
	}
	limit := 2 * w.retained()
	var firstMax, lastMax int64
	for _, sm := range samples {
		if sm.at < warm {
			continue
		}
		if sm.bytes[0] > limit {
			t.Errorf("t=%v: buckets use %d bytes > 2x retained %d", sm.at, sm.bytes[0], limit)
		}
		if sm.at <= early {
			firstMax = max(firstMax, sm.bytes[0])
		}
		if sm.at >= w.sim*2/3 {
			lastMax = max(lastMax, sm.bytes[0])
		}
	}
	if early < w.sim && float64(lastMax) > 1.25*float64(firstMax) {
		t.Errorf("disk still growing: %d bytes in the last third, %d in the first hour after the warm-up", lastMax, firstMax)
	}
	fmt.Printf("bounded: after the warm-up (%v) at most %.1f MB, limit %.1f MB; first hour max %.1f MB, last third max %.1f MB\n",
		warm, mb(max(firstMax, lastMax)), mb(limit), mb(firstMax), mb(lastMax))
}

func soakMinutes(def time.Duration) time.Duration {
	var m int
	if _, err := fmt.Sscan(os.Getenv("HLSORIGIN_SOAK_MINUTES"), &m); err == nil && m > 0 {
		return time.Duration(m)
	}
	return def
}

func printSoak(w soakLoad, samples []soakSample, took time.Duration) {
	fmt.Printf("soak: %d x %d KB every %v (%.1f MB/sim-min), retention %v, bucket %v, %v simulated in %v\n",
		w.rends, w.size/1000, w.step, w.rate()*60/1e6, w.retention, w.span, w.sim, took.Round(time.Second))
	fmt.Printf("theoretical retained (retention+span) x rate: %.1f MB\n", mb(w.retained()))
	fmt.Printf("%8s %12s %14s %12s %10s %12s\n", "sim", "written MB", "buckets bytes", "buckets MB", "(meta MB)", "naive MB")
	for _, sm := range samples {
		written := w.rate() * sm.at.Seconds()
		fmt.Printf("%8v %12.1f %14d %12.1f %10.2f %12.1f\n", sm.at, written/1e6, sm.bytes[0], mb(sm.bytes[0]), mb(sm.meta[0]), mb(sm.bytes[1]))
	}
	last := samples[len(samples)-1]
	fmt.Printf("final: buckets %.1f MB, naive %.1f MB, naive/buckets = %.2fx\n",
		mb(last.bytes[0]), mb(last.bytes[1]), float64(last.bytes[1])/float64(last.bytes[0]))
}

func mb(b int64) float64 { return float64(b) / 1e6 }
