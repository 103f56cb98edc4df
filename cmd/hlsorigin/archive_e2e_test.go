package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"hlsorigin/manifest/hlscheck"
)

// TestE2ERestartServesArchive: after a restart on the same data dir the
// channel, its live playlists and every archived segment are served, and
// ffmpeg decodes the whole archive.
func TestE2ERestartServesArchive(t *testing.T) {
	needTool(t, "ffmpeg")
	dir := t.TempDir()
	s := startServer(t, dir)
	cr := s.createChannel(t, "archive")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	wait := publish(ctx, t, s.base+"/ingest/archive/stream_%v.m3u8", cr.StreamKey, "demuxed", 10)
	wait()
	// ffmpeg's last playlists carry EXT-X-ENDLIST: the session ends once
	// every segment they list is stored (out-of-order ones included).
	if !waitFor(30*time.Second, func() bool { return channelState(t, s, "archive").State == "ended" }) {
		t.Fatalf("session not ended 30 s after ffmpeg exited: %+v", channelState(t, s, "archive"))
	}
	before := waitForSegments(t, s, "archive", 3, 4)
	_, mvBefore, _ := s.get(t, "/live/archive/index.m3u8")
	s.stop(t)

	s2 := startServer(t, dir)
	after := waitForSegments(t, s2, "archive", 3, 4)
	for i, r := range after.Renditions {
		if r.Name != before.Renditions[i].Name || r.LastSeq != before.Renditions[i].LastSeq {
			t.Errorf("rendition %d: %+v before restart, %+v after", i, before.Renditions[i], r)
		}
		st, pl, _ := s2.get(t, "/live/archive/"+r.Name+"/index.m3u8")
		if st != 200 {
			t.Fatalf("%s playlist: %d", r.Name, st)
		}
		if err := hlscheck.CheckMedia(pl); err != nil {
			t.Errorf("%s: %v", r.Name, err)
		}
		for seq := uint64(0); seq <= r.LastSeq; seq++ {
			if st, _, _ := s2.get(t, fmt.Sprintf("/live/archive/%s/%d.m4s", r.Name, seq)); st != 200 {
				t.Errorf("%s segment %d after restart: %d", r.Name, seq, st)
			}
		}
	}
	if _, mv, _ := s2.get(t, "/live/archive/index.m3u8"); string(mv) != string(mvBefore) {
		t.Errorf("multivariant changed across restart:\n%s\nvs\n%s", mvBefore, mv)
	}
	frames := decodeAll(t, s2.base+"/replay/archive/index.m3u8")
	if frames < 9*30 {
		t.Errorf("decoded %d frames of the 10 s archive", frames)
	}
}

// decodeAll decodes a VOD playlist to the end and counts video frames.
func decodeAll(t *testing.T, url string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd, stderr := ffmpegCmd(ctx, "-i", url, "-map", "0:v:0", "-f", "framemd5", "-")
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("decode %s: %v\n%s", url, err, stderr)
	}
	n := 0
	for _, l := range splitLines(out) {
		if len(l) > 0 && l[0] != '#' {
			n++
		}
	}
	return n
}

func splitLines(b []byte) [][]byte {
	var out [][]byte
	start := 0
	for i, c := range b {
		if c == '\n' {
			out = append(out, b[start:i])
			start = i + 1
		}
	}
	return out
}
