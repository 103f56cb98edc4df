package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// player runs web/test/player.mjs (hls.js in headless chromium) on a page
// for secs seconds.
type player struct {
	cmd         *exec.Cmd
	out, stderr bytes.Buffer
}

func startPlayer(ctx context.Context, t *testing.T, chromium, web, url string, secs int) *player {
	t.Helper()
	p := &player{cmd: exec.CommandContext(ctx, "node", filepath.Join(web, "test", "player.mjs"), url, strconv.Itoa(secs))}
	p.cmd.Env = append(p.cmd.Environ(), "CHROMIUM="+chromium)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *player) result(t *testing.T) playerResult {
	t.Helper()
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("player: %v\n%s", err, p.stderr.String())
	}
	var res playerResult
	if err := json.Unmarshal(bytes.TrimSpace(p.out.Bytes()), &res); err != nil {
		t.Fatalf("player output %q: %v", p.out.String(), err)
	}
	return res
}

// TestBrowserDemuxedPause: hls.js (the viewer page's) in headless chromium
// on an ABR ladder with demuxed audio. A viewer watching through a pause
// and resume plays on (no fatal error, no stall longer than one target
// duration); a viewer joining after the pause (its live window holds the
// pause's discontinuities) starts and plays. Every poll of the media
// playlists passes hlscheck.CheckVariant.
func TestBrowserDemuxedPause(t *testing.T) {
	chromium, web := needBrowser(t)
	s := startServer(t, t.TempDir())
	const id = "demuxbrowser"
	cr := s.createChannel(t, id)
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	wait := publish(ctx, t, s.base+"/ingest/"+id+"/stream_%v.m3u8", cr.StreamKey, "demuxed", 62)
	waitForSegments(t, s, id, 3, 3)
	l := newLadder(s.base, id, nil)
	lctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { l.run(lctx); close(done) }()

	first := startPlayer(ctx, t, chromium, web, s.base+"/watch/"+id, 36)
	time.Sleep(10 * time.Second)
	pausedAt := time.Now()
	if st := s.do(t, "POST", "/api/v1/channels/"+id+"/pause", cr.HostToken, nil, nil); st != 200 {
		t.Fatalf("pause: %d", st)
	}
	time.Sleep(10 * time.Second)
	resumedAt := time.Now()
	if st := s.do(t, "POST", "/api/v1/channels/"+id+"/resume", cr.HostToken, nil, nil); st != 200 {
		t.Fatalf("resume: %d", st)
	}
	time.Sleep(4 * time.Second)
	joiner := startPlayer(ctx, t, chromium, web, s.base+"/watch/"+id, 20)
	r1, r2 := first.result(t), joiner.result(t)
	wait()
	stop()
	<-done

	target := 3 // 2 s segments: ceil(1.5 x 2)
	for _, c := range []struct {
		name string
		res  playerResult
	}{{"watching", r1}, {"joining", r2}} {
		res := c.res
		t.Logf("%s: played %.1f s in %.1f s, longest stall %.0f ms, %d hls.js errors (fatal %d), width %d",
			c.name, res.Played, res.Watched, res.MaxStallMs, res.Errors, len(res.Fatal), res.Width)
		if len(res.Fatal) > 0 {
			t.Errorf("%s: fatal player errors: %v", c.name, res.Fatal)
		}
		if res.StartedAt == 0 {
			t.Errorf("%s: never started playing; events %v", c.name, res.Events)
			continue
		}
		if res.MaxStallMs > float64(target*1000+250) {
			t.Errorf("%s: stalled %.0f ms, longer than one target duration; events %v", c.name, res.MaxStallMs, res.Events)
		}
		if res.Played < 0.6*res.Watched {
			t.Errorf("%s: played %.1f s in %.1f s of watching; events %v", c.name, res.Played, res.Watched, res.Events)
		}
	}
	if started := time.UnixMilli(r1.StartedAt); r1.StartedAt != 0 && !started.Before(pausedAt) {
		t.Errorf("first viewer started at %v, not before the pause (load?)", started.Format("15:04:05.000"))
	}
	if end := time.UnixMilli(r1.StartedAt).Add(time.Duration(r1.Watched * float64(time.Second))); end.Sub(resumedAt) < 6*time.Second {
		t.Errorf("first viewer watched only until %v after the resume", end.Sub(resumedAt))
	}
	if r2.Played < 8 {
		t.Errorf("joining viewer played only %.1f s", r2.Played)
	}
	for _, err := range l.errors() {
		t.Error(err)
	}
}
