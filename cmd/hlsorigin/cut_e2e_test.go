package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"hlsorigin/manifest"
	"hlsorigin/origin"
)

// withGOP rewrites publisher arguments for a GOP and segment of secs seconds.
func withGOP(args []string, secs int) []string {
	out := append([]string(nil), args...)
	for i := 0; i+1 < len(out); i++ {
		switch out[i] {
		case "-g", "-keyint_min":
			out[i+1] = strconv.Itoa(30 * secs)
		case "-hls_time":
			out[i+1] = strconv.Itoa(secs)
		}
	}
	return out
}

// TestE2EPauseEarlyInSegment publishes a frame-stamped 30 fps source with
// real ffmpeg (1 s segments, whose audio often starts a frame or two after
// their video) and pauses 20 times so that the cut lands 0-95 ms after a
// segment's media start as the origin maps it (its program date time), a
// resume right after each: every ingest PUT is answered 2xx (the origin's
// own per-status request counters), the live playlist never has a program
// date time gap, and each pause shows the slate.
func TestE2EPauseEarlyInSegment(t *testing.T) {
	needTool(t, "ffmpeg")
	s := startServer(t, t.TempDir(), "-resume-margin", "500ms")
	const id, seconds, pauses = "early", 110, 20
	cr := s.createChannel(t, id)
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	pub := startStamped(ctx, t, seconds, withGOP(stampedArgs(seconds, s.base+"/ingest/"+id+"/index.m3u8", cr.StreamKey, "muxed", false), 1))
	waitForSegments(t, s, id, 1, 2)
	l := newLadder(s.base, id, nil)
	l.every = 150 * time.Millisecond
	lctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { l.run(lctx); close(done) }()

	var offsets []time.Duration
	for i := 0; i < pauses; i++ {
		offsets = append(offsets, pauseEarly(t, s, l, cr, time.Duration(i)*5*time.Millisecond, 2*i))
	}
	pub.wait(t)
	time.Sleep(2 * time.Second)
	stop()
	<-done

	statuses := ingestStatuses(t, s)
	t.Logf("ingest answers by status: %v; cuts landed %v after the segment start (mapped)", statuses, offsets)
	for code, n := range statuses {
		if code < 200 || code > 299 {
			t.Errorf("%d ingest requests answered %d\n%s", n, code, grepLog(s.out.String(), "ingest"))
		}
	}
	if statuses[201]+statuses[200]+statuses[204] == 0 {
		t.Errorf("no ingest request counted: %v", statuses)
	}
	segs := l.timeline("index")
	if gaps := pdtGaps(segs, 15*time.Millisecond); len(gaps) > 0 {
		t.Errorf("program date time gaps: %v", gaps)
	}
	if n := segs[len(segs)-1].disc - segs[0].disc; n < 2*pauses-2 {
		t.Errorf("%d discontinuities listed for %d pauses", n, pauses)
	}
	for _, err := range l.errors() {
		t.Error(err)
	}
}

