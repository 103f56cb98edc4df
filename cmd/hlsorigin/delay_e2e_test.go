package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// backdated is the pause answer of the back-dated pause tests.
type backdated struct {
	State string `json:"state"`
	Pause struct {
		ID        string     `json:"id"`
		StartedAt time.Time  `json:"started_at"`
		EndedAt   *time.Time `json:"ended_at"`
		Exposed   *struct {
			From  time.Time `json:"from"`
			Until time.Time `json:"until"`
		} `json:"exposed"`
	} `json:"pause"`
}

// TestE2EBackdatedPause: with -publish-delay 6s, a pause 3 s in the past
// hides everything from its at before anyone could see it (exposed null);
// on a channel without delay (PATCH publish_delay 0), a pause 15 s in the
// past names the published part as exposed and withdraws it. Either way no
// frame captured in [at, resume) is reachable by any URL: the live
// playlist (a viewer, and every URI it lists), every segment sequence
// number, the replay (pauses kept or left out) and the MP4 export. After a
// restart over the same data, none of it is reachable either.
func TestE2EBackdatedPause(t *testing.T) {
	needTool(t, "ffmpeg")
	dir := t.TempDir()
	s := startServer(t, dir, "-publish-delay", "6s")
	var mu sync.Mutex
	hidden := map[string][2]time.Time{} // channel -> [at, resume)
	t.Run("sessions", func(t *testing.T) { backdatedSessions(t, s, &mu, hidden) })
	if t.Failed() || len(hidden) != 3 {
		return
	}
	s.stop(t)
	s = startServer(t, dir, "-publish-delay", "6s")
	for id, iv := range hidden {
		for _, rend := range renditionNames(t, s, id, "video") {
			probeAll(t, s, id, rend, "after a restart", iv[0], iv[1])
		}
	}
}

func backdatedSessions(t *testing.T, s *server, mu *sync.Mutex, hidden map[string][2]time.Time) {
	for _, tc := range []struct {
		name      string
		layout    string
		delay     float64 // channel publish_delay; <0: the server's
		before    time.Duration
		back      time.Duration
		exposed   bool
		liveWatch bool
	}{
		{name: "delayed", layout: "abr", delay: -1, before: 8 * time.Second, back: 3 * time.Second, liveWatch: true},
		{name: "exposed", layout: "muxed", delay: 0, before: 18 * time.Second, back: 15 * time.Second, exposed: true},
		{name: "exposed-demuxed", layout: "demuxed", delay: 0, before: 18 * time.Second, back: 15 * time.Second, exposed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			id := "backdated-" + tc.name
			cr := s.createChannel(t, id)
			if tc.delay >= 0 {
				var v struct {
					PublishDelay float64 `json:"publish_delay"`
				}
				if st := s.do(t, "PATCH", "/api/v1/channels/"+id, cr.HostToken, map[string]any{"publish_delay": tc.delay}, &v); st != 200 || v.PublishDelay != tc.delay {
					t.Fatalf("patch publish_delay: %d %+v", st, v)
				}
			}
			at, resume := testBackdated(t, s, id, cr, tc.layout, tc.before, tc.back, tc.exposed, tc.liveWatch)
			mu.Lock()
			hidden[id] = [2]time.Time{at, resume}
			mu.Unlock()
		})
	}
}

func testBackdated(t *testing.T, s *server, id string, cr channelCreds, layout string, before, back time.Duration, exposed, liveWatch bool) (at, resume time.Time) {
	const seconds = 36
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Second)
	defer cancel()
	playlist, rends := "index.m3u8", 1
	switch layout {
	case "abr":
		playlist, rends = "stream_%v.m3u8", 2
	case "demuxed":
		playlist, rends = "stream_%v.m3u8", 3
	}
	pub := startStamped(ctx, t, seconds, stampedArgs(seconds, s.base+"/ingest/"+id+"/"+playlist, cr.StreamKey, layout, false))
	waitForSegments(t, s, id, rends, 1)
	var live []frameStamp
	var wg sync.WaitGroup
	viewCtx, stopViewer := context.WithCancel(ctx)
	if liveWatch {
		wg.Add(1)
		go func() {
			defer wg.Done()
			live, _, _ = decodeStamps(viewCtx, s.base+"/live/"+id+"/index.m3u8")
		}()
	}
	time.Sleep(before)
	at = time.Now().Add(-back).UTC()
	var p backdated
	if st := s.do(t, "POST", "/api/v1/channels/"+id+"/pause", cr.HostToken, map[string]any{"at": at}, &p); st != 200 {
		t.Fatalf("pause: %d", st)
	}
	if !p.Pause.StartedAt.Equal(at) {
		t.Errorf("pause started at %s, asked for %s", p.Pause.StartedAt, at)
	}
	switch e := p.Pause.Exposed; {
	case !exposed && e != nil:
		t.Errorf("exposed %+v with a publish delay longer than the back-dating", *e)
	case exposed && (e == nil || e.From.Before(at.Add(-time.Millisecond)) || e.Until.Before(at.Add(back/2))):
		t.Errorf("exposed %+v, want from %s to about now", e, at)
	}
	// Right after the pause nothing captured from at is reachable (the
	// resume is later: [at, now) is the interval to check).
	for _, rend := range renditionNames(t, s, id, "video") {
		probeAll(t, s, id, rend, "right after the pause", at, time.Now())
	}
	time.Sleep(8 * time.Second)
	if st := s.do(t, "POST", "/api/v1/channels/"+id+"/resume", cr.HostToken, nil, &p); st != 200 || p.Pause.EndedAt == nil {
		t.Fatalf("resume: %d", st)
	}
	resume = *p.Pause.EndedAt
	pub.wait(t)
	time.Sleep(8 * time.Second) // everything delayed is listed by now
	stopViewer()
	wg.Wait()
	if liveWatch {
		checkOutside(t, "live viewer", live, at, resume, true)
	}
	var ps []struct {
		ID      string `json:"id"`
		Exposed *struct {
			Until time.Time `json:"until"`
		} `json:"exposed"`
	}
	s.do(t, "GET", "/api/v1/channels/"+id+"/pauses", "", nil, &ps)
	if len(ps) != 1 || (ps[0].Exposed != nil) != exposed {
		t.Errorf("/pauses: %+v, exposed want %v", ps, exposed)
	}
	for _, rend := range renditionNames(t, s, id, "video") {
		_, pl, _ := s.get(t, "/live/"+id+"/"+rend+"/index.m3u8")
		if exposed != strings.Contains(string(pl), "X-EXPOSED-UNTIL=") && strings.Contains(string(pl), "pause-"+p.Pause.ID) {
			t.Errorf("%s: DATERANGE X-EXPOSED-UNTIL present %v, want %v:\n%s", rend, !exposed, exposed, pl)
		}
		probeAll(t, s, id, rend, "after the session", at, resume)
	}
	// Demuxed audio leaves out of the replay what the video leaves out
	// (the withdrawn span as well as the slate).
	if audio := renditionNames(t, s, id, "audio"); len(audio) > 0 {
		video := renditionNames(t, s, id, "video")[0]
		frames, _, err := decodeStamps(ctx, s.base+"/replay/"+id+"/"+video+"/index.m3u8")
		a := audioSeconds(t, s.base+"/replay/"+id+"/"+audio[0]+"/index.m3u8")
		if v := float64(len(frames)) / 30; err != nil || math.Abs(a-v) > 0.5 {
			t.Errorf("replay: audio lasts %.3f s, video %.3f s (%v)", a, v, err)
		}
	}
	return at, resume
}

