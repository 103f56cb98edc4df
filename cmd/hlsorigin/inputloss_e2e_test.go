package main

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// encoder is an ffmpeg publisher that a test can SIGKILL.
type encoder struct {
	cmd  *exec.Cmd
	done chan error
}

func startEncoder(ctx context.Context, t *testing.T, url, key, layout string, seconds int) *encoder {
	t.Helper()
	cmd, _ := ffmpegCmd(ctx, publishArgs(seconds, url, key, layout)...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("ffmpeg publish: %v", err)
	}
	e := &encoder{cmd: cmd, done: make(chan error, 1)}
	go func() { e.done <- cmd.Wait() }()
	return e
}

// kill SIGKILLs the encoder (no final playlist, no EXT-X-ENDLIST) and
// returns when it is gone.
func (e *encoder) kill(t *testing.T) time.Time {
	t.Helper()
	_ = e.cmd.Process.Kill()
	<-e.done
	return time.Now()
}

// mediaPlaylist fetches a media playlist of a channel.
func mediaPlaylist(t *testing.T, s *server, id, rendition string) string {
	t.Helper()
	st, b, _ := s.get(t, "/live/"+id+"/"+rendition+"/index.m3u8")
	if st != 200 {
		t.Fatalf("GET %s playlist: %d", rendition, st)
	}
	return string(b)
}

var mapLine = regexp.MustCompile(`#EXT-X-MAP:URI="([^"]+)"`)

// lastMap is the EXT-X-MAP in force for the last segment of a playlist.
func lastMap(pl string) string {
	m := mapLine.FindAllStringSubmatch(pl, -1)
	if len(m) == 0 {
		return ""
	}
	return m[len(m)-1][1]
}

// waitFor polls cond every 100 ms until it holds or d passes.
func waitFor(d time.Duration, cond func() bool) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

func channelState(t *testing.T, s *server, id string) ChannelViewT {
	var v ChannelViewT
	s.do(t, "GET", "/api/v1/channels/"+id, "", nil, &v)
	return v
}

// TestE2EInputLoss: ffmpeg publishes, is SIGKILLed: within input-loss-after
// (1.5 x target) + one target duration of the next segment being due, every
// live playlist lists new slate segments (state reconnecting, metric);
// every reload passes the strict checker; a new encoder brings host
// video back (its own init again) in every rendition.
func TestE2EInputLoss(t *testing.T) {
	needTool(t, "ffmpeg")
	s := startServer(t, t.TempDir())
	for _, tc := range []struct {
		layout     string
		playlist   string
		renditions []string
	}{
		{"muxed", "index.m3u8", []string{"index"}},
		{"demuxed", "stream_%v.m3u8", []string{"stream_0", "stream_1", "stream_2"}},
	} {
		t.Run(tc.layout, func(t *testing.T) {
			cr := s.createChannel(t, "loss-"+tc.layout)
			url := s.base + "/ingest/" + cr.ID + "/" + tc.playlist
			ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
			defer cancel()
			enc := startEncoder(ctx, t, url, cr.StreamKey, tc.layout, 120)
			wctx, stopWatch := context.WithCancel(ctx)
			var w watcher
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { defer wg.Done(); w.run(wctx, t, s, cr.ID) }()
			waitForSegments(t, s, cr.ID, len(tc.renditions), 3)
			hostMap := map[string]string{}
			for _, r := range tc.renditions {
				hostMap[r] = lastMap(mediaPlaylist(t, s, cr.ID, r))
			}
			before := channelState(t, s, cr.ID)
			killed := enc.kill(t)

			// target 3 s, segments 2 s: due 2 s after the last one, lost 4.5 s later.
			bound := 2*time.Second + 4500*time.Millisecond + 3*time.Second
			var v ChannelViewT
			ok := waitFor(bound+10*time.Second, func() bool {
				v = channelState(t, s, cr.ID)
				return v.State == "reconnecting" && grown(before, v)
			})
			delay := time.Since(killed)
			if !ok {
				t.Fatalf("no slate listed %v after SIGKILL: %+v", delay, v)
			}
			t.Logf("%s: first generated segments listed %.2f s after SIGKILL (bound %.1f s)", tc.layout, delay.Seconds(), bound.Seconds())
			if delay > bound+2*time.Second { // 2 s for a loaded machine
				t.Errorf("slate listed %v after SIGKILL, want within %v", delay, bound)
			}
			for _, r := range tc.renditions {
				if m := lastMap(mediaPlaylist(t, s, cr.ID, r)); m == hostMap[r] && !strings.HasPrefix(r, "stream_0") {
					t.Errorf("%s: last segment still under the host init %s", r, m)
				}
			}
			_, metrics, _ := s.get(t, "/metrics")
			if !regexp.MustCompile(`hlsorigin_channels\{state="reconnecting"\} [1-9]`).Match(metrics) ||
				!strings.Contains(string(metrics), `hlsorigin_clock_events_total{event="input_lost"}`) {
				t.Errorf("metrics do not show the reconnecting channel")
			}
			time.Sleep(3 * time.Second) // the slate runs on

			enc = startEncoder(ctx, t, url, cr.StreamKey, tc.layout, 12)
			ok = waitFor(60*time.Second, func() bool {
				if channelState(t, s, cr.ID).State != "live" {
					return false
				}
				for _, r := range tc.renditions {
					if lastMap(mediaPlaylist(t, s, cr.ID, r)) != hostMap[r] {
						return false
					}
				}
				return true
			})
			if !ok {
				t.Errorf("host media did not return after the encoder restarted: %+v", channelState(t, s, cr.ID))
			}
			enc.kill(t)
			stopWatch()
			wg.Wait()
			w.report(t, len(tc.renditions))
		})
	}
}

