package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hlsorigin/manifest/hlscheck"
)

// watcher reloads every live playlist of a channel like a player and runs
// the strict RFC 8216 checker on each reload.
type watcher struct {
	mu       sync.Mutex
	checkers map[string]*hlscheck.Checker
	reloads  int
	errs     []error
}

var uriLine = regexp.MustCompile(`(?m)^([^#\s][^\s]*\.m3u8)\s*$|URI="([^"]+\.m3u8)"`)

func (w *watcher) run(ctx context.Context, t *testing.T, s *server, id string) {
	w.checkers = map[string]*hlscheck.Checker{}
	for ctx.Err() == nil {
		w.poll(t, s, id)
		select {
		case <-ctx.Done():
		case <-time.After(700 * time.Millisecond):
		}
	}
}

func (w *watcher) poll(t *testing.T, s *server, id string) {
	st, mv, _ := s.get(t, "/live/"+id+"/index.m3u8")
	if st != 200 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := hlscheck.CheckMultivariant(mv); err != nil {
		w.errs = append(w.errs, fmt.Errorf("multivariant: %w\n%s", err, mv))
	}
	for _, m := range uriLine.FindAllSubmatch(mv, -1) {
		uri := string(m[1]) + string(m[2])
		st, body, _ := s.get(t, "/live/"+id+"/"+uri)
		if st != 200 {
			w.errs = append(w.errs, fmt.Errorf("GET %s: %d", uri, st))
			continue
		}
		c := w.checkers[uri]
		if c == nil {
			c = hlscheck.NewChecker()
			w.checkers[uri] = c
		}
		w.reloads++
		if err := c.Check(body); err != nil {
			w.errs = append(w.errs, fmt.Errorf("%s: %w\n%s", uri, err, body))
		}
	}
}

func (w *watcher) report(t *testing.T, wantPlaylists int) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, err := range w.errs {
		t.Error(err)
	}
	if len(w.checkers) != wantPlaylists {
		t.Errorf("watched %d media playlists, want %d", len(w.checkers), wantPlaylists)
	}
	if w.reloads < 3*wantPlaylists {
		t.Errorf("only %d playlist reloads", w.reloads)
	}
}

// decodeLive pulls the live multivariant with ffmpeg and decodes seconds of
// it; it returns the number of decoded video frames.
func decodeLive(t *testing.T, url string, seconds int) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(seconds+40)*time.Second)
	defer cancel()
	cmd, stderr := ffmpegCmd(ctx, "-loglevel", "error", "-stats_period", "0.5", "-i", url, "-t", strconv.Itoa(seconds),
		"-map", "0:v:0", "-map", "0:a:0?", "-f", "null", "-")
	cmd.Args = append(cmd.Args[:len(cmd.Args)-1], "-progress", "pipe:1", "-")
	var progress bytes.Buffer
	cmd.Stdout = &progress
	if err := cmd.Run(); err != nil {
		t.Fatalf("ffmpeg decode %s: %v\n%s", url, err, stderr)
	}
	if s := strings.TrimSpace(stderr.String()); s != "" {
		t.Errorf("ffmpeg decode reported errors:\n%s", s)
	}
	frames := 0
	for _, m := range regexp.MustCompile(`frame=(\d+)`).FindAllStringSubmatch(progress.String(), -1) {
		frames, _ = strconv.Atoi(m[1])
	}
	return frames
}

func publish(ctx context.Context, t *testing.T, url, key, layout string, seconds int) func() {
	t.Helper()
	cmd, stderr := ffmpegCmd(ctx, publishArgs(seconds, url, key, layout)...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("ffmpeg publish: %v", err)
	}
	return func() {
		t.Helper()
		if err := cmd.Wait(); err != nil && ctx.Err() == nil {
			t.Errorf("ffmpeg publish %s: %v\n%s", layout, err, stderr)
		}
	}
}

func TestE2ELiveFFmpeg(t *testing.T) {
	needTool(t, "ffmpeg")
	s := startServer(t, t.TempDir())
	cases := []struct {
		layout     string
		keyInPath  bool
		playlist   string
		renditions int
	}{
		{"muxed", false, "index.m3u8", 1},
		{"abr", false, "stream_%v.m3u8", 3},
		{"demuxed", true, "stream_%v.m3u8", 3},
	}
	for _, tc := range cases {
		t.Run(tc.layout, func(t *testing.T) {
			t.Parallel()
			cr := s.createChannel(t, "e2e-"+tc.layout)
			url, key := s.base+"/ingest/"+cr.ID+"/"+tc.playlist, cr.StreamKey
			if tc.keyInPath {
				url, key = s.base+"/ingest/"+cr.ID+"/"+cr.StreamKey+"/"+tc.playlist, ""
			}
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			wait := publish(ctx, t, url, key, tc.layout, 20)
			wctx, stopWatch := context.WithCancel(ctx)
			var w watcher
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { defer wg.Done(); w.run(wctx, t, s, cr.ID) }()
			waitForSegments(t, s, cr.ID, tc.renditions, 3)
			frames := decodeLive(t, s.base+"/live/"+cr.ID+"/index.m3u8", 4)
			if frames < 4*30-2 {
				t.Errorf("decoded %d video frames of 4 s at 30 fps", frames)
			}
			wait()
			stopWatch()
			wg.Wait()
			w.report(t, tc.renditions)
		})
	}
}

// waitForSegments waits until each of n renditions has at least segs segments.
func waitForSegments(t *testing.T, s *server, id string, n, segs int) ChannelViewT {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var v ChannelViewT
	for time.Now().Before(deadline) {
		s.do(t, "GET", "/api/v1/channels/"+id, "", nil, &v)
		ok := len(v.Renditions) == n
		for _, r := range v.Renditions {
			ok = ok && r.Segments >= segs
		}
		if ok {
			return v
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("channel %s: want %d renditions with %d segments, have %+v", id, n, segs, v)
	return v
}

// ChannelViewT mirrors the API's channel state.
type ChannelViewT struct {
	ID         string `json:"id"`
	State      string `json:"state"`
	Renditions []struct {
		Name     string `json:"name"`
		Kind     string `json:"kind"`
		Codecs   string `json:"codecs"`
		HasAudio bool   `json:"has_audio"`
		Segments int    `json:"segments"`
		LastSeq  uint64 `json:"last_seq"`
	} `json:"renditions"`
}

var _ = exec.Command
