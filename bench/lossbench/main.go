// Command lossbench measures, on a real server on 127.0.0.1 with demo
// channels publishing 2 s segments in real time, the delay from an
// encoder's death (its publisher stops at a random instant) until the live
// media playlist lists the first generated slate segment, as p50/p99 and
// as a ratio of the target duration; and, as the baseline of the same run,
// the interval between two host segments listed while the encoders live.
// Bounded: a fixed number of channels and rounds, and a deadline.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"time"

	"hlsorigin/bench/benchkit"
	"hlsorigin/fixtures"
	"hlsorigin/origin"
	"hlsorigin/origin/demo"
)

func main() {
	channels := flag.Int("channels", 20, "demo channels publishing at once")
	rounds := flag.Int("rounds", 3, "encoder deaths per channel")
	flag.Parse()
	if err := run(*channels, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "lossbench:", err)
		os.Exit(1)
	}
}

const target = 3.0 // seconds: ceil(1.5 x 2 s segments)

type samples struct {
	mu sync.Mutex
	m  map[string][]time.Duration
}

func (s *samples) add(k string, d time.Duration) {
	s.mu.Lock()
	s.m[k] = append(s.m[k], d)
	s.mu.Unlock()
}

func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[min(len(ds)-1, int(p*float64(len(ds))))]
}

// tap records when the last media segment of a publisher was acknowledged.
type tap struct {
	ch   *origin.Channel
	mu   sync.Mutex
	last time.Time
}

func (t *tap) Ingest(name string, body []byte) error {
	err := t.ch.Ingest(name, body)
	if origin.KindOf(name) == origin.FileSegment && err == nil {
		t.mu.Lock()
		t.last = time.Now()
		t.mu.Unlock()
	}
	return err
}

func run(nch, rounds int) error {
	bs, err := benchkit.Start("lossbench")
	if err != nil {
		return err
	}
	defer bs.Close()
	o, base := bs.O, bs.Base
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	s := &samples{m: map[string][]time.Duration{}}
	var wg sync.WaitGroup
	for i := 0; i < nch; i++ {
		ch, _, err := o.CreateChannel(fmt.Sprintf("b%d", i), "bench")
		if err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds && ctx.Err() == nil; r++ {
				if err := cycle(ctx, base, ch, s); err != nil {
					fmt.Fprintln(os.Stderr, "lossbench:", ch.ID(), err)
					return
				}
			}
		}()
	}
	wg.Wait()
	report(s, nch, rounds)
	return nil
}

// cycle starts an encoder, lets it live 8-12 s, kills it and waits for
// the first generated segment to be listed.
func cycle(ctx context.Context, base string, ch *origin.Channel, s *samples) error {
	pub, err := demo.New(fixtures.Muxed(), "demo")
	if err != nil {
		return err
	}
	t := &tap{ch: ch}
	pctx, kill := context.WithCancel(ctx)
	defer kill()
	done := make(chan struct{})
	go func() { defer close(done); pub.Run(pctx, t, 0) }()
	url := base + "/live/" + ch.ID() + "/demo/index.m3u8"
	if !waitFor(ctx, func() bool { return !ch.InputLost() && ch.State() == "live" }) {
		return ctx.Err()
	}
	lived := time.Duration(8000+rand.IntN(4000)) * time.Millisecond
	baseline(ctx, url, time.Now().Add(lived), s)
	kill()
	<-done
	died := time.Now()
	t.mu.Lock()
	due := t.last.Add(2 * time.Second)
	t.mu.Unlock()
	seq0 := lastSeq(url)
	if !waitFor(ctx, func() bool { return ch.InputLost() && lastSeq(url) > seq0 }) {
		return ctx.Err()
	}
	listed := time.Now()
	s.add("death -> slate listed", listed.Sub(died))
	s.add("segment due -> slate listed", listed.Sub(due))
	return nil
}

// baseline records the intervals between host segments listed until end.
func baseline(ctx context.Context, url string, end time.Time, s *samples) {
	prev, at := lastSeq(url), time.Time{}
	for time.Now().Before(end) && ctx.Err() == nil {
		if q := lastSeq(url); q > prev {
			if !at.IsZero() {
				s.add("host segment interval (baseline)", time.Since(at))
			}
			prev, at = q, time.Now()
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var seqRe = regexp.MustCompile(`(?m)^(\d+)\.m4s$`)

// lastSeq is the last media sequence number listed (a player's view).
func lastSeq(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var b [64 << 10]byte
	n := 0
	for n < len(b) {
		k, err := resp.Body.Read(b[n:])
		n += k
		if err != nil {
			break
		}
	}
	m := seqRe.FindAllSubmatch(b[:n], -1)
	if len(m) == 0 {
		return -1
	}
	v, _ := strconv.Atoi(string(m[len(m)-1][1]))
	return v
}

func waitFor(ctx context.Context, ok func() bool) bool {
	for ctx.Err() == nil {
		if ok() {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func report(s *samples, nch, rounds int) {
	fmt.Printf("%d channels publishing 2 s segments in real time (target %.0f s), %d encoder deaths each\n", nch, target, rounds)
	fmt.Printf("%-34s %5s %9s %9s %12s %12s\n", "what", "n", "p50", "p99", "p50/target", "p99/target")
	for _, k := range []string{"host segment interval (baseline)", "segment due -> slate listed", "death -> slate listed"} {
		ds := s.m[k]
		p50, p99 := pct(ds, 0.5), pct(ds, 0.99)
		fmt.Printf("%-34s %5d %9s %9s %11.2fx %11.2fx\n", k, len(ds), p50.Round(time.Millisecond), p99.Round(time.Millisecond),
			p50.Seconds()/target, p99.Seconds()/target)
	}
	fmt.Println("expected: slate listed 1.5 x target after the next segment was due (-input-loss-after default) + <= 250 ms clock tick")
}