// pauseEarly waits until the live playlist lists a live segment of
// discontinuity base+done (after the previous resume), then pauses at
// `at` = the next segment's program date time + PauseMargin + offset (the
// cut lands offset after that segment's start) and resumes at once. It
// returns where the slate began after the segment's start, as listed.
func pauseEarly(t *testing.T, s *server, l *ladder, cr channelCreds, offset time.Duration, done int) time.Duration {
	t.Helper()
	var last listed
	var next time.Time
	deadline := time.Now().Add(30 * time.Second)
	for {
		// The segment after last must still be in the encoder (its PUT
		// ends a segment duration after it starts): a pause sent later
		// would be back-dated over stored media.
		segs := l.timeline("index")
		if n := len(segs); n > 0 && segs[n-1].disc == segs[0].disc+uint64(done) {
			last = segs[n-1]
			next = last.pdt.Add(time.Duration(last.duration * float64(time.Second)))
			if time.Since(next) < 500*time.Millisecond {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("pause %d: no live segment after the last resume", done/2)
		}
		time.Sleep(50 * time.Millisecond)
	}
	at := next.Add(time.Duration(origin.PauseMargin*float64(time.Second)) + offset)
	time.Sleep(time.Until(at))
	body := map[string]string{"at": at.UTC().Format(time.RFC3339Nano)}
	if st := s.do(t, "POST", "/api/v1/channels/"+cr.ID+"/pause", cr.HostToken, body, nil); st != 200 {
		t.Fatalf("pause: %d", st)
	}
	if st := s.do(t, "POST", "/api/v1/channels/"+cr.ID+"/resume", cr.HostToken, nil, nil); st != 200 {
		t.Fatalf("resume: %d", st)
	}
	// The segment after last is split (or slate from its start).
	deadline = time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, sg := range l.timeline("index") {
			if sg.seq > last.seq && sg.disc == last.disc+1 {
				return sg.pdt.Sub(next).Round(time.Millisecond)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("pause %d: no slate listed", done/2)
	return 0
}

var ingestCounter = regexp.MustCompile(`(?m)^hlsorigin_http_requests_total\{route="ingest",status="(\d+)"\} (\d+)`)

// ingestStatuses reads the origin's ingest request counters by status.
func ingestStatuses(t *testing.T, s *server) map[int]int {
	t.Helper()
	st, body, _ := s.get(t, "/metrics")
	if st != 200 {
		t.Fatalf("metrics: %d", st)
	}
	out := map[int]int{}
	for _, m := range ingestCounter.FindAllSubmatch(body, -1) {
		code, _ := strconv.Atoi(string(m[1]))
		n, _ := strconv.Atoi(string(m[2]))
		if n > 0 {
			out[code] += n
		}
	}
	return out
}

func grepLog(log, word string) string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(log))
	for sc.Scan() {
		if strings.Contains(sc.Text(), word) {
			out = append(out, sc.Text())
		}
	}
	return strings.Join(out, "\n")
}

// TestE2EMuteDemuxed publishes an ABR ladder with a demuxed audio
// rendition (a 440 Hz tone) with real ffmpeg and pauses it muted: every
// audio segment the live audio playlist lists during the pause decodes to
// silence (< -60 dB), those before and after to the tone, and so does its
// replay (pauses kept: the stored segments); its audio stays gapless; all
// media playlists stay aligned (hlscheck.CheckVariant on every poll).
func TestE2EMuteDemuxed(t *testing.T) {
	needTool(t, "ffmpeg")
	s := startServer(t, t.TempDir())
	const id, seconds = "mute", 34
	cr := s.createChannel(t, id)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	wait := publish(ctx, t, s.base+"/ingest/"+id+"/stream_%v.m3u8", cr.StreamKey, "demuxed", seconds)
	waitForSegments(t, s, id, 3, 2)
	audio := renditionNames(t, s, id, "audio")
	if len(audio) != 1 {
		t.Fatalf("audio renditions: %v", audio)
	}
	l := newLadder(s.base, id, func(r string) bool { return r == audio[0] })
	lctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { l.run(lctx); close(done) }()
	time.Sleep(6 * time.Second)
	if st := s.do(t, "POST", "/api/v1/channels/"+id+"/pause", cr.HostToken, map[string]string{"audio": "mute"}, nil); st != 200 {
		t.Fatalf("pause: %d", st)
	}
	time.Sleep(10 * time.Second)
	if st := s.do(t, "POST", "/api/v1/channels/"+id+"/resume", cr.HostToken, nil, nil); st != 200 {
		t.Fatalf("resume: %d", st)
	}
	wait()
	time.Sleep(2 * time.Second)
	stop()
	<-done
	for _, err := range l.errors() {
		t.Error(err)
	}
	t.Log("live:")
	checkMuted(t, l.timeline(audio[0]))
	t.Log("replay with pauses kept:")
	checkMuted(t, replaySegments(t, s, id, audio[0]))
	checkAudio(t, s, id, audio[0], seconds)
}

// replaySegments downloads a rendition's replay (pauses kept), numbering
// discontinuities from 0.
func replaySegments(t *testing.T, s *server, id, rend string) []listed {
	t.Helper()
	base := "/replay/" + id + "/" + rend + "/"
	st, body, _ := s.get(t, base+"index.m3u8?pauses=keep")
	if st != 200 {
		t.Fatalf("replay %s: %d", rend, st)
	}
	pl, err := manifest.ParseIngest(body)
	if err != nil || pl.Media == nil {
		t.Fatalf("replay %s: %v", rend, err)
	}
	var out []listed
	disc := uint64(0)
	for i, sg := range pl.Media.Segments {
		if sg.Discontinuity {
			disc++
		}
		_, data, _ := s.get(t, resolve(base, sg.URI))
		_, init, _ := s.get(t, resolve(base, sg.MapURI))
		out = append(out, listed{seq: uint64(i), uri: sg.URI, disc: disc, pdt: sg.PDT, duration: sg.Duration, data: data, init: init})
	}
	return out
}

// checkMuted measures each downloaded audio segment (ffmpeg volumedetect):
// discontinuity d0 (before the pause) and d0+2 (after it) must carry the
// tone, d0+1 (the pause) silence.
func checkMuted(t *testing.T, segs []listed) {
	t.Helper()
	if len(segs) == 0 {
		t.Fatal("no audio segment listed")
	}
	d0 := segs[0].disc
	count := map[uint64]int{}
	var loudest, quietest = -200.0, 0.0
	var live []float64
	for _, sg := range segs {
		mean, max := volume(t, sg)
		phase := sg.disc - d0
		count[phase]++
		switch phase {
		case 1:
			loudest = maxf(loudest, max)
			if max > -60 {
				t.Errorf("segment %d (paused, muted): max volume %.1f dB, want < -60 dB", sg.seq, max)
			}
		case 0, 2:
			quietest = minf(quietest, mean)
			live = append(live, mean)
			if mean < -30 {
				t.Errorf("segment %d (live): mean volume %.1f dB: the tone is gone", sg.seq, mean)
			}
		default:
			t.Errorf("segment %d: discontinuity %d, more than pause and resume", sg.seq, sg.disc)
		}
	}
	sort.Float64s(live)
	median := 0.0
	if len(live) > 0 {
		median = live[len(live)/2]
	}
	t.Logf("audio segments before/paused/after: %d/%d/%d; paused: loudest max %.1f dB; live: mean volume median %.1f dB, quietest %.1f dB",
		count[0], count[1], count[2], loudest, median, quietest)
	if count[0] < 1 || count[1] < 3 || count[2] < 2 {
		t.Errorf("audio segments before/paused/after: %v", count)
	}
}

var volLine = regexp.MustCompile(`(mean|max)_volume: (-?[\d.]+|-inf) dB`)

// volume decodes init+segment with ffmpeg and returns mean and max dB.
func volume(t *testing.T, sg listed) (mean, max float64) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "a.mp4")
	if err := os.WriteFile(file, append(append([]byte(nil), sg.init...), sg.data...), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ffmpeg", "-hide_banner", "-nostdin", "-i", file, "-af", "volumedetect", "-f", "null", "-").CombinedOutput()
	if err != nil {
		t.Fatalf("volumedetect %d: %v\n%s", sg.seq, err, out)
	}
	mean, max = -200, -200
	for _, m := range volLine.FindAllSubmatch(out, -1) {
		v, err := strconv.ParseFloat(string(m[2]), 64)
		if err != nil {
			v = -200
		}
		if string(m[1]) == "mean" {
			mean = v
		} else {
			max = v
		}
	}
	if !bytes.Contains(out, []byte("max_volume")) {
		t.Fatalf("volumedetect %d printed nothing:\n%s", sg.seq, out)
	}
	return mean, max
}

func maxf(a, b float64) float64 {
	if a > b {
		return a
	}
	return b
}

func minf(a, b float64) float64 {
	if a < b {
		return a
	}
	return b
}

var _ = fmt.Sprint
