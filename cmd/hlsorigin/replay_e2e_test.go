package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestE2EReplayOmitsPauses: publish a stamped source, pause twice, end;
// the replay playlist and the MP4 export hold every host frame outside the
// pauses and nothing else (no slate, no paused host frame); the MP4 has
// monotonic timestamps, an exact Content-Length and byte ranges.
func TestE2EReplayOmitsPauses(t *testing.T) {
	needTool(t, "ffmpeg")
	s := startServer(t, t.TempDir())
	for _, tc := range []struct{ layout, video, audio, playlist string }{
		{"muxed", "index", "index", "index.m3u8"},
		{"demuxed", "stream_1", "stream_0", "stream_%v.m3u8"}, // audio in its own rendition
	} {
		t.Run(tc.layout, func(t *testing.T) {
			t.Parallel()
			testReplay(t, s, "replay-"+tc.layout, tc.layout, tc.video, tc.audio, tc.playlist)
		})
	}
}

func testReplay(t *testing.T, s *server, id, layout, video, audio, playlist string) {
	const seconds = 30
	cr := s.createChannel(t, id)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	pub := startStamped(ctx, t, seconds, stampedArgs(seconds, s.base+"/ingest/"+id+"/"+playlist, cr.StreamKey, layout, false))
	rends := 1
	if layout == "demuxed" {
		rends = 3
	}
	waitForSegments(t, s, id, rends, 2)
	var pauses [][2]time.Time
	for i := 0; i < 2; i++ {
		time.Sleep(6 * time.Second) // host video between the pauses: resume margin + next keyframe
		var p struct {
			Pause struct {
				StartedAt time.Time  `json:"started_at"`
				EndedAt   *time.Time `json:"ended_at"`
			} `json:"pause"`
		}
		s.do(t, "POST", "/api/v1/channels/"+id+"/pause", cr.HostToken, nil, &p)
		start := p.Pause.StartedAt
		time.Sleep(5 * time.Second)
		s.do(t, "POST", "/api/v1/channels/"+id+"/resume", cr.HostToken, nil, &p)
		pauses = append(pauses, [2]time.Time{start, *p.Pause.EndedAt})
	}
	pub.wait(t)
	time.Sleep(time.Second)

	all := mustStamps(t, ctx, s.base+"/replay/"+id+"/"+video+"/index.m3u8?pauses=keep")
	slate := 0
	for _, f := range all {
		if f.slate {
			slate++
		}
	}
	replayed := mustStamps(t, ctx, s.base+"/replay/"+id+"/"+video+"/index.m3u8")
	checkReplayFrames(t, "replay playlist", replayed, pauses, len(all)-slate)
	// Audio leaves out the same spans: it lasts as long as the video
	// (within an AAC frame and a video frame per junction).
	if a, v := audioSeconds(t, s.base+"/replay/"+id+"/"+audio+"/index.m3u8"), float64(len(replayed))/30; math.Abs(a-v) > 4*(1024.0/48000+1.0/30) {
		t.Errorf("replay audio lasts %.3f s, video %.3f s", a, v)
	}

	file := filepath.Join(t.TempDir(), "replay.mp4")
	whole := fetchMP4(t, s.base+"/replay/"+id+".mp4?rendition="+video, file)
	checkReplayFrames(t, "mp4 export", mustStamps(t, ctx, file), pauses, len(all)-slate)
	checkMonotonic(t, file)
	checkContinuous(t, ctx, file) // every track runs on across the removed pauses
	checkDuration(t, file, float64(len(all)-slate)/30, 4)
	checkRange(t, s.base+"/replay/"+id+".mp4?rendition="+video, whole)
	checkReplayPlayers(t, ctx, s.base, id)
	t.Logf("archive %d frames (%d slate); replay and mp4 %d frames; mp4 %d bytes", len(all), slate, len(replayed), len(whole))
}

func mustStamps(t *testing.T, ctx context.Context, input string) []frameStamp {
	t.Helper()
	dctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	frames, stderr, err := decodeStamps(dctx, input)
	if err != nil || strings.TrimSpace(stderr) != "" {
		t.Fatalf("decode %s: %v\n%s", input, err, stderr)
	}
	return frames
}

// checkReplayFrames: no slate, nothing captured inside a pause, and every
// host frame of the archive (within one frame per junction).
func checkReplayFrames(t *testing.T, what string, frames []frameStamp, pauses [][2]time.Time, hostFrames int) {
	t.Helper()
	for i, f := range frames {
		if f.slate {
			t.Fatalf("%s: frame %d is a slate frame", what, i)
		}
		for _, p := range pauses {
			if f.ms >= p[0].UnixMilli() && f.ms < p[1].UnixMilli() {
				t.Fatalf("%s: frame %d captured inside a pause", what, i)
			}
		}
		if i > 0 && f.ms < frames[i-1].ms {
			t.Errorf("%s: frame %d goes back in capture time", what, i)
		}
	}
	if d := len(frames) - hostFrames; d < -2*len(pauses) || d > 2*len(pauses) {
		t.Errorf("%s: %d frames, archive has %d host frames", what, len(frames), hostFrames)
	}
}

func fetchMP4(t *testing.T, url, file string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v %s", url, resp.StatusCode, err, b[:min(len(b), 200)])
	}
	if cl, _ := strconv.Atoi(resp.Header.Get("Content-Length")); cl != len(b) {
		t.Errorf("Content-Length %d, body %d bytes", cl, len(b))
	}
	os.WriteFile(file, b, 0o644)
	return b
}

// checkMonotonic: ffprobe shows strictly increasing DTS per stream.
func checkMonotonic(t *testing.T, file string) {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "packet=stream_index,dts_time", "-of", "csv=p=0", file).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	last := map[string]float64{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(l, ",")
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseFloat(f[1], 64)
		if p, ok := last[f[0]]; ok && v <= p {
			t.Fatalf("stream %s: dts %.4f after %.4f", f[0], v, p)
		}
		last[f[0]] = v
	}
}

func checkDuration(t *testing.T, file string, want float64, junctions int) {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "stream=duration", "-of", "csv=p=0", file).Output()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if math.Abs(got-want) > float64(junctions)/30+0.05 {
		t.Errorf("mp4 video lasts %.3f s, want %.3f s (recording minus pauses)", got, want)
	}
}

func checkRange(t *testing.T, url string, whole []byte) {
	t.Helper()
	for _, rg := range [][2]int{{0, 99}, {len(whole) / 2, len(whole)/2 + 4095}, {len(whole) - 10, len(whole) - 1}} {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", rg[0], rg[1]))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 206 || !bytes.Equal(b, whole[rg[0]:rg[1]+1]) {
			t.Errorf("range %v: %d, %d bytes, equal %v", rg, resp.StatusCode, len(b), bytes.Equal(b, whole[rg[0]:rg[1]+1]))
		}
	}
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-", len(whole)+5))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 416 {
		t.Errorf("unsatisfiable range: %v %v", resp.StatusCode, err)
	}
}

// audioSeconds sums the audio packet durations ffprobe reads from input.
func audioSeconds(t *testing.T, input string) float64 {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "a", "-show_entries", "packet=duration_time", "-of", "csv=p=0", input).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", input, err)
	}
	sum := 0.0
	for _, l := range strings.Fields(string(out)) {
		v, _ := strconv.ParseFloat(strings.TrimSuffix(l, ","), 64)
		sum += v
	}
	if sum == 0 {
		t.Fatalf("no audio in %s", input)
	}
	return sum
}
