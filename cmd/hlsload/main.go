// Command hlsload simulates viewers of live HLS streams the way players
// load them, against an origin or edge on this machine (127.0.0.1,
// localhost or ::1 only; any other target is refused).
//
// Each viewer opens a multivariant (picks a rendition) or media playlist,
// tunes in three target durations from the live edge, fetches every new
// segment once, and reloads the playlist per RFC 8216 6.3.4 (after the
// target duration when it changed, half of it when it did not). A playhead
// model plays the buffer out in real time and counts stalls. Viewers tune
// in staggered over -ramp and spread round-robin over -channels URLs. The
// run is bounded by -duration and -max-requests.
//
// It prints a human summary and writes a JSON report (-json): playlist and
// segment latency and TTFB percentiles (HDR histograms), 4xx/5xx, transport
// errors, stalls, startup time, throughput.
//
//	hlsload -url 'http://127.0.0.1:8080/live/b%d/index.m3u8' -channels 100 -viewers 5000 -duration 60s
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Hard limits: a run is always bounded.
const (
	maxViewers  = 20000
	maxDuration = 15 * time.Minute
	maxRequests = 50_000_000
)

type config struct {
	URL         string
	Channels    int
	Viewers     int
	Duration    time.Duration
	Ramp        time.Duration
	MaxRequests int64
	Rendition   string
	Conns       int
	Timeout     time.Duration
	JSON        string
	BudgetP99   time.Duration
	BudgetStall int
	Label       string
}

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "hlsload:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hlsload:", err)
		os.Exit(1)
	}
	rep.print(os.Stdout, cfg)
	if cfg.JSON != "" {
		b, _ := json.MarshalIndent(rep, "", " ")
		if err := os.WriteFile(cfg.JSON, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "hlsload:", err)
			os.Exit(1)
		}
	}
}

func parseFlags(args []string, out io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("hlsload", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.URL, "url", "", "playlist URL (multivariant or media); %d is replaced by the channel index 0..channels-1")
	fs.IntVar(&c.Channels, "channels", 1, "channels (with %d in -url); viewers are spread round-robin")
	fs.IntVar(&c.Viewers, "viewers", 100, fmt.Sprintf("simulated viewers (at most %d)", maxViewers))
	fs.DurationVar(&c.Duration, "duration", 30*time.Second, fmt.Sprintf("run time (at most %s)", maxDuration))
	fs.DurationVar(&c.Ramp, "ramp", 10*time.Second, "viewers tune in evenly over this time")
	fs.Int64Var(&c.MaxRequests, "max-requests", 5_000_000, fmt.Sprintf("stop after this many requests (at most %d)", maxRequests))
	fs.StringVar(&c.Rendition, "rendition", "first", "variant picked from a multivariant playlist: first, lowest, highest")
	fs.IntVar(&c.Conns, "conns", 0, "idle keep-alive connections kept (default: one per viewer, at most 8192)")
	fs.DurationVar(&c.Timeout, "timeout", 10*time.Second, "per-request timeout")
	fs.StringVar(&c.JSON, "json", "", "write the JSON report to this file")
	fs.DurationVar(&c.BudgetP99, "budget-playlist-p99", 0, "print PASS/MISS for playlist p99 below this (0: none)")
	fs.IntVar(&c.BudgetStall, "budget-stalls", -1, "print PASS/MISS for stalls at most this (-1: none)")
	fs.StringVar(&c.Label, "label", "", "name of this run in the report")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	switch {
	case c.URL == "":
		return c, errors.New("-url is required")
	case c.Viewers < 1 || c.Viewers > maxViewers:
		return c, fmt.Errorf("-viewers %d: 1..%d", c.Viewers, maxViewers)
	case c.Channels < 1 || c.Channels > c.Viewers && c.Channels > 1:
		return c, fmt.Errorf("-channels %d: 1..viewers", c.Channels)
	case c.Duration <= 0 || c.Duration > maxDuration:
		return c, fmt.Errorf("-duration %s: up to %s", c.Duration, maxDuration)
	case c.Ramp < 0 || c.Ramp > c.Duration:
		return c, fmt.Errorf("-ramp %s: 0..duration", c.Ramp)
	case c.MaxRequests <= 0 || c.MaxRequests > maxRequests:
		return c, fmt.Errorf("-max-requests %d: 1..%d", c.MaxRequests, maxRequests)
	case c.Rendition != "first" && c.Rendition != "lowest" && c.Rendition != "highest":
		return c, fmt.Errorf("-rendition %q: first, lowest or highest", c.Rendition)
	case c.Timeout <= 0:
		return c, errors.New("-timeout must be positive")
	}
	for i := range c.Channels {
		if err := checkTarget(c.channelURL(i)); err != nil {
			return c, err
		}
	}
	if c.Conns <= 0 {
		c.Conns = min(c.Viewers, 8192)
	}
	return c, nil
}

