package origin

import (
	"math"
	"strings"
	"testing"
	"time"

	"hlsorigin/fixtures"
	"hlsorigin/manifest"
	"hlsorigin/manifest/hlscheck"
	"hlsorigin/segments"
	"hlsorigin/timeline"
)

// watcher checks every reload of a channel's media playlists with the
// strict checker, as a player polling them would see them.
type watcher struct {
	t  *testing.T
	ch *Channel
	c  map[string]*hlscheck.Checker
}

func newWatcher(t *testing.T, ch *Channel) *watcher {
	return &watcher{t: t, ch: ch, c: map[string]*hlscheck.Checker{}}
}

func (w *watcher) check() map[string]*manifest.IngestMedia {
	w.t.Helper()
	out := map[string]*manifest.IngestMedia{}
	for _, r := range w.ch.Renditions() {
		p, err := r.Playlist()
		if err != nil {
			w.t.Fatal(err)
		}
		if w.c[r.Name()] == nil {
			w.c[r.Name()] = hlscheck.NewChecker()
		}
		if err := w.c[r.Name()].Check(p.Body); err != nil {
			w.t.Fatalf("%s: %v\n%s", r.Name(), err, p.Body)
		}
		pl, err := manifest.ParseIngest(p.Body)
		if err != nil {
			w.t.Fatal(err)
		}
		out[r.Name()] = pl.Media
	}
	return out
}

// tickFor advances the clock in steps of 250 ms for d, ticking and
// checking the playlists at each step.
func (w *watcher) tickFor(c *clock, o *Origin, d time.Duration) {
	w.t.Helper()
	for end := c.Now().Add(d); c.Now().Before(end); {
		c.Advance(250 * time.Millisecond)
		o.Tick()
		w.check()
	}
}

func generated(r *Rendition) []SegmentInfo {
	var out []SegmentInfo
	for _, s := range r.Segments() {
		if s.Gen != "" {
			out = append(out, s)
		}
	}
	return out
}

// TestInputLossGeneratesSlate: an encoder stops; after input-loss-after
// the origin appends reconnecting slate segments at the segment cadence,
// PDT and media time continuous, valid and servable; the state, the event
// and the hook say so; the encoder comes back after a discontinuity.
func TestInputLossGeneratesSlate(t *testing.T) {
	c := newClock()
	o := openTest(t, t.TempDir(), c)
	defer o.Close()
	var hooked []string
	o.SetHooks(Hooks{ClockEvent: func(_, ev string) { hooked = append(hooked, ev) }})
	ch := newTestChannel(t, o, "c")
	_, _, sub := ch.Subscribe(0)
	defer sub.Cancel()
	fx := fixtures.Muxed()
	publishFixture(t, ch, c, fx)
	w := newWatcher(t, ch)
	w.check()
	r, _ := ch.Rendition("index")
	hostEnd := r.Segments()[2].PDT.Add(2 * time.Second)

	// target 3: the next segment is due 2 s after the last, lost 4.5 s later.
	w.tickFor(c, o, 6250*time.Millisecond)
	if ch.State() != "live" || len(generated(r)) != 0 {
		t.Fatalf("6.25 s after the last segment: state %s, %d generated", ch.State(), len(generated(r)))
	}
	w.tickFor(c, o, 250*time.Millisecond)
	gen := generated(r)
	if ch.State() != "reconnecting" || len(gen) != 3 {
		t.Fatalf("6.5 s after the last segment: state %s, %d generated, want reconnecting, 3", ch.State(), len(gen))
	}
	w.tickFor(c, o, 10*time.Second)
	gen = generated(r)
	if len(gen) != 8 {
		t.Fatalf("%d generated segments after 16.5 s, want 8", len(gen))
	}
	for i, s := range gen {
		want := hostEnd.Add(time.Duration(i) * 2 * time.Second)
		if !s.PDT.Equal(want) || s.Duration != 2 || s.Gen != timeline.ReconnectingSlate || s.Kind != "slate" || s.Disc != (i == 0) {
			t.Errorf("generated %d: PDT %v (want %v) dur %v gen %q kind %q disc %v", i, s.PDT, want, s.Duration, s.Gen, s.Kind, s.Disc)
		}
		checkServable(t, r, s, 60) // 2 s of 30 fps slate
	}
	// The audio track runs on: each segment's audio starts where the previous ended.
	segs := r.Segments()
	for i := 3; i < len(segs); i++ {
		if segs[i].Starts[2] != segs[i-1].Ends[2] {
			t.Errorf("segment %d audio starts at %d, previous ended at %d", i, segs[i].Starts[2], segs[i-1].Ends[2])
		}
	}
	if !hasEvent(sub, EventInputLost) || len(hooked) != 1 || hooked[0] != EventInputLost {
		t.Errorf("input_lost event/hook missing (hook %v)", hooked)
	}

	// The encoder restarts (same init, timestamps from 0): host video
	// returns at its next segment, after a discontinuity, with a PDT not
	// before the end of the generated segments.
	ingestOK(t, ch, fx.InitName, fx.Init)
	w.tickFor(c, o, 2*time.Second) // slate goes on between the init and the first segment
	gen = generated(r)
	lastGen := gen[len(gen)-1]
	ingestOK(t, ch, fx.SegmentNames[0], fx.Segments[0])
	ingestOK(t, ch, fx.PlaylistName, playlistFor(fx, 0))
	pls := w.check()
	segs = r.Segments()
	back := segs[len(segs)-1]
	if back.Gen != "" || !back.Disc || back.PDT.Before(lastGen.PDT.Add(2*time.Second)) {
		t.Errorf("host segment after loss: gen %q disc %v PDT %v (generated ended %v)", back.Gen, back.Disc, back.PDT, lastGen.PDT.Add(2*time.Second))
	}
	if ch.State() != "live" || !hasEvent(sub, EventInputRestored) {
		t.Errorf("state %s after the encoder came back, or no input_restored event", ch.State())
	}
	if n := len(pls["index"].Segments); n == 0 || pls["index"].Ended {
		t.Errorf("live playlist: %d segments, ended %v", n, pls["index"].Ended)
	}
	w.tickFor(c, o, 2*time.Second)
	if len(generated(r)) != len(gen) {
		t.Errorf("segments generated while the host sends")
	}
}

