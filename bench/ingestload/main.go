// Command ingestload is the ingest side of the load benchmarks: many
// concurrent publishers, each replaying the bundled muxed fixture (retimed
// with mp4ff by origin/demo, loop after loop, in real time) into its own
// channel over HTTP PUT the way ffmpeg sends it: the init segment, then
// each media segment (chunked body) followed by the updated playlist.
// Segments are padded with a top-level "free" box to -bitrate.
//
// It measures ack latency (PUT sent -> 2xx) per file kind, pause and
// resume API latency under that load (with a GET of the channel state in
// the same run as baseline), and when publishing stops it reads every
// channel's playlist back (the replay playlist, pauses kept, lists the
// whole archive) and checks that every acknowledged segment is listed.
//
// Targets on 127.0.0.1, localhost or ::1 only; bounded by -duration.
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"hlsorigin/fixtures"
	"hlsorigin/origin/demo"
)

type config struct {
	Base       string
	Admin      string
	Channels   int
	Prefix     string
	Bitrate    float64
	Duration   time.Duration
	PauseChans int
	Pausers    int
	Hold       time.Duration
	JSON       string
	BudgetAck  time.Duration
	BudgetPse  time.Duration
	Label      string
}

func main() {
	var c config
	flag.StringVar(&c.Base, "base", "", "origin base URL (http://127.0.0.1:PORT)")
	flag.StringVar(&c.Admin, "admin", "", "admin token (creates the channels)")
	flag.IntVar(&c.Channels, "channels", 20, "concurrent publishers, one channel each (at most 2000)")
	flag.StringVar(&c.Prefix, "prefix", "il", "channel ids are prefix0..prefixN-1")
	flag.Float64Var(&c.Bitrate, "bitrate", 0, "pad segments to this many bits/s (0: fixture as is, ~0.4 Mbit/s)")
	flag.DurationVar(&c.Duration, "duration", 30*time.Second, "publishing time (at most 15m)")
	flag.IntVar(&c.PauseChans, "pause-channels", 0, "channels that are paused and resumed in turn during the run")
	flag.IntVar(&c.Pausers, "pausers", 2, "concurrent pause/resume loops")
	flag.DurationVar(&c.Hold, "hold", 2*time.Second, "how long each pause lasts")
	flag.StringVar(&c.JSON, "json", "", "write the JSON report here")
	flag.DurationVar(&c.BudgetAck, "budget-ack-p99", 0, "print PASS/MISS for segment ack p99 below this")
	flag.DurationVar(&c.BudgetPse, "budget-pause-p99", 0, "print PASS/MISS for pause/resume p99 below this")
	flag.StringVar(&c.Label, "label", "", "name of this run")
	flag.Parse()
	if err := c.check(); err != nil {
		fmt.Fprintln(os.Stderr, "ingestload:", err)
		os.Exit(2)
	}
	rep, err := run(context.Background(), c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingestload:", err)
		os.Exit(1)
	}
	rep.print(os.Stdout)
	if c.JSON != "" {
		b, _ := json.MarshalIndent(rep, "", " ")
		if err := os.WriteFile(c.JSON, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "ingestload:", err)
			os.Exit(1)
		}
	}
}

func (c config) check() error {
	u, err := url.Parse(c.Base)
	if err != nil || u.Scheme != "http" {
		return fmt.Errorf("-base %q: http URL required", c.Base)
	}
	if h := u.Hostname(); !strings.EqualFold(h, "localhost") {
		if ip := net.ParseIP(h); ip == nil || !ip.IsLoopback() {
			return fmt.Errorf("-base %q refused: only 127.0.0.1, localhost or ::1", c.Base)
		}
	}
	switch {
	case c.Admin == "":
		return errors.New("-admin is required")
	case c.Channels < 1 || c.Channels > 2000:
		return fmt.Errorf("-channels %d: 1..2000", c.Channels)
	case c.Duration <= 0 || c.Duration > 15*time.Minute:
		return fmt.Errorf("-duration %s: up to 15m", c.Duration)
	case c.Bitrate < 0 || c.Bitrate > 50e6:
		return fmt.Errorf("-bitrate %g: 0..50e6", c.Bitrate)
	case c.PauseChans < 0 || c.PauseChans > c.Channels:
		return fmt.Errorf("-pause-channels %d: 0..channels", c.PauseChans)
	case c.Pausers < 1 || c.Pausers > 64:
		return fmt.Errorf("-pausers %d: 1..64", c.Pausers)
	}
	return nil
}