func (c config) channelURL(i int) string {
	if strings.Contains(c.URL, "%d") {
		return strings.ReplaceAll(c.URL, "%d", fmt.Sprint(i))
	}
	return c.URL
}

// checkTarget refuses anything but http(s) to 127.0.0.0/8, localhost or ::1.
func checkTarget(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("url %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("url %q: http or https only", raw)
	}
	if !isLoopbackHost(u.Hostname()) {
		return fmt.Errorf("url %q: target %q refused: only 127.0.0.1, localhost or ::1", raw, u.Hostname())
	}
	return nil
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func newClient(c config) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		// Resolve localhost and dial loopback addresses only.
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if !isLoopbackHost(host) {
				return nil, fmt.Errorf("dial %s refused: loopback only", addr)
			}
			conn, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			if ta, ok := conn.RemoteAddr().(*net.TCPAddr); ok && !ta.IP.IsLoopback() {
				conn.Close()
				return nil, fmt.Errorf("dial %s refused: resolved to %s", addr, ta.IP)
			}
			return conn, nil
		},
		MaxIdleConns:          c.Conns,
		MaxIdleConnsPerHost:   c.Conns,
		IdleConnTimeout:       90 * time.Second,
		DisableCompression:    true,
		ResponseHeaderTimeout: c.Timeout,
		ForceAttemptHTTP2:     false,
	}
	return &http.Client{Transport: tr, Timeout: c.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			return checkTarget(req.URL.String())
		}}
}

// run drives the viewers and returns the report.
func run(ctx context.Context, c config) (*report, error) {
	ctx, cancel := context.WithTimeout(ctx, c.Duration)
	defer cancel()
	st := newStats(c.MaxRequests, cancel)
	client := newClient(c)
	defer client.CloseIdleConnections()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range c.Viewers {
		delay := time.Duration(0)
		if c.Viewers > 1 {
			delay = c.Ramp * time.Duration(i) / time.Duration(c.Viewers)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if sleepCtx(ctx, delay) != nil {
				return
			}
			newViewer(c.channelURL(i%c.Channels), c.Rendition, client, st).run(ctx)
		}()
	}
	wg.Wait()
	return newReport(c, st, time.Since(start)), nil
}