// checkServable fetches a generated segment and parses it with its init.
func checkServable(t *testing.T, r *Rendition, s SegmentInfo, wantFrames int) {
	t.Helper()
	data, _, err := r.Segment(s.Seq)
	if err != nil {
		t.Fatalf("segment %d: %v", s.Seq, err)
	}
	in, err := r.InitOf(s.Seq)
	if err != nil {
		t.Fatal(err)
	}
	seg, err := segments.ParseSegment(data, in)
	if err != nil {
		t.Fatalf("generated segment %d does not parse: %v", s.Seq, err)
	}
	frames := 0
	for _, tr := range seg.Tracks {
		if tr.Kind == segments.KindVideo {
			frames = tr.Samples
		}
	}
	if _, video := in.Video(); video && frames != wantFrames {
		t.Errorf("segment %d: %d video frames, want %d", s.Seq, frames, wantFrames)
	}
}

func hasEvent(sub *Subscription, typ string) bool {
	for {
		select {
		case ev := <-sub.C:
			if ev.Type == typ {
				return true
			}
		default:
			return false
		}
	}
}

// TestInputLossABRDemuxed: every rendition of a demuxed ladder (two video
// renditions and an audio one) gets generated segments at the same
// instants with the same discontinuities; the audio rendition gets silence.
func TestInputLossABRDemuxed(t *testing.T) {
	c := newClock()
	o := openTest(t, t.TempDir(), c)
	defer o.Close()
	ch := newTestChannel(t, o, "abr")
	rs := fixtures.ABR()
	for _, r := range rs {
		ingestOK(t, ch, r.InitName, r.Init)
	}
	for k := 0; k < fixtures.SegmentsPerRendition; k++ {
		c.Advance(2 * time.Second)
		for _, r := range rs {
			ingestOK(t, ch, r.SegmentNames[k], r.Segments[k])
			ingestOK(t, ch, r.PlaylistName, playlistFor(r, k))
		}
	}
	w := newWatcher(t, ch)
	w.tickFor(c, o, 15*time.Second)
	var ref []SegmentInfo
	for _, r := range ch.Renditions() {
		gen := generated(r)
		if len(gen) < 5 {
			t.Fatalf("%s: %d generated segments", r.Name(), len(gen))
		}
		if ref == nil {
			ref = gen
		}
		if len(gen) != len(ref) {
			t.Fatalf("%s: %d generated segments, another rendition %d", r.Name(), len(gen), len(ref))
		}
		for i, s := range gen {
			if d := s.PDT.Sub(ref[i].PDT).Abs(); s.DiscNum != ref[i].DiscNum || s.Seq != ref[i].Seq || (i > 0 && d > time.Microsecond) {
				t.Errorf("%s generated %d: seq %d disc %d PDT %v, other %d %d %v", r.Name(), i, s.Seq, s.DiscNum, s.PDT, ref[i].Seq, ref[i].DiscNum, ref[i].PDT)
			}
			checkServable(t, r, s, int(math.Ceil(s.Duration*30-1e-6)))
		}
		if r.Info().Kind == "audio" && gen[0].Ends[1] == 0 {
			t.Errorf("audio rendition: generated segment without audio")
		}
	}
}

