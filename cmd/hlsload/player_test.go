package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPlayheadCountsStalls(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	p := newPlayhead(1, t0)
	p.add(at(0.5), 2) // starts: 0.5 s startup, 2 s buffered
	if !p.playing || p.Startup != 500*time.Millisecond {
		t.Fatalf("playing %v startup %s", p.playing, p.Startup)
	}
	p.add(at(2), 2) // 1.5 s played, 0.5 + 2 left
	p.advance(at(4))
	if p.Stalls != 0 || p.Buffered() < 0.49 || p.Buffered() > 0.51 {
		t.Fatalf("at 4 s: stalls %d buffered %.2f", p.Stalls, p.Buffered())
	}
	p.advance(at(5)) // ran dry at 4.5 s
	if p.Stalls != 1 || p.playing {
		t.Fatalf("at 5 s: stalls %d playing %v", p.Stalls, p.playing)
	}
	p.add(at(6), 0.5) // below the start buffer: still stalled
	if p.playing {
		t.Fatal("resumed below the start buffer")
	}
	p.add(at(6.5), 2) // resumes: stalled 4.5 s .. 6.5 s
	if !p.playing || p.StallTime != 2*time.Second {
		t.Fatalf("after resume: playing %v stall time %s", p.playing, p.StallTime)
	}
	p.finish(at(20)) // 2.5 s buffered runs dry at 9 s, open stall until 20 s
	if p.Stalls != 2 || p.StallTime != 13*time.Second {
		t.Fatalf("finish: stalls %d stall time %s", p.Stalls, p.StallTime)
	}
	if p.Played < 6.49 || p.Played > 6.51 {
		t.Fatalf("played %.2f s, want 6.5", p.Played)
	}
}

func TestPlayheadNoStallBeforeStart(t *testing.T) {
	t0 := time.Unix(0, 0)
	p := newPlayhead(4, t0)
	p.add(t0.Add(time.Second), 2)
	p.finish(t0.Add(10 * time.Second))
	if p.Stalls != 0 || p.started || p.StallTime != 0 {
		t.Fatalf("never started, yet stalls %d stall time %s", p.Stalls, p.StallTime)
	}
}

