package origin

import (
	"bytes"
	"testing"
	"time"

	"hlsorigin/fixtures"
)

// TestIngestSegmentsOutOfOrder: a segment PUT before its predecessor (as
// ffmpeg does when flushing its last segments) is held, acknowledged, and
// committed right after the predecessor, in order.
func TestIngestSegmentsOutOfOrder(t *testing.T) {
	c := newClock()
	o := openTest(t, t.TempDir(), c)
	defer o.Close()
	ch := newTestChannel(t, o, "ooo")
	m := fixtures.Muxed()
	ingestOK(t, ch, m.InitName, m.Init)
	ingestOK(t, ch, m.SegmentNames[0], m.Segments[0])
	ingestOK(t, ch, m.PlaylistName, playlistFor(m, 0))
	c.Advance(4 * time.Second)
	ingestOK(t, ch, m.SegmentNames[2], m.Segments[2]) // ahead of segment 1
	ingestOK(t, ch, m.PlaylistName, playlistFor(m, 2))
	r, err := ch.Rendition("index")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(r.Segments()); n != 1 {
		t.Fatalf("%d segments committed while segment 1 is missing, want 1 (segment 2 held)", n)
	}
	ingestOK(t, ch, m.SegmentNames[1], m.Segments[1])
	segs := r.Segments()
	if len(segs) != 3 {
		t.Fatalf("%d segments, want 3", len(segs))
	}
	for i, s := range segs {
		data, _, err := r.Segment(s.Seq)
		if err != nil || !bytes.Equal(data, m.Segments[i]) || s.Disc {
			t.Errorf("seq %d: want fixture segment %d in order, no discontinuity (disc %v, err %v)", s.Seq, i, s.Disc, err)
		}
	}
}

// TestIngestLostPredecessor: when the missing segment never comes, the
// held one is committed after a target duration, on the next ingest.
func TestIngestLostPredecessor(t *testing.T) {
	c := newClock()
	o := openTest(t, t.TempDir(), c)
	defer o.Close()
	ch := newTestChannel(t, o, "lost")
	m := fixtures.Muxed()
	ingestOK(t, ch, m.InitName, m.Init)
	ingestOK(t, ch, m.SegmentNames[0], m.Segments[0])
	ingestOK(t, ch, m.PlaylistName, playlistFor(m, 0))
	c.Advance(4 * time.Second)
	ingestOK(t, ch, m.SegmentNames[2], m.Segments[2])
	r, _ := ch.Rendition("index")
	if n := len(r.Segments()); n != 1 {
		t.Fatalf("%d segments, want 1 while segment 2 waits", n)
	}
	c.Advance(5 * time.Second)
	ch.drainHeld()
	segs := r.Segments()
	if len(segs) != 2 {
		t.Fatalf("%d segments after the wait, want 2", len(segs))
	}
	if data, _, _ := r.Segment(segs[1].Seq); !bytes.Equal(data, m.Segments[2]) {
		t.Error("the held segment was not committed after its wait")
	}
}
