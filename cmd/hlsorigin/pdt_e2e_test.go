package main

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestE2EPauseExactPDT: with -encoder-clock, ffmpeg's clock
// (-hls_flags program_date_time) places the cut: the pause cut and the
// resume both land within one frame of the instants as ffmpeg's clock
// maps them, with no margin. ffmpeg's program date time runs ahead of
// capture by its encoder latency (the muxer's start time plus media time):
// the cut comes that much early, and the resume may show up to that much
// video captured before the resume instant. The test measures that lead
// from the cut and checks the resume against the same lead.
func TestE2EPauseExactPDT(t *testing.T) {
	needTool(t, "ffmpeg")
	s := startServer(t, t.TempDir(), "-encoder-clock")
	const id = "pdt"
	cr := s.createChannel(t, id)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	args := stampedArgs(30, s.base+"/ingest/"+id+"/index.m3u8", cr.StreamKey, "muxed", false)
	args = append(args[:len(args)-1], "-tune", "zerolatency", "-hls_flags", "program_date_time", args[len(args)-1])
	pub := startStamped(ctx, t, 30, args)
	waitForSegments(t, s, id, 1, 2)
	var live []frameStamp
	var wg sync.WaitGroup
	viewCtx, stopViewer := context.WithCancel(ctx)
	wg.Add(1)
	go func() { defer wg.Done(); live, _, _ = decodeStamps(viewCtx, s.base+"/live/"+id+"/index.m3u8") }()
	time.Sleep(6 * time.Second)
	var pr, rr struct {
		Pause struct {
			StartedAt time.Time  `json:"started_at"`
			EndedAt   *time.Time `json:"ended_at"`
		} `json:"pause"`
	}
	if st := s.do(t, "POST", "/api/v1/channels/"+id+"/pause", cr.HostToken, map[string]string{}, &pr); st != 200 {
		t.Fatalf("pause: %d", st)
	}
	time.Sleep(7 * time.Second)
	if st := s.do(t, "POST", "/api/v1/channels/"+id+"/resume", cr.HostToken, nil, &rr); st != 200 || rr.Pause.EndedAt == nil {
		t.Fatalf("resume: %d", st)
	}
	pub.wait(t)
	time.Sleep(3 * time.Second)
	stopViewer()
	wg.Wait()
	if len(live) == 0 {
		t.Fatal("no frames decoded")
	}
	p, r := pr.Pause.StartedAt, *rr.Pause.EndedAt
	const frame = 34 * time.Millisecond
	lead := p.Sub(time.UnixMilli(lastBefore(live, p.UnixMilli()))) // the encoder clock's lead over capture (+ < 1 frame)
	first := firstAt(live, r.Add(-lead-frame).UnixMilli())
	t.Logf("ffmpeg's clock runs %v ahead of capture (cut that early); first host frame after the resume captured %v after it; %s",
		lead, first.Sub(r), stampSummary(live))
	if lead > 500*time.Millisecond+pub.maxLag {
		t.Errorf("cut %v before the pause instant: not through the encoder's clock (x264 zerolatency leads by ~0.2 s)", lead)
	}
	slate := 0
	for _, f := range live {
		if f.slate {
			slate++
		} else if ms := time.UnixMilli(f.ms); !ms.Before(p.Add(-lead+frame)) && ms.Before(r.Add(-lead-frame)) {
			t.Errorf("frame captured at %s shown: inside the pause as the encoder's clock maps it", ms.Format("15:04:05.000"))
		}
	}
	if slate < 30 {
		t.Errorf("only %d slate frames", slate)
	}
	// Host video returns at the first keyframe (GOP 2 s) at or after the
	// mapped resume, without the resume margin.
	if first.IsZero() || first.Sub(r.Add(-lead)) > 2*time.Second+frame {
		t.Errorf("first host frame %v after the resume, want the first keyframe without margin", first.Sub(r))
	}
}

// firstAt is the capture time of the first host frame at or after ms.
func firstAt(frames []frameStamp, ms int64) time.Time {
	for _, f := range frames {
		if !f.slate && f.ms >= ms {
			return time.UnixMilli(f.ms)
		}
	}
	return time.Time{}
}
