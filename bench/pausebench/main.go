// Command pausebench measures, on a real server on 127.0.0.1 with demo
// channels publishing in real time: pause and resume API latency (p50,
// p99) against a GET of the channel state in the same run (baseline), and
// the delay from the pause call until the live media playlist lists the
// first slate segment, against the segment duration. Bounded: a fixed
// number of channels and rounds, and a deadline.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"hlsorigin/bench/benchkit"
	"hlsorigin/fixtures"
	"hlsorigin/origin/demo"
)

func main() {
	channels := flag.Int("channels", 20, "demo channels publishing at once")
	rounds := flag.Int("rounds", 3, "pause/resume rounds per channel")
	flag.Parse()
	if err := run(*channels, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "pausebench:", err)
		os.Exit(1)
	}
}

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

func run(nch, rounds int) error {
	bs, err := benchkit.Start("pausebench")
	if err != nil {
		return err
	}
	defer bs.Close()
	o, base := bs.O, bs.Base
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	hosts := make([]string, nch)
	for i := range hosts {
		ch, cr, err := o.CreateChannel(fmt.Sprintf("b%d", i), "bench")
		if err != nil {
			return err
		}
		hosts[i] = cr.HostToken
		pub, err := demo.New(fixtures.Muxed(), "demo")
		if err != nil {
			return err
		}
		go pub.Run(ctx, ch, 0)
	}
	time.Sleep(3 * time.Second)
	s := &samples{m: map[string][]time.Duration{}}
	var wg sync.WaitGroup
	for i := range hosts {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for r := 0; r < rounds && ctx.Err() == nil; r++ {
				cycle(ctx, base, fmt.Sprintf("b%d", i), hosts[i], s)
			}
		}(i)
	}
	wg.Wait()
	report(s, nch, rounds)
	return nil
}

// cycle pauses, waits for the slate to be listed, resumes, waits for live.
func cycle(ctx context.Context, base, id, host string, s *samples) {
	for k := 0; k < 3; k++ {
		t := time.Now()
		if get(base+"/api/v1/channels/"+id) == nil {
			s.add("GET channel (baseline)", time.Since(t))
		}
	}
	t0 := time.Now()
	if post(base+"/api/v1/channels/"+id+"/pause", host) != nil {
		return
	}
	s.add("POST pause", time.Since(t0))
	if waitFor(ctx, base+"/live/"+id+"/demo/index.m3u8", func(pl string) bool { return lastMap(pl) != `init-1.mp4"` }) {
		s.add("pause -> slate listed", time.Since(t0))
	}
	t1 := time.Now()
	if post(base+"/api/v1/channels/"+id+"/resume", host) != nil {
		return
	}
	s.add("POST resume", time.Since(t1))
	if waitFor(ctx, base+"/live/"+id+"/demo/index.m3u8", func(pl string) bool { return lastMap(pl) == `init-1.mp4"` }) {
		s.add("resume -> live listed", time.Since(t1))
	}
}

// lastMap is the URI of the last EXT-X-MAP in a playlist.
func lastMap(pl string) string {
	i := strings.LastIndex(pl, `#EXT-X-MAP:URI="`)
	if i < 0 {
		return ""
	}
	rest := pl[i+len(`#EXT-X-MAP:URI="`):]
	return rest[:strings.IndexByte(rest, '\n')]
}

func waitFor(ctx context.Context, url string, ok func(string) bool) bool {
	for ctx.Err() == nil {
		if b, err := getBody(url); err == nil && ok(b) {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func get(url string) error { _, err := getBody(url); return err }

func getBody(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("GET %s: %d", url, resp.StatusCode)
	}
	return b.String(), nil
}

func post(url, token string) error {
	req, _ := http.NewRequest("POST", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("POST %s: %d", url, resp.StatusCode)
	}
	return nil
}

func report(s *samples, nch, rounds int) {
	fmt.Printf("%d channels publishing 2 s segments in real time, %d pause/resume rounds each\n", nch, rounds)
	fmt.Printf("%-26s %6s %10s %10s\n", "what", "n", "p50", "p99")
	keys := []string{"GET channel (baseline)", "POST pause", "POST resume", "pause -> slate listed", "resume -> live listed"}
	for _, k := range keys {
		ds := s.m[k]
		fmt.Printf("%-26s %6d %10s %10s\n", k, len(ds), pct(ds, .5).Round(10*time.Microsecond), pct(ds, .99).Round(10*time.Microsecond))
	}
	base := pct(s.m["GET channel (baseline)"], .5)
	if base > 0 {
		fmt.Printf("ratio pause p50 / GET p50: %.1f (the pause is fsynced before it answers)\n",
			float64(pct(s.m["POST pause"], .5))/float64(base))
	}
	fmt.Printf("ratio slate listed p50 / segment duration: %.2f\n", pct(s.m["pause -> slate listed"], .5).Seconds()/2)
}