// TestPausedInputLossContinuesPauseSlate: while paused, a lost input
// continues the pause's slate; after the resume, the reconnecting slate.
func TestPausedInputLossContinuesPauseSlate(t *testing.T) {
	c := newClock()
	o := openTest(t, t.TempDir(), c)
	defer o.Close()
	ch := newTestChannel(t, o, "p")
	fx := fixtures.Muxed()
	publishFixture(t, ch, c, fx)
	if _, err := ch.Pause(PauseRequest{}); err != nil {
		t.Fatal(err)
	}
	w := newWatcher(t, ch)
	w.tickFor(c, o, 10*time.Second)
	r, _ := ch.Rendition("index")
	gen := generated(r)
	if len(gen) == 0 || ch.State() != "paused" || !ch.InputLost() {
		t.Fatalf("paused, input lost: %d generated, state %s, lost %v", len(gen), ch.State(), ch.InputLost())
	}
	for _, s := range gen {
		if s.Gen != DefaultSlateID {
			t.Errorf("generated while paused shows %q, want the pause's slate %q", s.Gen, DefaultSlateID)
		}
	}
	if _, err := ch.Resume(nil); err != nil {
		t.Fatal(err)
	}
	w.tickFor(c, o, 6*time.Second)
	gen = generated(r)
	if last := gen[len(gen)-1]; last.Gen != timeline.ReconnectingSlate {
		t.Errorf("after resume, generated shows %q", last.Gen)
	}
	if ch.State() != "reconnecting" {
		t.Errorf("state %s after resume without input", ch.State())
	}
}

