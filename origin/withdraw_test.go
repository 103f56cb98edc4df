package origin

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"hlsorigin/fixtures"
)

// storedHost counts chunks of host video found in any stored segment
// (every sequence number, through the store) or served by the rendition.
func storedHost(t *testing.T, o *Origin, r *Rendition, chunks [][]byte) int {
	t.Helper()
	n := 0
	for seq := uint64(0); seq < 8; seq++ {
		b, _, _ := o.store.Segment(r.ch.rec.ID, r.name, seq)
		h, _ := r.storedBytes(seq)
		for _, c := range chunks {
			if bytes.Contains(b, c) || bytes.Contains(h, c) {
				n++
			}
		}
	}
	return n
}

// TestBackdatedPauseResplicesUnlisted: with a 6 s delay, a pause 3 s in
// the past hides part of segment 1 and all of segment 2 (captured from
// 2 s and 4 s, not listed yet): before they are listed, segment 1 is split
// at the frame as the live cut does (host video before the pause stays)
// and the rest becomes slate, the tail renumbered; the hidden host video
// is gone from the store, nothing was exposed; it all holds after a
// restart.
func TestBackdatedPauseResplicesUnlisted(t *testing.T) {
	c, dir := newClock(), t.TempDir()
	t0 := c.Now()
	o := openDelayed(t, dir, c, 6*time.Second)
	ch := newTestChannel(t, o, "r")
	m := sendAll(t, ch, c) // now 6 s
	at := t0.Add(3 * time.Second)
	p, err := ch.Pause(PauseRequest{At: &at})
	if err != nil {
		t.Fatal(err)
	}
	if p.Exposed != nil || p.Withdrawn != nil {
		t.Errorf("nothing was listed, yet exposed %+v withdrawn %v", p.Exposed, p.Withdrawn)
	}
	if err := ch.Reconcile(); err != nil {
		t.Fatal(err)
	}
	c.Advance(6 * time.Second)
	ch.PublishDue()
	r, _ := ch.Rendition("index")
	if got := listedURIs(t, r); got != "0.m4s 1.m4s 2.m4s 3.m4s" {
		t.Errorf("listed %q", got)
	}
	check := func(r *Rendition, when string) {
		segs := r.Segments()
		if len(segs) != 4 || segs[0].Kind != "" || segs[1].Kind != "" || segs[2].Kind != "slate" || segs[3].Kind != "slate" ||
			segs[1].CutBy != p.ID || segs[1].Disc || !segs[2].Disc || segs[3].Disc || segs[3].DiscNum != segs[2].DiscNum {
			t.Fatalf("%s: timeline %+v", when, segs)
		}
		checkSplit(t, r, m, segs[1].Frames, m.Segments[2])
	}
	check(r, "re-spliced")
	o.Close()
	o = openDelayed(t, dir, c, 6*time.Second)
	defer o.Close()
	ch, _ = o.Channel("r")
	r, _ = ch.Rendition("index")
	check(r, "after restart")
}

// TestBackdatedPauseWithdrawsPublished: without delay, a pause 3 s in the
// past withdraws the published segments it hides: not served, a gap in
// the live playlist, out of the replay timeline, their bytes deleted, the
// exposed interval on the pause and its date range; all of it durable,
// even when the segment records were not rewritten before a crash.
func TestBackdatedPauseWithdrawsPublished(t *testing.T) {
	c, dir := newClock(), t.TempDir()
	t0 := c.Now()
	o := openDelayed(t, dir, c, 0)
	ch := newTestChannel(t, o, "w")
	m := sendAll(t, ch, c)
	at := t0.Add(3 * time.Second)
	p, err := ch.Pause(PauseRequest{At: &at})
	if err != nil {
		t.Fatal(err)
	}
	if p.Exposed == nil || !p.Exposed.From.Equal(at) || !p.Exposed.Until.Equal(t0.Add(6*time.Second)) {
		t.Fatalf("exposed %+v, want 3 s..6 s", p.Exposed)
	}
	if err := ch.Reconcile(); err != nil {
		t.Fatal(err)
	}
	check := func(ch *Channel, when string) {
		r, _ := ch.Rendition("index")
		notServed(t, r, 1)
		notServed(t, r, 2)
		if _, _, err := r.Segment(0); err != nil {
			t.Errorf("%s: segment 0: %v", when, err)
		}
		if segs := r.Segments(); len(segs) != 1 || segs[0].Seq != 0 {
			t.Errorf("%s: replay timeline %+v", when, segs)
		}
		pl, _ := r.Playlist()
		body := string(pl.Body)
		if strings.Count(body, "#EXT-X-GAP") != 2 || !strings.Contains(body, `X-EXPOSED-UNTIL="`+t0.Add(6*time.Second).Format(time.RFC3339Nano)) {
			t.Errorf("%s: playlist\n%s", when, body)
		}
		hidden := append(videoChunks(t, m, m.Segments[1]), videoChunks(t, m, m.Segments[2])...)
		if n := storedHost(t, ch.o, r, hidden); n != 0 {
			t.Errorf("%s: %d withdrawn host samples still stored", when, n)
		}
		if ps := ch.Pauses(); len(ps) != 1 || ps[0].Exposed == nil {
			t.Errorf("%s: pauses %+v", when, ps)
		}
	}
	check(ch, "withdrawn")
	// A crash before the segment records were rewritten: the pause record
	// still names what it withdrew.
	r, _ := ch.Rendition("index")
	ch.mu.Lock()
	info := r.segs[1]
	ch.mu.Unlock()
	info.Withdrawn = false
	meta, _ := jsonMarshal(info)
	if err := o.store.SetSegmentMeta("w", "index", 1, meta); err != nil {
		t.Fatal(err)
	}
	o.Close()
	o = openDelayed(t, dir, c, 0)
	defer o.Close()
	ch, _ = o.Channel("w")
	check(ch, "after restart")
}