// probeAll checks every URL a viewer could use: every URI of the live
// media playlist, every segment sequence number (with each init), the
// replay with pauses kept and omitted, the MP4 export.
func probeAll(t *testing.T, s *server, id, rend, when string, at, resume time.Time) {
	t.Helper()
	when = rend + " " + when
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	base := "/live/" + id + "/" + rend + "/"
	var inits []string
	for v := 1; v <= 8; v++ {
		if st, _, _ := s.get(t, base+fmt.Sprintf("init-%d.mp4", v)); st == 200 {
			inits = append(inits, fmt.Sprintf("init-%d.mp4", v))
		}
	}
	_, pl, _ := s.get(t, base+"index.m3u8")
	listed := map[string]bool{}
	gap := false
	for _, l := range strings.Split(string(pl), "\n") {
		if l == "#EXT-X-GAP" {
			gap = true
		} else if strings.HasSuffix(l, ".m4s") {
			listed[l] = !gap
			gap = false
		}
	}
	var direct []frameStamp
	served := 0
	dir := t.TempDir()
	for seq := 0; seq < 40; seq++ {
		uri := fmt.Sprintf("%d.m4s", seq)
		st, seg, hdr := s.get(t, base+uri)
		if ok, in := listed[uri]; in && ok != (st == 200) {
			t.Errorf("%s: %s listed (gap %v) but answers %d", when, uri, !ok, st)
		}
		if st != 200 {
			if st != 404 || !strings.Contains(hdr.Get("Cache-Control"), "max-age=1") {
				t.Errorf("%s: %s: %d, Cache-Control %q", when, uri, st, hdr.Get("Cache-Control"))
			}
			continue
		}
		served++
		for _, in := range inits {
			_, ib, _ := s.get(t, base+in)
			f := filepath.Join(dir, fmt.Sprintf("%d-%s", seq, in))
			os.WriteFile(f, append(ib, seg...), 0o644)
			frames, _, err := decodeStamps(ctx, f)
			if err == nil {
				direct = append(direct, frames...)
			}
		}
	}
	if served == 0 {
		t.Fatalf("%s: no segment served at all", when)
	}
	checkOutside(t, when+": direct segment URLs", direct, at, resume, true)
	for _, q := range []string{"", "?pauses=keep"} {
		frames, _, err := decodeStamps(ctx, s.base+"/replay/"+id+"/"+rend+"/index.m3u8"+q)
		if err != nil {
			t.Fatalf("%s: replay%s: %v", when, q, err)
		}
		checkOutside(t, when+": replay"+q, frames, at, resume, true)
	}
	file := filepath.Join(dir, "export.mp4")
	fetchMP4(t, s.base+"/replay/"+id+".mp4?rendition="+rend, file)
	frames, _, err := decodeStamps(ctx, file)
	if err != nil {
		t.Fatalf("%s: export: %v", when, err)
	}
	checkOutside(t, when+": mp4 export", frames, at, resume, true)
}

// checkOutside: no host frame captured in [at, resume); with host, some
// host frame before at (the check is not vacuous).
func checkOutside(t *testing.T, what string, frames []frameStamp, at, resume time.Time, host bool) {
	t.Helper()
	a, r := at.UnixMilli(), resume.UnixMilli()
	inside, outside := 0, 0
	for _, f := range frames {
		switch {
		case f.slate:
		case f.ms >= a && f.ms < r:
			inside++
		default:
			outside++
		}
	}
	if inside > 0 {
		t.Errorf("%s: %d frames captured in [%s, %s) reachable;%s", what, inside,
			at.Format("15:04:05.000"), resume.Format("15:04:05.000"), stampSummary(frames))
	}
	if host && outside == 0 {
		t.Errorf("%s: no host frame at all (%d frames)", what, len(frames))
	}
	t.Logf("%s: %d frames, %d host outside the pause", what, len(frames), outside)
}