// TestSessionEnd: EXT-X-ENDLIST in the ingest playlist ends the session
// (every live playlist ends, state ended, event); a new publish starts a
// new session on the same URLs after a discontinuity, sequence numbers
// going on. Input lost for end-after ends it too, and so does a DELETE.
func TestSessionEnd(t *testing.T) {
	c := newClock()
	o := openTest(t, t.TempDir(), c)
	defer o.Close()
	ch := newTestChannel(t, o, "e")
	_, _, sub := ch.Subscribe(0)
	defer sub.Cancel()
	fx := fixtures.Muxed()
	publishFixture(t, ch, c, fx)
	ingestOK(t, ch, fx.PlaylistName, append(playlistFor(fx, 2), "#EXT-X-ENDLIST\n"...))
	o.Tick()
	r, _ := ch.Rendition("index")
	p, _ := r.Playlist()
	if !strings.Contains(string(p.Body), "#EXT-X-ENDLIST") || ch.State() != "ended" || !hasEvent(sub, EventEnded) {
		t.Fatalf("after ENDLIST: state %s\n%s", ch.State(), p.Body)
	}
	if err := hlscheck.CheckMedia(p.Body); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Hour)
	o.Tick()
	if n := len(r.Segments()); n != 3 {
		t.Errorf("%d segments after an hour ended, want 3 (nothing generated)", n)
	}

	// A new session.
	lastSeq := r.Segments()[2].Seq
	publishFixture(t, ch, c, fx)
	p, _ = r.Playlist()
	segs := r.Segments()
	if strings.Contains(string(p.Body), "#EXT-X-ENDLIST") || ch.State() != "live" || !hasEvent(sub, EventStarted) {
		t.Fatalf("new session: state %s\n%s", ch.State(), p.Body)
	}
	if segs[3].Seq != lastSeq+1 || !segs[3].Disc {
		t.Errorf("new session's first segment: seq %d (want %d), disc %v", segs[3].Seq, lastSeq+1, segs[3].Disc)
	}
	if err := hlscheck.CheckMedia(p.Body); err != nil {
		t.Fatal(err)
	}

	// Input lost for end-after (10 min by default).
	w := newWatcher(t, ch)
	for i := 0; i < 10*60*4+4 && ch.State() != "ended"; i++ {
		c.Advance(250 * time.Millisecond)
		o.Tick()
		w.check()
	}
	if ch.State() != "ended" {
		t.Fatalf("state %s after 10 min of input loss", ch.State())
	}

	// And a DELETE of the ingest playlist.
	publishFixture(t, ch, c, fx)
	if err := ch.EndIngest(fx.PlaylistName); err != nil || ch.State() != "ended" {
		t.Fatalf("DELETE %s: %v, state %s", fx.PlaylistName, err, ch.State())
	}
}

// TestSessionEndedSurvivesRestart: an ended session stays ended.
func TestSessionEndedSurvivesRestart(t *testing.T) {
	c := newClock()
	dir := t.TempDir()
	o := openTest(t, dir, c)
	ch := newTestChannel(t, o, "e")
	fx := fixtures.Muxed()
	publishFixture(t, ch, c, fx)
	ingestOK(t, ch, fx.PlaylistName, append(playlistFor(fx, 2), "#EXT-X-ENDLIST\n"...))
	o.Tick()
	o.Close()
	o = openTest(t, dir, c)
	defer o.Close()
	ch, _ = o.Channel("e")
	r, _ := ch.Rendition("index")
	p, _ := r.Playlist()
	if ch.State() != "ended" || !strings.Contains(string(p.Body), "#EXT-X-ENDLIST") {
		t.Errorf("after restart: state %s\n%s", ch.State(), p.Body)
	}
}

// TestSessionEndWaitsForLastSegment: an HTTP client may deliver the final
// playlist (EXT-X-ENDLIST) before its last segment: the session ends with
// that segment in it, not before (which would start a new session).
func TestSessionEndWaitsForLastSegment(t *testing.T) {
	c := newClock()
	o := openTest(t, t.TempDir(), c)
	defer o.Close()
	ch := newTestChannel(t, o, "late")
	fx := fixtures.Muxed()
	ingestOK(t, ch, fx.InitName, fx.Init)
	for k := 0; k < 2; k++ {
		c.Advance(2 * time.Second)
		ingestOK(t, ch, fx.SegmentNames[k], fx.Segments[k])
		ingestOK(t, ch, fx.PlaylistName, playlistFor(fx, k))
	}
	c.Advance(2 * time.Second)
	ingestOK(t, ch, fx.PlaylistName, append(playlistFor(fx, 2), "#EXT-X-ENDLIST\n"...))
	o.Tick()
	if ch.State() == "ended" {
		t.Fatalf("ended before the last listed segment arrived")
	}
	ingestOK(t, ch, fx.SegmentNames[2], fx.Segments[2])
	o.Tick()
	r, _ := ch.Rendition("index")
	p, _ := r.Playlist()
	if ch.State() != "ended" || len(r.Segments()) != 3 || !strings.Contains(string(p.Body), "#EXT-X-ENDLIST") {
		t.Fatalf("state %s, %d segments:\n%s", ch.State(), len(r.Segments()), p.Body)
	}
}

