package main

import (
	"context"
	"testing"
	"time"
)

// TestE2ERestartWhilePaused: a paused channel stays paused across a server
// restart, and a new encoder session published after the restart shows
// only the slate; the archive holds no host video captured after the pause.
func TestE2ERestartWhilePaused(t *testing.T) {
	needTool(t, "ffmpeg")
	dir := t.TempDir()
	s := startServer(t, dir)
	const id = "restart"
	cr := s.createChannel(t, id)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	url := "/ingest/" + id + "/index.m3u8"
	pub := startStamped(ctx, t, 12, stampedArgs(12, s.base+url, cr.StreamKey, "muxed", false))
	waitForSegments(t, s, id, 1, 2)
	time.Sleep(3 * time.Second)
	var pr struct {
		Pause struct {
			StartedAt time.Time `json:"started_at"`
		} `json:"pause"`
	}
	if st := s.do(t, "POST", "/api/v1/channels/"+id+"/pause", cr.HostToken, nil, &pr); st != 200 {
		t.Fatalf("pause: %d", st)
	}
	pub.wait(t)
	s.stop(t)

	s2 := startServer(t, dir)
	var v struct {
		State string `json:"state"`
	}
	s2.do(t, "GET", "/api/v1/channels/"+id, "", nil, &v)
	if v.State != "paused" {
		t.Fatalf("after restart the channel is %q, want paused", v.State)
	}
	pub2 := startStamped(ctx, t, 8, stampedArgs(8, s2.base+url, cr.StreamKey, "muxed", false))
	pub2.wait(t)
	dctx, dcancel := context.WithTimeout(ctx, 60*time.Second)
	defer dcancel()
	frames, stderr, err := decodeStamps(dctx, s2.base+"/replay/"+id+"/index/index.m3u8?pauses=keep")
	if err != nil {
		t.Fatalf("decode archive: %v\n%s", err, stderr)
	}
	p := pr.Pause.StartedAt.UnixMilli()
	slate, host := 0, 0
	for i, f := range frames {
		if f.slate {
			slate++
			continue
		}
		host++
		if f.ms >= p {
			t.Errorf("frame %d captured at %s, after the pause at %s", i, time.UnixMilli(f.ms).Format("15:04:05.000"),
				pr.Pause.StartedAt.Format("15:04:05.000"))
		}
	}
	t.Logf("archive: %d host frames before the pause, %d slate frames", host, slate)
	if slate < 8*30-60 || host == 0 {
		t.Errorf("want host frames before the pause and >= %d slate frames, got %d and %d", 8*30-60, host, slate)
	}
}
