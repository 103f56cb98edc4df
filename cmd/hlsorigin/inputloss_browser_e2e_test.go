package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBrowserPlaysThroughInputLoss: hls.js in headless chromium plays a
// live stream whose encoder is SIGKILLed and restarted 15 s later: no
// fatal error, no stall longer than one target duration (3 s), playing
// through the reconnecting slate and back to host video; the host
// console shows the channel reconnecting with the encoder offline.
// Muxed, and an ABR ladder with demuxed audio.
func TestBrowserPlaysThroughInputLoss(t *testing.T) {
	chromium, web := needBrowser(t)
	s := startServer(t, t.TempDir())
	for _, tc := range []struct {
		layout, playlist string
		renditions       int
	}{{"muxed", "index.m3u8", 1}, {"demuxed", "stream_%v.m3u8", 3}} {
		t.Run(tc.layout, func(t *testing.T) {
			browserThroughLoss(t, s, chromium, web, "lossb-"+tc.layout, tc.layout, tc.playlist, tc.renditions)
		})
	}
}

func browserThroughLoss(t *testing.T, s *server, chromium, web, id, layout, playlist string, renditions int) {
	cr := s.createChannel(t, id)
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	url := s.base + "/ingest/" + id + "/" + playlist
	enc := startEncoder(ctx, t, url, cr.StreamKey, layout, 120)
	waitForSegments(t, s, id, renditions, 3)

	cmd := exec.CommandContext(ctx, "node", filepath.Join(web, "test", "player.mjs"), s.base+"/watch/"+id, "55")
	cmd.Env = append(cmd.Environ(), "CHROMIUM="+chromium)
	var out bytes.Buffer
	stderr := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = &out, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill the encoder once the player has played for a few seconds (a
	// loaded machine may take long to start chromium).
	if !waitFor(90*time.Second, func() bool { return strings.Contains(stderr.String(), "playing") }) {
		t.Fatalf("player did not start playing: %s", stderr.String())
	}
	time.Sleep(4 * time.Second)
	killed := enc.kill(t)
	host := exec.CommandContext(ctx, "node", filepath.Join(web, "test", "hoststate.mjs"),
		s.base+"/host/"+id+"#token="+cr.HostToken, "reconnecting", "1", "25")
	host.Env = cmd.Env
	hostOut, hostErr := host.Output()
	if hostErr != nil {
		t.Errorf("host console did not show reconnecting with the encoder offline: %v %s", hostErr, hostOut)
	}
	time.Sleep(time.Until(killed.Add(15 * time.Second)))
	enc = startEncoder(ctx, t, url, cr.StreamKey, layout, 120)
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