func TestParsePlaylist(t *testing.T) {
	base := mustURL(t, "http://127.0.0.1:1/live/c/index.m3u8")
	vars, mp, err := parsePlaylist([]byte("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=900000,CODECS=\"avc1.4d401e,mp4a.40.2\"\nhi/index.m3u8\n"+
		"#EXT-X-STREAM-INF:CODECS=\"a,b\",BANDWIDTH=300000\nlo/index.m3u8\n"), base)
	if err != nil || mp != nil || len(vars) != 2 {
		t.Fatalf("multivariant: %v %v %v", vars, mp, err)
	}
	if got := pickVariant(vars, "lowest"); got != "http://127.0.0.1:1/live/c/lo/index.m3u8" {
		t.Fatalf("lowest: %s", got)
	}
	if got := pickVariant(vars, "highest"); got != "http://127.0.0.1:1/live/c/hi/index.m3u8" {
		t.Fatalf("highest: %s", got)
	}
	_, mp, err = parsePlaylist([]byte("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:7\n#EXT-X-MAP:URI=\"init-1.mp4\"\n"+
		"#EXTINF:2.0,\n7.m4s\n#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"init-2.mp4\"\n#EXTINF:1.5,\n8.m4s\n"), mustURL(t, "http://127.0.0.1:1/live/c/v/index.m3u8"))
	if err != nil || mp.Target != 2 || len(mp.Segments) != 2 {
		t.Fatalf("media: %+v %v", mp, err)
	}
	if s := mp.Segments[1]; s.Seq != 8 || s.Duration != 1.5 || !strings.HasSuffix(s.MapURI, "/v/init-2.mp4") || !strings.HasSuffix(s.URI, "/v/8.m4s") {
		t.Fatalf("segment 8: %+v", s)
	}
	for _, bad := range []string{"", "hello", "#EXTM3U\n#EXTINF:2,\na.m4s\n", "#EXTM3U\n#EXT-X-TARGETDURATION:2\nnoinf.m4s\n",
		"#EXTM3U\n#EXT-X-TARGETDURATION:x\n"} {
		if _, _, err := parsePlaylist([]byte(bad), base); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestRefusesNonLoopbackTargets(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:8080/a.m3u8", "http://localhost/x", "http://[::1]:9/x", "http://127.1.2.3/x"} {
		if err := checkTarget(ok); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://10.0.0.1/x", "http://192.168.1.1/x", "https://example.com/x", "ftp://127.0.0.1/x", "http://0.0.0.0/x"} {
		if err := checkTarget(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if _, err := parseFlags([]string{"-url", "http://127.0.0.1:1/b%d.m3u8", "-channels", "2", "-viewers", "2", "-duration", "1h"}, new(strings.Builder)); err == nil {
		t.Error("-duration 1h accepted")
	}
	if _, err := parseFlags([]string{"-url", "http://8.8.8.8/x.m3u8"}, new(strings.Builder)); err == nil {
		t.Error("public target accepted")
	}
}

// liveServer is a live HLS stream on 127.0.0.1: segment i (1 s) becomes
// available at start + i s; the playlist lists the last four. It can stop
// producing (frozen) or fail segments with 500 from a given sequence.
type liveServer struct {
	srv      *httptest.Server
	start    time.Time
	mu       sync.Mutex
	freezeAt int // no segment >= freezeAt is ever produced (-1: never)
	failFrom int // segments >= failFrom answer 500 (-1: never)
	gets     map[string]int
}

func newLiveServer(t *testing.T, freezeAt, failFrom int) *liveServer {
	ls := &liveServer{start: time.Now().Add(-3500 * time.Millisecond), freezeAt: freezeAt, failFrom: failFrom, gets: map[string]int{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ls.srv = &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(ls.serve)}}
	ls.srv.Start()
	t.Cleanup(ls.srv.Close)
	return ls
}

func (ls *liveServer) produced() int {
	n := int(time.Since(ls.start)/time.Second) + 1
	if ls.freezeAt >= 0 {
		n = min(n, ls.freezeAt)
	}
	return n
}

func (ls *liveServer) serve(w http.ResponseWriter, r *http.Request) {
	ls.mu.Lock()
	ls.gets[r.URL.Path]++
	n := ls.produced()
	fail := ls.failFrom
	ls.mu.Unlock()
	switch {
	case r.URL.Path == "/live/index.m3u8":
		fmt.Fprint(w, "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\nhi.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=200000\nlo.m3u8\n")
	case r.URL.Path == "/live/lo.m3u8":
		first := max(0, n-4)
		fmt.Fprintf(w, "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:%d\n#EXT-X-MAP:URI=\"init.mp4\"\n", first)
		for i := first; i < n; i++ {
			fmt.Fprintf(w, "#EXTINF:1.0,\n%d.m4s\n", i)
		}
	case r.URL.Path == "/live/init.mp4":
		w.Write(make([]byte, 100))
	case strings.HasSuffix(r.URL.Path, ".m4s"):
		var seq int
		fmt.Sscanf(strings.TrimPrefix(r.URL.Path, "/live/"), "%d.m4s", &seq)
		if fail >= 0 && seq >= fail {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		w.Write(make([]byte, 1000))
	default:
		http.NotFound(w, r)
	}
}

func (ls *liveServer) count(path string) int {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.gets[path]
}

func runViewer(t *testing.T, ls *liveServer, d time.Duration) (*viewer, *stats) {
	t.Helper()
	cfg := config{Viewers: 1, Conns: 1, Timeout: 5 * time.Second}
	st := newStats(10000, nil)
	v := newViewer(ls.srv.URL+"/live/index.m3u8", "lowest", newClient(cfg), st)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	v.run(ctx)
	return v, st
}

// A healthy stream: the lowest variant is followed, every new segment is
// fetched exactly once and in order, the init once, reloads keep RFC 8216
// 6.3.4 timing.
func TestViewerFollowsLiveStream(t *testing.T) {
	t.Parallel()
	ls := newLiveServer(t, -1, -1)
	v, st := runViewer(t, ls, 4500*time.Millisecond)
	if ls.count("/live/hi.m3u8") != 0 || ls.count("/live/lo.m3u8") < 3 {
		t.Fatalf("variant loads: hi %d lo %d", ls.count("/live/hi.m3u8"), ls.count("/live/lo.m3u8"))
	}
	if n := ls.count("/live/init.mp4"); n != 1 {
		t.Fatalf("init fetched %d times", n)
	}
	ls.mu.Lock()
	for p, n := range ls.gets {
		if strings.HasSuffix(p, ".m4s") && n != 1 {
			t.Errorf("%s fetched %d times", p, n)
		}
	}
	ls.mu.Unlock()
	// Tune-in: three target durations from the end of a 4-segment window.
	if ls.count("/live/0.m4s") != 0 || ls.count("/live/1.m4s") != 1 {
		t.Fatalf("tune-in: 0.m4s %d, 1.m4s %d", ls.count("/live/0.m4s"), ls.count("/live/1.m4s"))
	}
	if st.status5xx[kindSegment].Load() != 0 || st.status2xx[kindSegment].Load() < 4 {
		t.Fatalf("segments: 2xx %d 5xx %d", st.status2xx[kindSegment].Load(), st.status5xx[kindSegment].Load())
	}
	checkReloadTiming(t, v.reloads, time.Second)
	if !v.ph.started {
		t.Fatal("playback never started")
	}
}

// checkReloadTiming: the wait after a changed playlist is the target
// duration, after an unchanged one half of it, and the next load never
// starts before that wait has passed since the previous load began.
func checkReloadTiming(t *testing.T, rl []reload, target time.Duration) {
	t.Helper()
	if len(rl) < 3 {
		t.Fatalf("%d reloads", len(rl))
	}
	if !rl[0].Changed {
		t.Error("first load not counted as changed")
	}
	for i, r := range rl {
		want := target
		if !r.Changed {
			want = target / 2
		}
		if r.OK && r.Wait != want {
			t.Errorf("reload %d (changed %v): wait %s, want %s", i, r.Changed, r.Wait, want)
		}
		if i > 0 && rl[i].At.Sub(rl[i-1].At) < rl[i-1].Wait {
			t.Errorf("reload %d started %s after the previous one, before its wait %s", i, rl[i].At.Sub(rl[i-1].At), rl[i-1].Wait)
		}
	}
}

// The origin stops producing: the playlist stays the same (reloads at half
// the target duration), the buffer runs dry and the stall is counted.
func TestViewerStallsWhenStreamFreezes(t *testing.T) {
	t.Parallel()
	ls := newLiveServer(t, 4, -1) // segments 0..3 exist, nothing after
	v, st := runViewer(t, ls, 5*time.Second)
	if v.ph.Stalls != 1 || v.ph.StallTime <= 0 {
		t.Fatalf("stalls %d stall time %s, want one open stall", v.ph.Stalls, v.ph.StallTime)
	}
	unchanged := 0
	for _, r := range v.reloads[1:] {
		if !r.Changed {
			unchanged++
		}
	}
	if unchanged < 3 {
		t.Fatalf("%d unchanged reloads of %d", unchanged, len(v.reloads))
	}
	checkReloadTiming(t, v.reloads, time.Second)
	if st.stalls != 1 || st.stalled != 1 {
		t.Fatalf("stats: stalls %d viewers stalled %d", st.stalls, st.stalled)
	}
}

// Segments fail with 500 from seq 5 on: every failure is counted as 5xx,
// no failed segment is retried, and the lost media makes the player stall.
func TestViewerCountsServerErrorsAndStalls(t *testing.T) {
	t.Parallel()
	ls := newLiveServer(t, -1, 5)
	v, st := runViewer(t, ls, 6*time.Second)
	n5 := st.status5xx[kindSegment].Load()
	if n5 < 2 {
		t.Fatalf("5xx counted %d", n5)
	}
	if v.ph.Stalls < 1 {
		t.Fatalf("no stall after media failed (buffered %.1f s)", v.ph.Buffered())
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	for p, n := range ls.gets {
		if strings.HasSuffix(p, ".m4s") && n != 1 {
			t.Errorf("%s fetched %d times", p, n)
		}
	}
}

// A request budget stops the run.
func TestRequestLimitStopsRun(t *testing.T) {
	t.Parallel()
	ls := newLiveServer(t, -1, -1)
	cfg := config{URL: ls.srv.URL + "/live/index.m3u8", Channels: 1, Viewers: 3, Duration: 20 * time.Second,
		MaxRequests: 12, Rendition: "first", Conns: 3, Timeout: 5 * time.Second}
	start := time.Now()
	rep, err := run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	total := int64(0)
	for _, k := range rep.Kinds {
		total += k.Requests
	}
	if !rep.LimitHit || total > 12 || time.Since(start) > 15*time.Second {
		t.Fatalf("limit hit %v, %d requests, %s", rep.LimitHit, total, time.Since(start))
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
