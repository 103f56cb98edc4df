package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// playerResult is what web/test/player.mjs reports.
type playerResult struct {
	Played     float64          `json:"played"`
	MaxStallMs float64          `json:"maxStallMs"`
	Fatal      []map[string]any `json:"fatal"`
	Errors     int              `json:"errors"`
	H264       bool             `json:"h264"`
	Width      int              `json:"width"`
	Events     []map[string]any `json:"events"`
	Watched    float64          `json:"watched"`   // wall seconds from the first frame played to the end
	StartedAt  int64            `json:"startedAt"` // when the first frame played (Unix ms)
}

// TestBrowserPlaysThroughPause: hls.js in headless chromium plays a live
// stream while the host pauses and resumes, without a fatal error or a
// stall longer than one segment (2 s).
func TestBrowserPlaysThroughPause(t *testing.T) {
	chromium, web := needBrowser(t)
	s := startServer(t, t.TempDir())
	cr := s.createChannel(t, "browser")
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	wait := publish(ctx, t, s.base+"/ingest/browser/index.m3u8", cr.StreamKey, "muxed", 44)
	waitForSegments(t, s, "browser", 1, 3)

	cmd := exec.CommandContext(ctx, "node", filepath.Join(web, "test", "player.mjs"), s.base+"/watch/browser", "34")
	cmd.Env = append(cmd.Environ(), "CHROMIUM="+chromium)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Second)
	pausedAt := time.Now()
	if st := s.do(t, "POST", "/api/v1/channels/browser/pause", cr.HostToken, nil, nil); st != 200 {
		t.Fatalf("pause: %d", st)
	}
	time.Sleep(10 * time.Second)
	resumedAt := time.Now()
	if st := s.do(t, "POST", "/api/v1/channels/browser/resume", cr.HostToken, nil, nil); st != 200 {
		t.Fatalf("resume: %d", st)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("player: %v\n%s", err, stderr.String())
	}
	wait()
	var res playerResult
	if err := json.Unmarshal(bytes.TrimSpace(out.Bytes()), &res); err != nil {
		t.Fatalf("player output %q: %v", out.String(), err)
	}
	t.Logf("browser: played %.1f s in %.1f s, longest stall %.0f ms, %d hls.js errors (fatal %d), h264 %v, width %d",
		res.Played, res.Watched, res.MaxStallMs, res.Errors, len(res.Fatal), res.H264, res.Width)
	if len(res.Fatal) > 0 {
		t.Errorf("fatal player errors: %v", res.Fatal)
	}
	if res.MaxStallMs > 2000+250 { // one segment, plus the 200 ms sampling period
		t.Errorf("stalled %.0f ms, longer than one segment; events %v", res.MaxStallMs, res.Events)
	}
	// Playing from before the pause until well after the resume (the
	// slate and the host's return), and for all of that time but stalls.
	started := time.UnixMilli(res.StartedAt)
	if res.StartedAt == 0 || !started.Before(pausedAt) {
		t.Fatalf("playback started at %v, not before the pause at %v (load?)", started.Format("15:04:05.000"), pausedAt.Format("15:04:05.000"))
	}
	if end := started.Add(time.Duration(res.Watched * float64(time.Second))); end.Sub(resumedAt) < 6*time.Second {
		t.Errorf("watched only until %v after the resume", end.Sub(resumedAt))
	}
	// A player stuck at a discontinuity plays next to nothing; a starved
	// machine plays somewhat slower than real time (decoding), hence 60%.
	if res.Played < 0.6*res.Watched {
		t.Errorf("played %.1f s in %.1f s of watching; events %v", res.Played, res.Watched, res.Events)
	}
}
