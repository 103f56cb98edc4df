package main

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestE2EPausedInputLoss: the host pauses, the encoder is SIGKILLed, a
// new encoder starts 10 s later, the host resumes: a live viewer sees the
// slate throughout (generated on the origin's cadence while no encoder
// sends), not one host frame captured from the pause instant to the
// resume, and host video after it.
func TestE2EPausedInputLoss(t *testing.T) {
	needTool(t, "ffmpeg")
	s := startServer(t, t.TempDir())
	const id = "pausedloss"
	cr := s.createChannel(t, id)
	ctx, cancel := context.WithTimeout(context.Background(), 170*time.Second)
	defer cancel()
	url := s.base + "/ingest/" + id + "/index.m3u8"
	pub := startStamped(ctx, t, 60, stampedArgs(60, url, cr.StreamKey, "muxed", false))
	waitForSegments(t, s, id, 1, 2)

	var live []frameStamp
	var wg sync.WaitGroup
	viewCtx, stopViewer := context.WithCancel(ctx)
	wg.Add(1)
	go func() { defer wg.Done(); live, _, _ = decodeStamps(viewCtx, s.base+"/live/"+id+"/index.m3u8") }()

	time.Sleep(6 * time.Second)
	var pr struct {
		Pause struct {
			StartedAt time.Time `json:"started_at"`
		} `json:"pause"`
	}
	if st := s.do(t, "POST", "/api/v1/channels/"+id+"/pause", cr.HostToken, map[string]string{}, &pr); st != 200 {
		t.Fatalf("pause: %d", st)
	}
	time.Sleep(2 * time.Second)
	_ = pub.cmd.Process.Kill()
	<-pub.done
	killed := time.Now()
	if !waitFor(20*time.Second, func() bool {
		var v struct {
			State     string `json:"state"`
			InputLost bool   `json:"input_lost"`
		}
		s.do(t, "GET", "/api/v1/channels/"+id, "", nil, &v)
		return v.State == "paused" && v.InputLost
	}) {
		t.Fatalf("channel not paused with the input lost after the encoder was killed")
	}
	time.Sleep(time.Until(killed.Add(10 * time.Second)))
	pub2 := startStamped(ctx, t, 24, stampedArgs(24, url, cr.StreamKey, "muxed", false))
	if !waitFor(30*time.Second, func() bool { return !channelLost(t, s, id) }) {
		t.Fatalf("input not restored after the encoder restarted")
	}
	time.Sleep(4 * time.Second)
	var rr struct {
		Pause struct {
			EndedAt time.Time `json:"ended_at"`
		} `json:"pause"`
	}
	if st := s.do(t, "POST", "/api/v1/channels/"+id+"/resume", cr.HostToken, nil, &rr); st != 200 {
		t.Fatalf("resume: %d", st)
	}
	pub2.wait(t)
	time.Sleep(3 * time.Second)
	stopViewer()
	wg.Wait()
	checkFrames(t, "live", live, pr.Pause.StartedAt, rr.Pause.EndedAt, 0)
}

func channelLost(t *testing.T, s *server, id string) bool {
	var v struct {
		InputLost bool `json:"input_lost"`
	}
	s.do(t, "GET", "/api/v1/channels/"+id, "", nil, &v)
	return v.InputLost
}