// grown reports whether every rendition has more segments than before.
func grown(before, now ChannelViewT) bool {
	if len(now.Renditions) != len(before.Renditions) {
		return false
	}
	last := map[string]uint64{}
	for _, r := range before.Renditions {
		last[r.Name] = r.LastSeq
	}
	for _, r := range now.Renditions {
		if r.LastSeq <= last[r.Name] {
			return false
		}
	}
	return true
}

// TestE2EStreamEnd: ffmpeg ends normally: every live playlist carries
// EXT-X-ENDLIST within one target duration, the channel is ended, and
// ffprobe -count_frames on the live URL terminates.
func TestE2EStreamEnd(t *testing.T) {
	needTool(t, "ffmpeg")
	ffprobe := needTool(t, "ffprobe")
	s := startServer(t, t.TempDir())
	cr := s.createChannel(t, "end")
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	enc := startEncoder(ctx, t, s.base+"/ingest/end/index.m3u8", cr.StreamKey, "muxed", 10)
	if err := <-enc.done; err != nil {
		t.Fatalf("ffmpeg: %v", err)
	}
	exited := time.Now()
	ok := waitFor(20*time.Second, func() bool {
		return strings.Contains(mediaPlaylist(t, s, "end", "index"), "#EXT-X-ENDLIST")
	})
	took := time.Since(exited)
	if !ok {
		t.Fatalf("no EXT-X-ENDLIST %v after ffmpeg ended:\n%s", took, mediaPlaylist(t, s, "end", "index"))
	}
	t.Logf("EXT-X-ENDLIST listed %.2f s after ffmpeg exited", took.Seconds())
	if took > 3*time.Second+time.Second { // one target duration (+1 s for a loaded machine)
		t.Errorf("EXT-X-ENDLIST %v after ffmpeg exited, want within one target duration (3 s)", took)
	}
	if st := channelState(t, s, "end").State; st != "ended" {
		t.Errorf("state %s, want ended", st)
	}
	pctx, pcancel := context.WithTimeout(ctx, 60*time.Second)
	defer pcancel()
	out, err := exec.CommandContext(pctx, ffprobe, "-v", "error", "-count_frames", "-select_streams", "v:0",
		"-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", s.base+"/live/end/index.m3u8").Output()
	if err != nil || pctx.Err() != nil {
		t.Fatalf("ffprobe -count_frames on the live URL: %v (did not terminate?)", err)
	}
	var frames int
	fmt.Sscan(strings.TrimSpace(string(out)), &frames)
	if frames < 30 {
		t.Errorf("ffprobe counted %d frames", frames)
	}
}
