package origin

import (
	"fmt"
	"math"
	"testing"
	"time"

	"hlsorigin/fixtures"
	"hlsorigin/segments"
)

// TestPauseEarlyInSegment pauses so that the cut lands 0-100 ms after the
// start of a muxed segment whose first audio frame starts 48 ms after its
// first video frame (fixtures.LateAudio): the cut then often falls before
// any audio of the segment. Every ingest is accepted, every stored part parses
// against its init, the audio stored equals the audio sent (no frame lost
// or repeated), and no host video frame at or after the cut is stored.
func TestPauseEarlyInSegment(t *testing.T) {
	m := fixtures.LateAudio()
	in, err := segments.ParseInit(m.Init)
	if err != nil {
		t.Fatal(err)
	}
	var audioIn uint64
	for _, seg := range m.Segments[:2] {
		s, _ := segments.ParseSegment(seg, in)
		audioIn += s.Tracks[1].Duration
	}
	for ms := 0; ms <= 100; ms += 5 {
		t.Run(fmt.Sprintf("%dms", ms), func(t *testing.T) {
			c := newClock()
			t0 := c.Now()
			o := openTest(t, t.TempDir(), c)
			defer o.Close()
			ch := newTestChannel(t, o, "e")
			startLive(t, ch, c, m)
			r, _ := ch.Rendition("index")
			// seg1 starts at media 2 s, at seg0's program date time + 2 s;
			// the cut is PauseMargin earlier than the mapped instant.
			at := r.Segments()[0].PDT.Add(2*time.Second + time.Duration(PauseMargin*float64(time.Second)) + time.Duration(ms)*time.Millisecond)
			c.Advance(at.Sub(c.Now()))
			if _, err := ch.Pause(PauseRequest{Audio: []string{"live", "mute"}[ms/5%2]}); err != nil {
				t.Fatal(err)
			}
			c.Advance(t0.Add(4 * time.Second).Sub(c.Now()))
			if err := ch.Ingest(m.SegmentNames[1], m.Segments[1]); err != nil {
				t.Fatalf("ingest refused for a pause %d ms into the segment: %v", ms, err)
			}
			ingestOK(t, ch, m.PlaylistName, playlistFor(m, 1))
			checkStoredParts(t, ch, audioIn, at.Add(-time.Duration(PauseMargin*float64(time.Second))))
		})
	}
}

// checkStoredParts parses every stored segment against its init, sums its
// audio, and checks that no live part holds a video frame starting at or
// after the wall-clock instant cut (mapped through the part's program date
// time: the origin may cut earlier, never later).
func checkStoredParts(t *testing.T, ch *Channel, audioIn uint64, cutAt time.Time) {
	t.Helper()
	r, err := ch.Rendition("index")
	if err != nil {
		t.Fatal(err)
	}
	var audioOut uint64
	slates := 0
	for _, si := range r.Segments() {
		data, _, err := r.Segment(si.Seq)
		if err != nil {
			t.Fatal(err)
		}
		in, err := r.InitOf(si.Seq)
		if err != nil {
			t.Fatal(err)
		}
		seg, err := segments.ParseSegment(data, in)
		if err != nil {
			t.Fatalf("stored segment %d (%s) does not parse: %v", si.Seq, si.Kind, err)
		}
		for _, tr := range seg.Tracks {
			if tr.Kind == segments.KindAudio {
				audioOut += tr.Duration
			}
		}
		if si.Kind == "slate" {
			slates++
			continue
		}
		// The last kept frame starts before the cut (fixture frames: 1/30 s).
		cut := si.Start + cutAt.Sub(si.PDT).Seconds()
		if end := si.Start + si.Duration; end-1.0/30 > cut-1e-6 && si.Start < cut {
			t.Errorf("live part %.4f..%.4f holds a frame starting at or after the cut at %.4f", si.Start, end, cut)
		}
	}
	if slates == 0 {
		t.Error("no slate part stored")
	}
	if audioOut != audioIn {
		t.Errorf("audio stored %d ticks, sent %d (%.1f ms apart)", audioOut, audioIn, math.Abs(float64(audioOut)-float64(audioIn))/48)
	}
}

// TestSilenceAnyRate: the silent AAC-LC frame is the same at 44.1 and
// 48 kHz (the rate lives in the init only), so a muted pause of a host at
// another rate gets it too instead of a refused segment.
func TestSilenceAnyRate(t *testing.T) {
	o := openTest(t, t.TempDir(), newClock())
	defer o.Close()
	for _, ch := range []int{1, 2} {
		a, errA := o.silence(44100, ch)
		b, errB := o.silence(48000, ch)
		c, errC := o.silence(32000, ch)
		if errA != nil || errB != nil || errC != nil || string(a) != string(b) || string(c) != string(b) || len(b) == 0 {
			t.Errorf("%d channels: % x (%v), % x (%v), % x (%v)", ch, a, errA, b, errB, c, errC)
		}
	}
	if _, err := o.silence(48000, 6); err == nil {
		t.Error("5.1 silence invented")
	}
}