// hist is a goroutine-safe HDR histogram of microseconds.
type hist struct {
	mu sync.Mutex
	h  *hdrhistogram.Histogram
}

func newHist() *hist { return &hist{h: hdrhistogram.New(1, int64(5*time.Minute/time.Microsecond), 3)} }

func (h *hist) add(d time.Duration) {
	h.mu.Lock()
	_ = h.h.RecordValue(max(1, int64(d/time.Microsecond)))
	h.mu.Unlock()
}

type quantiles struct {
	Count int64   `json:"count"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

func (h *hist) q() quantiles {
	h.mu.Lock()
	defer h.mu.Unlock()
	ms := func(v int64) float64 { return float64(v) / 1000 }
	return quantiles{Count: h.h.TotalCount(), P50: ms(h.h.ValueAtQuantile(50)), P90: ms(h.h.ValueAtQuantile(90)),
		P99: ms(h.h.ValueAtQuantile(99)), Max: ms(h.h.Max())}
}

type channel struct {
	id, key, host string
	acked         atomic.Int64 // segment PUTs answered 2xx
}

type load struct {
	c       config
	client  *http.Client
	ack     map[string]*hist // by kind: init, segment, playlist
	pause   *hist
	resume  *hist
	baseGet *hist
	failed  atomic.Int64 // ingest PUTs not answered 2xx (or transport errors)
	apiFail atomic.Int64
	bytes   atomic.Int64
	pauses  atomic.Int64
}

func run(ctx context.Context, c config) (*report, error) {
	l := &load{c: c, ack: map[string]*hist{"init": newHist(), "segment": newHist(), "playlist": newHist()},
		pause: newHist(), resume: newHist(), baseGet: newHist()}
	l.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: 4 * c.Channels, MaxIdleConnsPerHost: 4 * c.Channels, IdleConnTimeout: 90 * time.Second,
		DisableCompression: true}}
	defer l.client.CloseIdleConnections()
	chans := make([]*channel, c.Channels)
	for i := range chans {
		ch, err := l.createChannel(fmt.Sprintf("%s%d", c.Prefix, i))
		if err != nil {
			return nil, err
		}
		chans[i] = ch
	}
	src := fixtures.Muxed()
	pad := 0
	if c.Bitrate > 0 {
		pad = int(c.Bitrate / 8 * 2) // the fixture's segments are 2 s
		zeros = make([]byte, pad)
	}
	pctx, cancel := context.WithTimeout(ctx, c.Duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for i, ch := range chans {
		pub, err := demo.New(src, "v")
		if err != nil {
			return nil, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Stagger the publishers over one segment duration.
			if sleep(pctx, 2*time.Second*time.Duration(i)/time.Duration(len(chans))) != nil {
				return
			}
			_ = pub.Run(pctx, &putter{l: l, ch: ch, pad: pad}, 0)
		}()
	}
	var pwg sync.WaitGroup
	if c.PauseChans > 0 {
		var next atomic.Int64
		for range c.Pausers {
			pwg.Add(1)
			go func() {
				defer pwg.Done()
				if sleep(pctx, 6*time.Second) != nil { // every channel live first
					return
				}
				for pctx.Err() == nil {
					l.pauseCycle(pctx, chans[int(next.Add(1)-1)%c.PauseChans])
				}
			}()
		}
	}
	wg.Wait()
	pwg.Wait()
	elapsed := time.Since(start)
	return l.verify(chans, elapsed), nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (l *load) createChannel(id string) (*channel, error) {
	body := fmt.Sprintf(`{"id":%q,"title":"ingest load"}`, id)
	req, _ := http.NewRequest(http.MethodPost, l.c.Base+"/api/v1/channels", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+l.c.Admin)
	req.Header.Set("Content-Type", "application/json")
	resp, err := l.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var cr struct {
		StreamKey string `json:"stream_key"`
		HostToken string `json:"host_token"`
	}
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("create channel %s: %d %s", id, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(&cr); err != nil {
		return nil, err
	}
	return &channel{id: id, key: cr.StreamKey, host: cr.HostToken}, nil
}

// putter sends what the demo publisher produces as ffmpeg would: PUT
// /ingest/{id}/{name}, chunked, stream key as Bearer. Failures are counted
// and publishing goes on (a lost segment then shows in the read-back).
type putter struct {
	l   *load
	ch  *channel
	pad int
}

// zeros is the read-only payload of the padding boxes, shared by every
// publisher: padding costs the load generator no allocation per segment.
var zeros []byte

func (p *putter) Ingest(name string, body []byte) error {
	kind := "playlist"
	parts := []io.Reader{bytes.NewReader(body)}
	size := len(body)
	switch {
	case strings.HasSuffix(name, ".m4s"):
		kind = "segment"
		if n := p.pad - len(body); n > 8 {
			// A top-level free box of n bytes: size, type, zeros.
			hdr := binary.BigEndian.AppendUint32(nil, uint32(n))
			parts = append(parts, bytes.NewReader(append(hdr, "free"...)), bytes.NewReader(zeros[:n-8]))
			size = p.pad
		}
	case strings.HasSuffix(name, ".mp4"):
		kind = "init"
	}
	// io.MultiReader hides the length: the body goes chunked, as ffmpeg sends it.
	req, err := http.NewRequest(http.MethodPut, p.l.c.Base+"/ingest/"+p.ch.id+"/"+name, io.MultiReader(parts...))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+p.ch.key)
	t0 := time.Now()
	resp, err := p.l.client.Do(req)
	if err != nil {
		p.l.failed.Add(1)
		return nil
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d := time.Since(t0)
	if resp.StatusCode/100 != 2 {
		p.l.failed.Add(1)
		return nil
	}
	p.l.ack[kind].add(d)
	p.l.bytes.Add(int64(size))
	if kind == "segment" {
		p.ch.acked.Add(1)
	}
	return nil
}

// pauseCycle: baseline GET, pause, hold, resume.
func (l *load) pauseCycle(ctx context.Context, ch *channel) {
	if d, ok := l.call(http.MethodGet, "/api/v1/channels/"+ch.id, ""); ok {
		l.baseGet.add(d)
	}
	if d, ok := l.call(http.MethodPost, "/api/v1/channels/"+ch.id+"/pause", ch.host); ok {
		l.pause.add(d)
		l.pauses.Add(1)
	}
	_ = sleep(ctx, l.c.Hold)
	// Resume even when the run ended: no channel is left paused.
	if d, ok := l.call(http.MethodPost, "/api/v1/channels/"+ch.id+"/resume", ch.host); ok {
		l.resume.add(d)
	}
	_ = sleep(ctx, l.c.Hold)
}

func (l *load) call(method, path, token string) (time.Duration, bool) {
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader("{}")
	}
	req, _ := http.NewRequest(method, l.c.Base+path, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	t0 := time.Now()
	resp, err := l.client.Do(req)
	if err != nil {
		l.apiFail.Add(1)
		return 0, false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		l.apiFail.Add(1)
		return 0, false
	}
	return time.Since(t0), true
}

type report struct {
	Label        string               `json:"label,omitempty"`
	Channels     int                  `json:"channels"`
	Seconds      float64              `json:"seconds"`
	BitrateMbps  float64              `json:"target_bitrate_mbps"`
	IngestMbps   float64              `json:"ingest_mbps"`
	Ack          map[string]quantiles `json:"ack"`
	Failed       int64                `json:"ingest_failed"`
	Acked        int64                `json:"segments_acked"`
	Listed       int64                `json:"segments_listed"`
	Lost         int64                `json:"segments_lost"`
	Mismatch     int                  `json:"channels_mismatched"`
	LostChannels []string             `json:"lost_channels,omitempty"`
	Pauses       int64                `json:"pauses"`
	Pause        quantiles            `json:"pause"`
	Resume       quantiles            `json:"resume"`
	GetBaseline  quantiles            `json:"get_channel_baseline"`
	APIFailed    int64                `json:"api_failed"`
	Budgets      []string             `json:"budgets,omitempty"`
}

// verify reads every channel's full playlist back and compares the
// number of listed segments with the acknowledged ones (channels
// 0..pause-channels-1 are the paused ones).
func (l *load) verify(chans []*channel, elapsed time.Duration) *report {
	r := &report{Label: l.c.Label, Channels: len(chans), Seconds: elapsed.Seconds(), BitrateMbps: l.c.Bitrate / 1e6,
		IngestMbps: float64(l.bytes.Load()) * 8 / elapsed.Seconds() / 1e6, Ack: map[string]quantiles{},
		Failed: l.failed.Load(), Pauses: l.pauses.Load(), Pause: l.pause.q(), Resume: l.resume.q(),
		GetBaseline: l.baseGet.q()}
	for k, h := range l.ack {
		r.Ack[k] = h.q()
	}
	for i, ch := range chans {
		acked := ch.acked.Load()
		listed := l.listed(ch.id)
		r.Acked += acked
		r.Listed += listed
		// A pause splits the segment that straddles it into a host part
		// and a slate part: paused channels list at least what was acked,
		// the others exactly that.
		if listed < acked || (i >= l.c.PauseChans && listed != acked) {
			r.Lost += max(0, acked-listed)
			r.Mismatch++
			r.LostChannels = append(r.LostChannels, fmt.Sprintf("%s: %d acked, %d listed", ch.id, acked, listed))
		}
	}
	r.APIFailed = l.apiFail.Load()
	verdict := func(ok bool) string {
		if ok {
			return "PASS"
		}
		return "MISS"
	}
	if l.c.BudgetAck > 0 {
		lim := float64(l.c.BudgetAck) / 1e6
		m := r.Ack["segment"].P99
		r.Budgets = append(r.Budgets, fmt.Sprintf("segment ack p99 %.2f ms < %g ms: %s", m, lim, verdict(m < lim)))
		r.Budgets = append(r.Budgets, fmt.Sprintf("segments lost %d (acked %d, listed %d, failed PUTs %d) == 0: %s",
			r.Lost, r.Acked, r.Listed, r.Failed, verdict(r.Lost == 0 && r.Mismatch == 0 && r.Failed == 0)))
	}
	if l.c.BudgetPse > 0 && r.Pauses > 0 {
		lim := float64(l.c.BudgetPse) / 1e6
		m := max(r.Pause.P99, r.Resume.P99)
		r.Budgets = append(r.Budgets, fmt.Sprintf("pause/resume p99 %.2f ms < %g ms: %s", m, lim, verdict(m < lim && r.APIFailed == 0)))
	}
	return r
}

// listed counts the segments of the channel's replay media playlist
// (every stored segment, pauses kept).
func (l *load) listed(id string) int64 {
	resp, err := l.client.Get(l.c.Base + "/replay/" + id + "/v/index.m3u8?pauses=keep")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return 0
	}
	return int64(bytes.Count(b, []byte("#EXTINF:")))
}

func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "ingestload %s: %d publishers for %.1f s, %.1f Mbit/s each target, %.0f Mbit/s ingested\n",
		r.Label, r.Channels, r.Seconds, r.BitrateMbps, r.IngestMbps)
	for _, k := range []string{"init", "segment", "playlist"} {
		q := r.Ack[k]
		fmt.Fprintf(w, "  ack %-9s n=%-6d p50 %7.2f ms  p90 %7.2f ms  p99 %7.2f ms  max %7.2f ms\n", k, q.Count, q.P50, q.P90, q.P99, q.Max)
	}
	fmt.Fprintf(w, "  segments acked %d, listed in playlists read back %d, lost %d; failed PUTs %d\n", r.Acked, r.Listed, r.Lost, r.Failed)
	for _, s := range r.LostChannels {
		fmt.Fprintln(w, "    lost:", s)
	}
	if r.Pauses > 0 {
		fmt.Fprintf(w, "  pause  n=%-4d p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms\n", r.Pause.Count, r.Pause.P50, r.Pause.P99, r.Pause.Max)
		fmt.Fprintf(w, "  resume n=%-4d p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms\n", r.Resume.Count, r.Resume.P50, r.Resume.P99, r.Resume.Max)
		fmt.Fprintf(w, "  GET channel (baseline, same run) n=%d p50 %.2f ms p99 %.2f ms; API failures %d\n",
			r.GetBaseline.Count, r.GetBaseline.P50, r.GetBaseline.P99, r.APIFailed)
	}
	for _, b := range r.Budgets {
		fmt.Fprintln(w, "  budget", b)
	}
}
