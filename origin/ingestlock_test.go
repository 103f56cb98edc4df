package origin

import (
	"testing"
	"time"

	"hlsorigin/fixtures"
)

// TestPauseDoesNotWaitForSegmentWrite: while a segment's bytes are being
// written (held here for as long as the test likes), pause, resume and
// reads of the channel answer at once; the segment in flight, which
// arrived before the pause, commits as decided when it arrived, and the
// next one is cut.
func TestPauseDoesNotWaitForSegmentWrite(t *testing.T) {
	c := newClock()
	o := openTest(t, t.TempDir(), c)
	defer o.Close()
	ch := newTestChannel(t, o, "w")
	m := fixtures.Muxed()
	startLive(t, ch, c, m)
	r, err := ch.Rendition("index")
	if err != nil {
		t.Fatal(err)
	}

	entered, release := make(chan struct{}), make(chan struct{})
	o.beforeSegmentWrite = func() {
		o.beforeSegmentWrite = nil // the first write only (ingest is serialized)
		close(entered)
		<-release
	}
	c.Advance(2 * time.Second)
	ingested := make(chan error, 1)
	go func() { ingested <- ch.Ingest(m.SegmentNames[1], m.Segments[1]) }()
	select {
	case <-entered:
	case err := <-ingested:
		t.Fatalf("segment committed without writing: %v", err)
	}

	within := func(what string, f func() error) {
		t.Helper()
		done := make(chan error, 1)
		go func() { done <- f() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		case <-time.After(10 * time.Second):
			close(release) // let the write finish so the test can end
			<-ingested
			t.Fatalf("%s waited for the segment write", what)
		}
	}
	within("playlist read", func() error { _, err := r.Playlist(); return err })
	within("pause", func() error { _, err := ch.Pause(PauseRequest{}); return err })
	if ch.State() != "paused" {
		t.Fatalf("state %s", ch.State())
	}
	if n := len(r.Segments()); n != 1 {
		t.Fatalf("%d segments listed while the second is still being written", n)
	}
	close(release)
	if err := <-ingested; err != nil {
		t.Fatalf("segment in flight: %v", err)
	}
	ingestOK(t, ch, m.PlaylistName, playlistFor(m, 1))
	c.Advance(2 * time.Second)
	ingestOK(t, ch, m.SegmentNames[2], m.Segments[2])
	ingestOK(t, ch, m.PlaylistName, playlistFor(m, 2))
	segs := r.Segments()
	if len(segs) != 3 || segs[1].Kind != "" || segs[1].Size != len(m.Segments[1]) || segs[2].Kind != "slate" {
		t.Fatalf("timeline: %+v", segs)
	}
	if segs[0].Seq != 0 || segs[1].Seq != 1 || segs[2].Seq != 2 {
		t.Fatalf("sequence numbers: %d %d %d", segs[0].Seq, segs[1].Seq, segs[2].Seq)
	}
	b, notYet, err := r.Segment(1)
	if err != nil || notYet || len(b) != len(m.Segments[1]) {
		t.Fatalf("segment 1: %d bytes, notYet %v, %v", len(b), notYet, err)
	}
}
