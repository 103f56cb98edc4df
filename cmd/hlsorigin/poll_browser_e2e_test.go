package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// pollReport is what web/test/poll.mjs prints.
type pollReport struct {
	OK      bool             `json:"ok"`
	Failure string           `json:"failure"`
	Steps   []map[string]any `json:"steps"`
	Errors  []string         `json:"errors"`
	Diffs   []map[string]any `json:"diffs"`
	Winner  map[string]string
	HLS     []map[string]any `json:"hlsErrors"`
}

// slateReference decodes the first frame of the bundled default slate
// (360p, what a 640x360 channel shows) scaled to w x h RGB.
func slateReference(t *testing.T, w, h int) []byte {
	t.Helper()
	src, _ := filepath.Abs("../../fixtures/slates/default_360.mp4")
	cmd, stderr := ffmpegCmd(context.Background(), "-i", src, "-frames:v", "1", "-vf",
		"scale=64:36:flags=area", "-f", "rawvideo", "-pix_fmt", "rgb24", "-")
	out, err := cmd.Output()
	if err != nil || len(out) != w*h*3 {
		t.Fatalf("slate reference: %v (%d bytes)\n%s", err, len(out), stderr)
	}
	return out
}

// TestBrowserPollThroughPause: a real server with ffmpeg publishing
// testsrc2; in headless chromium the viewer page plays (its frames are not
// the slate and move), the host console (token from #token=, Chinese labels)
// picks the default slate and clicks "Be right back"; the viewer's video
// then shows the slate (pixels within a small mean difference of the
// slate's own first frame), the poll appears and the viewer votes by
// clicking; the host console shows the tally; the host clicks "I'm back";
// both pages show the winner; the viewer's video is live again (pixels far
// from the slate, moving). The server agrees: the pause lists the poll
// with that winner.
func TestBrowserPollThroughPause(t *testing.T) {
	chromium, web := needBrowser(t)
	s := startServer(t, t.TempDir())
	cr := s.createChannel(t, "pollpage")
	ref := map[string]any{"w": 64, "h": 36, "rgb": bytesToInts(slateReference(t, 64, 36))}
	refFile := filepath.Join(t.TempDir(), "slate.json")
	b, _ := json.Marshal(ref)
	if err := os.WriteFile(refFile, b, 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 9*time.Minute)
	defer cancel()
	pubCtx, stopPub := context.WithCancel(ctx)
	wait := publish(pubCtx, t, s.base+"/ingest/pollpage/index.m3u8", cr.StreamKey, "muxed", 480)
	defer func() { stopPub(); wait() }()
	waitForSegments(t, s, "pollpage", 1, 3)

	cmd := exec.CommandContext(ctx, "node", filepath.Join(web, "test", "poll.mjs"), s.base, "pollpage", cr.HostToken, refFile)
	cmd.Env = append(cmd.Environ(), "CHROMIUM="+chromium)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("poll.mjs: %v\n%s\n%s", err, out.String(), stderr.String())
	}
	var rep pollReport
	if err := json.Unmarshal(bytes.TrimSpace(out.Bytes()), &rep); err != nil {
		t.Fatalf("poll.mjs output %q: %v\n%s", out.String(), err, stderr.String())
	}
	for _, st := range rep.Steps {
		t.Logf("%6.1fs %v", st["at"], st)
	}
	if !rep.OK {
		t.Fatalf("browser flow failed: %s\nerrors: %v\nframe diffs to the slate: %v", rep.Failure, rep.Errors, rep.Diffs)
	}
	if len(rep.HLS) > 0 {
		t.Errorf("fatal hls.js errors: %v", rep.HLS)
	}
	var pauses []struct {
		ID   string `json:"id"`
		Poll *struct {
			State  string `json:"state"`
			Total  int    `json:"total"`
			Winner *struct {
				ID    string `json:"id"`
				Label string `json:"label"`
			} `json:"winner"`
			Durable bool `json:"durable"`
		} `json:"poll"`
		Slate struct {
			ID string `json:"id"`
		} `json:"slate"`
	}
	if st := s.do(t, "GET", "/api/v1/channels/pollpage/pauses", "", nil, &pauses); st != 200 || len(pauses) != 1 {
		t.Fatalf("pauses: %d %+v", st, pauses)
	}
	p := pauses[0]
	if p.Slate.ID != "default" || p.Poll == nil || p.Poll.State != "closed" || !p.Poll.Durable || p.Poll.Total != 1 ||
		p.Poll.Winner == nil || p.Poll.Winner.ID != "2" || p.Poll.Winner.Label != "tell a joke" {
		t.Fatalf("pause as the server records it: %+v poll %+v", p, p.Poll)
	}
	if rep.Winner["viewer"] != "tell a joke" || rep.Winner["host"] != "讲笑话" {
		t.Errorf("winner banners: %v", rep.Winner)
	}
}

func bytesToInts(b []byte) []int {
	out := make([]int, len(b))
	for i, v := range b {
		out[i] = int(v)
	}
	return out
}
