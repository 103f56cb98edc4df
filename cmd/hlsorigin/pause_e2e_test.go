package main

import (
	"context"
	"hlsorigin/origin"
	"strings"
	"sync"
	"testing"
	"time"
)

// pauseRun is one publish -> pause -> resume session with a stamped source.
type pauseRun struct {
	layout  string
	bframes bool
	rends   int // renditions the channel ends up with
	videos  []string
}

// TestE2EPauseResume publishes a stamped source, pauses, waits, resumes,
// and decodes the live output and the archive: no frame captured inside the
// pause appears; slate frames do; host video returns from the next keyframe
// after resume; audio is continuous and complete.
func TestE2EPauseResume(t *testing.T) {
	needTool(t, "ffmpeg")
	s := startServer(t, t.TempDir())
	for _, tc := range []pauseRun{
		{layout: "muxed", rends: 1},
		{layout: "abr", rends: 2},
		{layout: "demuxed", rends: 3},
		{layout: "muxed", bframes: true, rends: 1},
	} {
		name := tc.layout
		if tc.bframes {
			name += "-bframes"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testPauseRun(t, s, "pause-"+name, tc)
		})
	}
}

func testPauseRun(t *testing.T, s *server, id string, tc pauseRun) {
	const seconds = 30
	cr := s.createChannel(t, id)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	playlist := "index.m3u8"
	if tc.layout != "muxed" {
		playlist = "stream_%v.m3u8"
	}
	pub := startStamped(ctx, t, seconds, stampedArgs(seconds, s.base+"/ingest/"+id+"/"+playlist, cr.StreamKey, tc.layout, tc.bframes))
	waitForSegments(t, s, id, tc.rends, 2)

	// A viewer follows the live stream for the whole session.
	var live []frameStamp
	var liveErr string
	var wg sync.WaitGroup
	viewCtx, stopViewer := context.WithCancel(ctx)
	wg.Add(1)
	go func() {
		defer wg.Done()
		live, liveErr, _ = decodeStamps(viewCtx, s.base+"/live/"+id+"/index.m3u8")
	}()

	time.Sleep(6 * time.Second)
	var pr struct {
		State string `json:"state"`
		Pause struct {
			ID        string    `json:"id"`
			StartedAt time.Time `json:"started_at"`
		} `json:"pause"`
	}
	if st := s.do(t, "POST", "/api/v1/channels/"+id+"/pause", cr.HostToken, map[string]string{}, &pr); st != 200 || pr.State != "paused" {
		t.Fatalf("pause: %d %+v", st, pr)
	}
	pauseAt := pr.Pause.StartedAt
	time.Sleep(9 * time.Second)
	var rr struct {
		State string `json:"state"`
		Pause struct {
			EndedAt time.Time `json:"ended_at"`
		} `json:"pause"`
	}
	if st := s.do(t, "POST", "/api/v1/channels/"+id+"/resume", cr.HostToken, nil, &rr); st != 200 {
		t.Fatalf("resume: %d", st)
	}
	resumeAt := rr.Pause.EndedAt
	pub.wait(t)
	time.Sleep(3 * time.Second) // the viewer plays out its buffer
	stopViewer()
	wg.Wait()

	t.Logf("pause %s .. resume %s", pauseAt.Format("15:04:05.000"), resumeAt.Format("15:04:05.000"))
	checkFrames(t, "live", live, pauseAt, resumeAt, 0)
	if strings.Contains(liveErr, "Error") {
		t.Logf("live viewer stderr: %s", liveErr)
	}
	for _, rend := range renditionNames(t, s, id, "video") {
		dctx, dcancel := context.WithTimeout(ctx, 60*time.Second)
		frames, stderr, err := decodeStamps(dctx, s.base+"/replay/"+id+"/"+rend+"/index.m3u8?pauses=keep")
		dcancel()
		if err != nil {
			t.Fatalf("decode archive of %s: %v\n%s", rend, err, stderr)
		}
		// The cut maps the pause through the latest capture time the
		// arrivals allow, so it may come early by the pipeline latency
		// (encoder backpressure included) plus a segment's worth of frames.
		checkFrames(t, "archive "+rend, frames, pauseAt, resumeAt, 2500*time.Millisecond+pub.maxLag)
	}
	for _, rend := range renditionNames(t, s, id, "muxed") {
		checkAudio(t, s, id, rend, seconds)
	}
	for _, rend := range renditionNames(t, s, id, "audio") {
		checkAudio(t, s, id, rend, seconds)
	}
}

// checkFrames asserts the privacy cut and the resume point.
// early > 0 bounds how long before the pause the last host frame may be
// (frames must be complete: the archive, not a live viewer's partial view).
func checkFrames(t *testing.T, what string, frames []frameStamp, pauseAt, resumeAt time.Time, early time.Duration) {
	t.Helper()
	if len(frames) == 0 {
		t.Fatalf("%s: no frames decoded", what)
	}
	p, r := pauseAt.UnixMilli(), resumeAt.UnixMilli()
	slate, before, after := 0, 0, 0
	firstAfter := int64(0)
	for i, f := range frames {
		switch {
		case f.slate:
			slate++
		case f.ms >= p && f.ms < r:
			t.Errorf("%s: frame %d captured at %s, inside the pause [%s, %s)", what, i,
				time.UnixMilli(f.ms).Format("15:04:05.000"), pauseAt.Format("15:04:05.000"), resumeAt.Format("15:04:05.000"))
		case f.ms < p:
			before++
		default:
			after++
			if firstAfter == 0 {
				firstAfter = f.ms
			}
		}
	}
	t.Logf("%s: %d frames: %d before, %d slate, %d after; %s", what, len(frames), before, slate, after, stampSummary(frames))
	if slate < 30 {
		t.Errorf("%s: only %d slate frames for a %v pause", what, slate, resumeAt.Sub(pauseAt))
	}
	if before == 0 || after == 0 {
		t.Errorf("%s: want host frames before (%d) and after (%d) the pause", what, before, after)
	}
	// Host video returns from the first keyframe at or after resume (plus
	// the resume margin when the pipeline latency is unknown): GOP is 2 s,
	// plus origin.DefaultResumeMargin, plus up to 1 s of latency estimate.
	if firstAfter != 0 && time.Duration(firstAfter-r)*time.Millisecond > 2*time.Second+origin.DefaultResumeMargin+time.Second {
		t.Errorf("%s: first host frame after resume captured %v after it", what, time.Duration(firstAfter-r)*time.Millisecond)
	}
	if early > 0 && time.Duration(p-lastBefore(frames, p))*time.Millisecond > early {
		t.Errorf("%s: last host frame before the pause is %v before it (cut too early; allowed %v)", what,
			time.Duration(p-lastBefore(frames, p))*time.Millisecond, early)
	}
}

func lastBefore(frames []frameStamp, p int64) int64 {
	var last int64
	for _, f := range frames {
		if !f.slate && f.ms < p && f.ms > last {
			last = f.ms
		}
	}
	return last
}

// renditionNames lists a channel's renditions of a kind ("video", "audio",
// or "muxed": video with audio).
func renditionNames(t *testing.T, s *server, id, kind string) []string {
	t.Helper()
	var v ChannelViewT
	s.do(t, "GET", "/api/v1/channels/"+id, "", nil, &v)
	var out []string
	for _, r := range v.Renditions {
		if r.Kind == kind || (kind == "muxed" && r.Kind == "video" && r.HasAudio) {
			out = append(out, r.Name)
		}
	}
	return out
}