// quantiles is one latency distribution in milliseconds.
type quantiles struct {
	Count int64   `json:"count"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	P999  float64 `json:"p999_ms"`
	Max   float64 `json:"max_ms"`
	Mean  float64 `json:"mean_ms"`
}

func quant(h *hdrhistogram.Histogram) quantiles {
	ms := func(v int64) float64 { return float64(v) / 1000 }
	return quantiles{Count: h.TotalCount(), P50: ms(h.ValueAtQuantile(50)), P90: ms(h.ValueAtQuantile(90)),
		P99: ms(h.ValueAtQuantile(99)), P999: ms(h.ValueAtQuantile(99.9)), Max: ms(h.Max()), Mean: h.Mean() / 1000}
}

type kindReport struct {
	Requests  int64     `json:"requests"`
	OK        int64     `json:"status_2xx"`
	Status4xx int64     `json:"status_4xx"`
	Status5xx int64     `json:"status_5xx"`
	Transport int64     `json:"transport_errors"`
	Bytes     int64     `json:"bytes"`
	Latency   quantiles `json:"latency"`
	TTFB      quantiles `json:"ttfb"`
}

type report struct {
	Label         string                `json:"label,omitempty"`
	URL           string                `json:"url"`
	Channels      int                   `json:"channels"`
	Viewers       int                   `json:"viewers"`
	Seconds       float64               `json:"seconds"`
	LimitHit      bool                  `json:"request_limit_hit"`
	Kinds         map[string]kindReport `json:"requests"`
	ReqPerSec     float64               `json:"requests_per_second"`
	Mbps          float64               `json:"throughput_mbps"`
	Stalls        int                   `json:"stalls"`
	ViewersStall  int                   `json:"viewers_stalled"`
	StallSeconds  float64               `json:"stall_seconds"`
	NeverPlayed   int                   `json:"viewers_never_played"`
	Skipped       int                   `json:"segments_skipped"`
	PlayedSeconds float64               `json:"media_played_seconds"`
	Startup       quantiles             `json:"startup"`
	BadPlaylists  int64                 `json:"bad_playlists"`
	Budgets       []budget              `json:"budgets,omitempty"`
}

type budget struct {
	What     string  `json:"what"`
	Limit    float64 `json:"limit"`
	Measured float64 `json:"measured"`
	Pass     bool    `json:"pass"`
}

func newReport(c config, st *stats, el time.Duration) *report {
	r := &report{Label: c.Label, URL: c.URL, Channels: c.Channels, Viewers: st.viewers, Seconds: el.Seconds(),
		LimitHit: st.limitHit.Load(), Kinds: map[string]kindReport{}}
	var reqs, bytes int64
	for k := range numKinds {
		lat, ttfb := st.merged(k)
		kr := kindReport{Requests: st.requests[k].Load(), OK: st.status2xx[k].Load(), Status4xx: st.status4xx[k].Load(),
			Status5xx: st.status5xx[k].Load(), Transport: st.transport[k].Load(), Bytes: st.bytes[k].Load(),
			Latency: quant(lat), TTFB: quant(ttfb)}
		r.Kinds[k.String()] = kr
		reqs += kr.Requests
		bytes += kr.Bytes
	}
	r.ReqPerSec = float64(reqs) / el.Seconds()
	r.Mbps = float64(bytes) * 8 / el.Seconds() / 1e6
	r.Stalls, r.ViewersStall, r.StallSeconds = st.stalls, st.stalled, st.stallTime.Seconds()
	r.NeverPlayed, r.Skipped, r.PlayedSeconds = st.neverPlay, st.skipped, st.played
	r.Startup = quant(st.startup)
	r.BadPlaylists = st.badPL.Load()
	if c.BudgetP99 > 0 {
		lim := float64(c.BudgetP99) / float64(time.Millisecond)
		m := r.Kinds["playlist"].Latency.P99
		r.Budgets = append(r.Budgets, budget{What: "playlist p99 ms <", Limit: lim, Measured: m, Pass: m < lim})
	}
	if c.BudgetStall >= 0 {
		r.Budgets = append(r.Budgets, budget{What: "stalls <=", Limit: float64(c.BudgetStall), Measured: float64(r.Stalls),
			Pass: r.Stalls <= c.BudgetStall && r.NeverPlayed == 0})
	}
	return r
}

func (r *report) print(w io.Writer, c config) {
	fmt.Fprintf(w, "hlsload %s: %d viewers on %d channels for %.1f s (%s)\n", r.Label, r.Viewers, r.Channels, r.Seconds, c.URL)
	fmt.Fprintf(w, "%-9s %9s %7s %6s %6s %6s %9s %9s %9s %9s %9s\n", "kind", "requests", "2xx", "4xx", "5xx", "neterr",
		"p50 ms", "p90 ms", "p99 ms", "max ms", "ttfb p99")
	for k := range numKinds {
		kr := r.Kinds[k.String()]
		fmt.Fprintf(w, "%-9s %9d %7d %6d %6d %6d %9.2f %9.2f %9.2f %9.2f %9.2f\n", k, kr.Requests, kr.OK, kr.Status4xx,
			kr.Status5xx, kr.Transport, kr.Latency.P50, kr.Latency.P90, kr.Latency.P99, kr.Latency.Max, kr.TTFB.P99)
	}
	fmt.Fprintf(w, "throughput: %.0f req/s, %.1f Mbit/s; media played %.0f s\n", r.ReqPerSec, r.Mbps, r.PlayedSeconds)
	fmt.Fprintf(w, "stalls: %d (%d viewers, %.1f s stalled); never started: %d; segments skipped: %d; startup p50 %.0f ms p99 %.0f ms\n",
		r.Stalls, r.ViewersStall, r.StallSeconds, r.NeverPlayed, r.Skipped, r.Startup.P50, r.Startup.P99)
	if r.LimitHit {
		fmt.Fprintln(w, "stopped early: -max-requests reached")
	}
	for _, b := range r.Budgets {
		verdict := "MISS"
		if b.Pass {
			verdict = "PASS"
		}
		fmt.Fprintf(w, "budget %s %g: measured %.2f %s\n", b.What, b.Limit, b.Measured, verdict)
	}
}
