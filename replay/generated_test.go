package replay

import (
	"bytes"
	"testing"
	"time"

	"hlsorigin/fixtures"
	"hlsorigin/origin"
	"hlsorigin/segments"
)

// TestReplayLeavesOutGeneratedSegments: segments the origin generated
// while the input was lost are slate: the replay and the MP4 export leave
// them out (kept with pauses=keep), in the video and the audio rendition.
func TestReplayLeavesOutGeneratedSegments(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	o, err := origin.Open(origin.Config{DataDir: t.TempDir(), Now: func() time.Time { return now }, ClockInterval: -1}, origin.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	ch, _, err := o.CreateChannel("g", "g")
	if err != nil {
		t.Fatal(err)
	}
	rs := fixtures.ABR()
	for _, r := range rs {
		if err := ch.Ingest(r.InitName, r.Init); err != nil {
			t.Fatal(err)
		}
	}
	for k := 0; k < fixtures.SegmentsPerRendition; k++ {
		now = now.Add(2 * time.Second)
		for _, r := range rs {
			if err := ch.Ingest(r.SegmentNames[k], r.Segments[k]); err != nil {
				t.Fatal(err)
			}
			live := bytes.ReplaceAll(r.Playlist, []byte("#EXT-X-ENDLIST"), nil) // still live
			if err := ch.Ingest(r.PlaylistName, live); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := 0; i < 60; i++ { // 15 s without input
		now = now.Add(250 * time.Millisecond)
		o.Tick()
	}
	video, _ := ch.Rendition("stream_1")
	spans := SlateSpans(video.Segments())
	for _, name := range []string{"stream_0", "stream_1"} {
		r, _ := ch.Rendition(name)
		segs := r.Segments()
		if len(segs) <= fixtures.SegmentsPerRendition {
			t.Fatalf("%s: nothing generated (%d segments)", name, len(segs))
		}
		var sp []Span
		if name == "stream_0" {
			sp = spans
		}
		tracks := func(ver uint32) []segments.Track {
			in, err := r.InitInfo(ver)
			if err != nil {
				return nil
			}
			return in.Tracks
		}
		m := Media(segs, ch.Pauses(), 3, uris, Options{Tracks: tracks}, sp...)
		if len(m.Segments) != fixtures.SegmentsPerRendition {
			t.Errorf("%s replay: %d segments, want the %d host ones", name, len(m.Segments), fixtures.SegmentsPerRendition)
		}
		if kept := Media(segs, ch.Pauses(), 3, uris, Options{KeepPauses: true}, sp...); len(kept.Segments) != len(segs) {
			t.Errorf("%s replay with pauses kept: %d segments, want %d", name, len(kept.Segments), len(segs))
		}
		ex, err := PlanMP4(segs, r.Init, Options{Tracks: tracks})
		if err != nil || len(ex.Pieces) != fixtures.SegmentsPerRendition {
			t.Errorf("%s export: %v, %d pieces", name, err, len(ex.Pieces))
		}
	}
}
