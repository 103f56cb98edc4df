package api

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hlsorigin/origin"
)

// pollBenchServer is an origin with channel "c" served over TCP on 127.0.0.1,
// without rate limits.
func pollBenchServer(b *testing.B) (*origin.Origin, *Server, string) {
	b.Helper()
	o, err := origin.Open(origin.Config{DataDir: b.TempDir()}, origin.Hooks{})
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := o.CreateChannel("c", "bench"); err != nil {
		b.Fatal(err)
	}
	s, err := New(o, Options{AdminToken: testAdmin, RateLimits: NoRateLimits(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go s.App().Listener(ln)
	b.Cleanup(func() {
		s.Shutdown(5 * time.Second)
		o.Close()
	})
	return o, s, "http://" + ln.Addr().String()
}

// hammer runs n requests from conc keep-alive clients and returns req/s.
func hammer(b *testing.B, conc, n int, do func(c *http.Client, i int) error) float64 {
	b.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := do(client, i); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, ok := failed.Load().(error); ok {
		b.Fatal(err)
	}
	return float64(n) / time.Since(start).Seconds()
}

func call(c *http.Client, method, url, token string, body []byte, want int) error {
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d", method, url, resp.StatusCode)
	}
	return nil
}

// BenchmarkVoteHTTP: votes per second through POST /poll/vote (token check,
// JSON, group commit, tallies) from 64 keep-alive connections and 2,000
// viewers re-voting, against GET /healthz over the same connections in the
// same run (the cost of HTTP itself on this machine, client included).
//
//	go test ./api -run '^$' -bench VoteHTTP -benchtime 20000x
func BenchmarkVoteHTTP(b *testing.B) {
	o, s, base := pollBenchServer(b)
	ch, _ := o.Channel("c")
	if _, err := ch.Pause(origin.PauseRequest{}); err != nil {
		b.Fatal(err)
	}
	toks := make([]string, 2000)
	for i := range toks {
		tok, _, err := s.Audience().IssueViewer()
		if err != nil {
			b.Fatal(err)
		}
		toks[i] = tok
	}
	bodies := [][]byte{[]byte(`{"option":"1"}`), []byte(`{"option":"2"}`), []byte(`{"option":"3"}`)}
	const conc = 64
	b.ResetTimer()
	votes := hammer(b, conc, b.N, func(c *http.Client, i int) error {
		return call(c, "POST", base+"/api/v1/channels/c/poll/vote", toks[i%len(toks)], bodies[(i/len(toks)+i)%3], 200)
	})
	b.StopTimer()
	health := hammer(b, conc, b.N, func(c *http.Client, _ int) error {
		return call(c, "GET", base+"/healthz", "", nil, 200)
	})
	pv, _ := s.Audience().Poll(ch, "", "")
	if pv.Total != min(b.N, len(toks)) {
		b.Fatalf("voters %d, want %d", pv.Total, min(b.N, len(toks)))
	}
	b.ReportMetric(votes, "votes/s")
	b.ReportMetric(health, "healthz/s")
	b.ReportMetric(votes/health, "x-vs-healthz")
}

// sseClients holds n open event streams of channel c and counts "bench"
// events: when all n have one, the round's done channel is closed.
type sseClients struct {
	n     int
	got   atomic.Int64
	mu    sync.Mutex
	done  chan struct{}
	stops []func()
}

func openSSEClients(b *testing.B, url string, n int) *sseClients {
	b.Helper()
	sc := &sseClients{n: n}
	tr := &http.Transport{MaxIdleConnsPerHost: 1}
	client := &http.Client{Transport: tr}
	var ready sync.WaitGroup
	for range n {
		ctx, cancel := context.WithCancel(context.Background())
		sc.stops = append(sc.stops, cancel)
		req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		ready.Add(1)
		go func() {
			defer resp.Body.Close()
			r := bufio.NewReaderSize(resp.Body, 4096)
			first := true
			bench := false
			for {
				line, err := r.ReadSlice('\n')
				if err != nil {
					if first {
						ready.Done()
					}
					return
				}
				switch {
				case first && bytes.HasPrefix(line, []byte("event: sync")):
					first = false
					ready.Done()
				case bytes.Equal(line, []byte("event: bench\n")):
					bench = true
				case bench && bytes.HasPrefix(line, []byte("data: ")):
					bench = false
					if sc.got.Add(1) == int64(sc.n) {
						sc.mu.Lock()
						close(sc.done)
						sc.mu.Unlock()
					}
				}
			}
		}()
	}
	ready.Wait()
	return sc
}

func (sc *sseClients) close() {
	for _, stop := range sc.stops {
		stop()
	}
}

// round emits one event and returns how long until all n clients had it.
func (sc *sseClients) round(b *testing.B, ch *origin.Channel, k int) time.Duration {
	sc.mu.Lock()
	sc.done = make(chan struct{})
	done := sc.done
	sc.mu.Unlock()
	sc.got.Store(0)
	start := time.Now()
	ch.Emit("bench", map[string]int{"k": k})
	select {
	case <-done:
		return time.Since(start)
	case <-time.After(60 * time.Second):
		b.Fatalf("round %d: %d of %d clients got the event", k, sc.got.Load(), sc.n)
		return 0
	}
}

func quantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// BenchmarkSSEFanout: time from Emit until every one of 2,000 SSE clients
// (real HTTP connections on 127.0.0.1) has read the event, p50 and p99 over
// 50 events (b.N, up to 500, if more), against the same with a single
// subscriber measured in the same run. Clients and server share the
// machine's cores.
//
//	go test ./api -run '^$' -bench SSEFanout -benchtime 1x
func BenchmarkSSEFanout(b *testing.B) {
	o, _, base := pollBenchServer(b)
	ch, _ := o.Channel("c")
	url := base + "/api/v1/channels/c/events"
	measure := func(n int) (p50, p99 time.Duration) {
		sc := openSSEClients(b, url, n)
		defer sc.close()
		var lat []time.Duration
		for k := range min(max(b.N, 50), 500) {
			lat = append(lat, sc.round(b, ch, k))
			time.Sleep(5 * time.Millisecond) // let the clients go idle again
		}
		return quantile(lat, 0.5), quantile(lat, 0.99)
	}
	b.ResetTimer()
	one50, one99 := measure(1)
	all50, all99 := measure(2000)
	b.StopTimer()
	b.ReportMetric(float64(one50.Microseconds())/1000, "1sub-p50-ms")
	b.ReportMetric(float64(one99.Microseconds())/1000, "1sub-p99-ms")
	b.ReportMetric(float64(all50.Microseconds())/1000, "2000sub-p50-ms")
	b.ReportMetric(float64(all99.Microseconds())/1000, "2000sub-p99-ms")
	b.ReportMetric(float64(all50)/float64(one50), "x-p50-vs-1sub")
	b.ReportMetric(float64(all99)/float64(one99), "x-p99-vs-1sub")
}