// TestWithdrawEverything: a pause back-dated before the whole session
// withdraws every segment; the playlists stay valid (the multivariant keeps
// the bandwidth it had: withdrawn segments are not measured).
func TestWithdrawEverything(t *testing.T) {
	c := newClock()
	t0 := c.Now()
	o := openDelayed(t, t.TempDir(), c, 0)
	defer o.Close()
	ch := newTestChannel(t, o, "all")
	sendAll(t, ch, c)
	mv, _ := ch.Multivariant()
	at := t0.Add(-time.Second)
	p, err := ch.Pause(PauseRequest{At: &at})
	if err != nil || len(p.Withdrawn["index"]) != 3 {
		t.Fatalf("pause: %v, withdrawn %v", err, p.Withdrawn)
	}
	if err := ch.Reconcile(); err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	r, _ := ch.Rendition("index")
	if got := listedURIs(t, r); got != "0.m4s 1.m4s 2.m4s" {
		t.Errorf("listed %q", got)
	}
	after, err := ch.Multivariant()
	if err != nil || string(after.Body) != string(mv.Body) {
		t.Errorf("multivariant changed: %v\n%s\nwas\n%s", err, after.Body, mv.Body)
	}
	for seq := uint64(0); seq < 3; seq++ {
		notServed(t, r, seq)
	}
}

// TestPauseDuringSegmentWrite: a segment whose commit was decided before a
// back-dated pause but stored after it (its bytes were being written) is
// never listed as it is, even without a publish delay: it is re-spliced
// first.
func TestPauseDuringSegmentWrite(t *testing.T) {
	c := newClock()
	t0 := c.Now()
	o := openDelayed(t, t.TempDir(), c, 0)
	defer o.Close()
	ch := newTestChannel(t, o, "race")
	m := fixtures.Muxed()
	startLive(t, ch, c, m) // seg0 arrives at 2 s
	var p Pause
	o.beforeSegmentWrite = func() {
		o.beforeSegmentWrite = nil
		at := t0.Add(3 * time.Second)
		var err error
		if p, err = ch.Pause(PauseRequest{At: &at}); err != nil {
			t.Error(err)
		}
	}
	c.Advance(2 * time.Second)
	ingestOK(t, ch, m.SegmentNames[1], m.Segments[1]) // seg1 (2..4 s) arrives at 4 s
	ingestOK(t, ch, m.PlaylistName, playlistFor(m, 1))
	if p.ID == "" {
		t.Fatal("the pause did not run during the write")
	}
	if err := ch.Reconcile(); err != nil {
		t.Fatal(err)
	}
	r, _ := ch.Rendition("index")
	segs := r.Segments()
	if len(segs) != 3 || segs[0].Kind != "" || segs[1].Kind != "" || segs[2].Kind != "slate" || segs[1].CutBy != p.ID {
		t.Fatalf("timeline %+v", segs)
	}
	checkSplit(t, r, m, segs[1].Frames)
	if got := listedURIs(t, r); got != "0.m4s 1.m4s 2.m4s" {
		t.Errorf("listed %q", got)
	}
}

// checkSplit: of the fixture's segment 1, the first kept frames are
// stored, no later one is, nor any frame of the fully hidden segments;
// segment 0 is intact.
func checkSplit(t *testing.T, r *Rendition, m fixtures.Rendition, kept int, hiddenSegs ...[]byte) {
	t.Helper()
	seg1 := videoChunks(t, m, m.Segments[1])
	if kept < 1 || kept >= len(seg1) {
		t.Fatalf("segment 1 split after %d of %d frames", kept, len(seg1))
	}
	hidden := seg1[kept:]
	for _, s := range hiddenSegs {
		hidden = append(hidden, videoChunks(t, m, s)...)
	}
	if n := storedHost(t, r.ch.o, r, hidden); n != 0 {
		t.Errorf("%d host video samples after the pause instant still stored", n)
	}
	if n := storedHost(t, r.ch.o, r, seg1[:kept]); n != kept {
		t.Errorf("%d of the %d host frames before the pause instant stored", n, kept)
	}
	if n := storedHost(t, r.ch.o, r, videoChunks(t, m, m.Segments[0])); n != 60 {
		t.Errorf("segment 0: %d of 60 frames stored", n)
	}
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
