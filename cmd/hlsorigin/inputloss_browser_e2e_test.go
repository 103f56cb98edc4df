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

// TestBrowserPlaysThroughInputLoss: hls.js in headless chromium plays a
// live stream whose encoder is SIGKILLed and restarted 15 s later: no
// fatal error, no stall longer than one target duration (3 s), playing
// through the reconnecting slate and back to host video; the host
// console shows the channel reconnecting with the encoder offline.
func TestBrowserPlaysThroughInputLoss(t *testing.T) {
	chromium, web := needBrowser(t)
	s := startServer(t, t.TempDir())
	cr := s.createChannel(t, "lossb")
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	url := s.base + "/ingest/lossb/index.m3u8"
	enc := startEncoder(ctx, t, url, cr.StreamKey, "muxed", 120)
	waitForSegments(t, s, "lossb", 1, 3)

	cmd := exec.CommandContext(ctx, "node", filepath.Join(web, "test", "player.mjs"), s.base+"/watch/lossb", "45")
	cmd.Env = append(cmd.Environ(), "CHROMIUM="+chromium)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Second)
	killed := enc.kill(t)
	host := exec.CommandContext(ctx, "node", filepath.Join(web, "test", "hoststate.mjs"),
		s.base+"/host/lossb#token="+cr.HostToken, "reconnecting", "1", "25")
	host.Env = cmd.Env
	hostOut, hostErr := host.Output()
	if hostErr != nil {
		t.Errorf("host console did not show reconnecting with the encoder offline: %v %s", hostErr, hostOut)
	}
	time.Sleep(time.Until(killed.Add(15 * time.Second)))
	enc = startEncoder(ctx, t, url, cr.StreamKey, "muxed", 120)
	defer enc.kill(t)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("player: %v\n%s", err, stderr.String())
	}
	var res playerResult
	if err := json.Unmarshal(bytes.TrimSpace(out.Bytes()), &res); err != nil {
		t.Fatalf("player output %q: %v", out.String(), err)
	}
	t.Logf("browser: played %.1f s in %.1f s, longest stall %.0f ms, %d hls.js errors (fatal %d)",
		res.Played, res.Watched, res.MaxStallMs, res.Errors, len(res.Fatal))
	if len(res.Fatal) > 0 {
		t.Errorf("fatal player errors: %v", res.Fatal)
	}
	if res.MaxStallMs > 3000+250 { // one target duration, plus the 200 ms sampling period
		t.Errorf("stalled %.0f ms, longer than one target duration; events %v", res.MaxStallMs, res.Events)
	}
	started := time.UnixMilli(res.StartedAt)
	if res.StartedAt == 0 || !started.Before(killed) {
		t.Fatalf("playback started at %v, not before the encoder was killed at %v", started.Format("15:04:05.000"), killed.Format("15:04:05.000"))
	}
	if end := started.Add(time.Duration(res.Watched * float64(time.Second))); end.Sub(killed) < 25*time.Second {
		t.Errorf("watched only until %v after the kill", end.Sub(killed))
	}
	if res.Played < 0.6*res.Watched {
		t.Errorf("played %.1f s in %.1f s of watching; events %v", res.Played, res.Watched, res.Events)
	}
}