// playlistPDT is playlistFor with the encoder's program date times: the
// encoder's clock says segment i started at enc + 2i s.
func playlistPDT(r fixtures.Rendition, k int, enc time.Time) []byte {
	s := "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-MAP:URI=\"" + r.InitName + "\"\n"
	for i := 0; i <= k; i++ {
		s += "#EXTINF:2.000000,\n#EXT-X-PROGRAM-DATE-TIME:" + enc.Add(time.Duration(i)*2*time.Second).Format("2006-01-02T15:04:05.000Z07:00") + "\n" + r.SegmentNames[i] + "\n"
	}
	return []byte(s)
}

// TestExactTimingFromEncoderPDT: with EXT-X-PROGRAM-DATE-TIME in the
// ingest, the cut lands on the frame of the pause instant (no margin),
// and host video returns at the first keyframe at or after the resume
// (no resume margin); without it, the conservative mapping cuts earlier
// and keeps the slate longer.
func TestExactTimingFromEncoderPDT(t *testing.T) {
	for _, tc := range []struct{ withPDT, trust bool }{{true, true}, {false, true}, {true, false}} {
		withPDT := tc.withPDT && tc.trust // exact only with the PDT and -encoder-clock
		c := newClock()
		o, err := Open(Config{DataDir: t.TempDir(), Now: c.Now, ResumeMargin: time.Second, ClockInterval: -1, EncoderClock: tc.trust}, Hooks{})
		if err != nil {
			t.Fatal(err)
		}
		ch := newTestChannel(t, o, "pdt")
		fx := fixtures.Muxed()
		ingestOK(t, ch, fx.InitName, fx.Init)
		// The encoder's clock: segment 0 captured from 12:00:00.500 (it
		// arrives at 12:00:03, 0.5 s of pipeline latency after its end).
		enc := c.Now().Add(500 * time.Millisecond)
		pl := func(k int) []byte {
			if tc.withPDT {
				return playlistPDT(fx, k, enc)
			}
			return playlistFor(fx, k)
		}
		c.Advance(3 * time.Second)
		ingestOK(t, ch, fx.SegmentNames[0], fx.Segments[0])
		ingestOK(t, ch, fx.PlaylistName, pl(0))
		// Pause 0.5 s into segment 1 (encoder clock, 12:00:03.0), resume
		// at 12:00:04.4, 0.1 s before segment 2's keyframe.
		pauseAt := enc.Add(2500 * time.Millisecond)
		c.Advance(500 * time.Millisecond)
		if _, err := ch.Pause(PauseRequest{At: &pauseAt}); err != nil {
			t.Fatal(err)
		}
		c.Advance(900 * time.Millisecond)
		if _, err := ch.Resume(nil); err != nil {
			t.Fatal(err)
		}
		c.Advance(600 * time.Millisecond)
		ingestOK(t, ch, fx.SegmentNames[1], fx.Segments[1])
		ingestOK(t, ch, fx.PlaylistName, pl(1))
		c.Advance(2 * time.Second)
		ingestOK(t, ch, fx.SegmentNames[2], fx.Segments[2])
		ingestOK(t, ch, fx.PlaylistName, pl(2))
		r, _ := ch.Rendition("index")
		segs := r.Segments()
		var kinds []string
		live1 := 0.0
		for _, s := range segs {
			kinds = append(kinds, s.Kind)
			if s.Name == fx.SegmentNames[1] && s.Kind == "" {
				live1 = s.Duration
			}
		}
		o.Close()
		t.Logf("PDT %v, encoder clock trusted %v: parts %q, host video of segment 1 lasts %.3f s", tc.withPDT, tc.trust, kinds, live1)
		if withPDT {
			if math.Abs(live1-0.5) > 1.0/30+1e-9 {
				t.Errorf("with PDT: host video of segment 1 lasts %.3f s, want 0.5 s within one frame", live1)
			}
			if segs[len(segs)-1].Kind != "" || segs[len(segs)-1].Name != fx.SegmentNames[2] {
				t.Errorf("with PDT: segment 2 (keyframe after the resume) is %q, want host video", segs[len(segs)-1].Kind)
			}
		} else if live1 >= 0.5-1.0/30 || segs[len(segs)-1].Kind == "" {
			t.Errorf("without PDT: host video of segment 1 lasts %.3f s and segment 2 is %q: want the conservative mapping", live1, segs[len(segs)-1].Kind)
		}
	}
}
