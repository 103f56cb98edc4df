package slate

import (
	"bytes"
	"fmt"
	"math"
	"testing"

	"github.com/Eyevinn/mp4ff/mp4"

	"hlsorigin/fixtures"
	"hlsorigin/segments"
)

// cutFixture is one fixture rendition with video, parsed both ways.
type cutFixture struct {
	hostFixture
	parsed   *segments.Init
	combined *segments.Init
}

func cutFixtures(t *testing.T, sl *Slate) []cutFixture {
	t.Helper()
	abr := fixtures.ABR()
	var out []cutFixture
	for _, c := range []struct {
		r    fixtures.Rendition
		name string
	}{{fixtures.Muxed(), "muxed"}, {fixtures.LateAudio(), "late-audio"}, {fixtures.BFrames(), "bframes"},
		{abr[1], "abr-360p"}, {abr[2], "abr-180p"}} {
		hf := loadHost(t, c.r, c.name)
		p, err := segments.ParseInit(c.r.Init)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := p.Video()
		_, hasAudio := p.Audio()
		cb, err := CombinedInit(hf.init, v.ID, sl, hasAudio)
		if err != nil {
			t.Fatal(err)
		}
		ci, err := segments.ParseInit(cb)
		if err != nil {
			t.Fatalf("%s: combined init does not parse: %v", c.name, err)
		}
		out = append(out, cutFixture{hostFixture: hf, parsed: p, combined: ci})
	}
	return out
}

// cutInstants are pause instants around every video sample of h: on its
// presentation time and half a frame after it (one tick before it too
// near the segment's ends); and around the audio frame starts near the
// segment's ends (its first ones often start after its first video frame),
// one in eight elsewhere.
func cutInstants(h *host) []float64 {
	var out []float64
	nv, na := len(h.video), len(h.audio)
	for i, s := range h.video {
		pt := float64(s.PresentationTime()) / h.vts
		out = append(out, pt, pt+float64(s.Dur)/h.vts/2)
		if i < 4 || i >= nv-4 {
			out = append(out, pt-1/h.vts)
		}
	}
	for i, s := range h.audio {
		if i < 4 || i >= na-4 || i%8 == 0 {
			out = append(out, float64(s.DecodeTime)/h.ats, float64(s.DecodeTime)/h.ats+1e-4)
		}
	}
	return out
}

// TestSpliceEveryOffset cuts every segment of every fixture (muxed, muxed
// with audio starting after the second video frame, B-frames, both ABR
// video renditions) at every sample offset, muted and
// live, and checks each output: every part parses against the init it is
// listed with (live parts: the host init; slate parts: the combined init),
// writes tfdt version 1, no host video sample presented at or after the
// cut is in it, the host samples before it all are, and audio comes out
// complete: the same frames with the same timing, total duration equal to
// the input, no gap, no duplicate (muted frames overlapping the pause
// silent, earlier ones intact).
func TestSpliceEveryOffset(t *testing.T) {
	sl := loadSlate(t, 360)
	sil := silence(t)
	runs := 0
	for _, cf := range cutFixtures(t, sl) {
		for si, seg := range cf.segs {
			h, err := decodeHost(seg, cf.init)
			if err != nil {
				t.Fatal(err)
			}
			for j, at := range cutInstants(h) {
				// Muted: every other instant (each sample and audio frame start is still covered).
				for _, mute := range []bool{false, true}[:1+j%2] {
					cut := Cut{PauseAt: at, ResumeAt: math.Inf(1), Mute: mute, Silence: sil}
					name := fmt.Sprintf("%s seg%d pause %.4f mute %v", cf.name, si, at, mute)
					checkEveryOffset(t, name, cf, h, seg, sl, cut)
					runs++
				}
			}
			// Paused before the segment, resuming inside it (the fixtures
			// hold one sync sample, the first: slate to the end).
			checkEveryOffset(t, cf.name+" resume", cf, h, seg, sl, Cut{PauseAt: math.Inf(-1), ResumeAt: h.videoStart() + 0.5})
		}
	}
	t.Logf("%d cuts checked", runs)
}

func checkEveryOffset(t *testing.T, name string, cf cutFixture, h *host, seg []byte, sl *Slate, cut Cut) {
	t.Helper()
	parts, err := Splice(seg, cf.init, sl, cut)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var video, audio []mp4.FullSample
	var slateStart = math.Inf(1)
	for i, p := range parts {
		in := cf.parsed
		if p.Kind == PartSlate {
			in, slateStart = cf.combined, math.Min(slateStart, p.Start)
		}
		if _, err := segments.ParseSegment(p.Data, in); err != nil {
			t.Fatalf("%s: part %d (%s) does not parse against its init: %v", name, i, p.Kind, err)
		}
		ss := samplesV1(t, name, in.MP4, p.Data)
		if p.Kind == PartLive {
			video = append(video, ss[h.videoID]...)
		}
		audio = append(audio, ss[h.audioID]...)
	}
	checkKeptVideo(t, name, h, video, cut)
	if len(parts) > 1 || parts[0].Kind == PartSlate {
		checkRemovedBytes(t, name, h, parts, cut)
	}
	checkAudioComplete(t, name, h, audio, cut, slateStart)
}

// checkKeptVideo: live parts hold exactly the host samples (decode order)
// that precede the first one presented at or after the pause, plus any
// after the resuming sync sample.
func checkKeptVideo(t *testing.T, name string, h *host, got []mp4.FullSample, cut Cut) {
	t.Helper()
	var want []mp4.FullSample
	prefix := true
	for _, s := range h.video {
		pt := float64(s.PresentationTime()) / h.vts
		prefix = prefix && pt < cut.PauseAt
		if prefix {
			want = append(want, s)
		}
	}
	if !math.IsInf(cut.ResumeAt, 1) {
		return // resumed tails are checked by TestSplicePrivacyAndAudio
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d host video samples kept, want %d", name, len(got), len(want))
	}
	for i := range got {
		if got[i].DecodeTime != want[i].DecodeTime || !bytes.HasSuffix(got[i].Data, want[i].Data) {
			t.Fatalf("%s: kept video sample %d differs", name, i)
		}
	}
}

// checkRemovedBytes: no removed host frame's payload is anywhere in the
// output (the first removed ones, and one in eight after them: the
// structure is checked frame by frame by checkKeptVideo).
func checkRemovedBytes(t *testing.T, name string, h *host, parts []Part, cut Cut) {
	t.Helper()
	var out []byte
	for _, p := range parts {
		out = append(out, p.Data...)
	}
	removed := 0
	for i, s := range h.video {
		pt := float64(s.PresentationTime()) / h.vts
		if pt < cut.PauseAt || pt >= cut.ResumeAt || len(s.Data) <= 32 {
			continue
		}
		if removed++; removed > 4 && i%8 != 0 {
			continue
		}
		if bytes.Contains(out, s.Data) {
			t.Fatalf("%s: host frame %d presented at %.4f (at or after the cut) is in the output", name, i, pt)
		}
	}
}

// checkAudioComplete: the same frames, same timing, contiguous; muted
// frames overlapping the pause silent and earlier ones intact.
func checkAudioComplete(t *testing.T, name string, h *host, got []mp4.FullSample, cut Cut, slateStart float64) {
	t.Helper()
	if len(got) != len(h.audio) {
		t.Fatalf("%s: %d audio frames out, %d in", name, len(got), len(h.audio))
	}
	var durIn, durOut uint64
	for i := range got {
		in := h.audio[i]
		durIn, durOut = durIn+uint64(in.Dur), durOut+uint64(got[i].Dur)
		if got[i].DecodeTime != in.DecodeTime || got[i].Dur != in.Dur {
			t.Fatalf("%s: audio frame %d moved: %d+%d, was %d+%d", name, i, got[i].DecodeTime, got[i].Dur, in.DecodeTime, in.Dur)
		}
		if i > 0 && got[i].DecodeTime != got[i-1].DecodeTime+uint64(got[i-1].Dur) {
			t.Fatalf("%s: audio gap or overlap before frame %d", name, i)
		}
		end := float64(in.DecodeTime+uint64(in.Dur)) / h.ats
		same := bytes.Equal(got[i].Data, in.Data)
		switch {
		case !cut.Mute && !same:
			t.Fatalf("%s: audio frame %d payload changed", name, i)
		case cut.Mute && end > cut.PauseAt && !bytes.Equal(got[i].Data, cut.Silence):
			t.Fatalf("%s: muted: frame %d ending at %.4f after the pause is not silent", name, i, end)
		case cut.Mute && end <= math.Min(cut.PauseAt, slateStart) && !same:
			t.Fatalf("%s: muted: frame %d before the pause changed", name, i)
		}
	}
	if durIn != durOut {
		t.Fatalf("%s: audio lasts %d out, %d in", name, durOut, durIn)
	}
}

// samplesV1 decodes a part (track id -> samples) and checks that every
// traf writes tfdt version 1.
func samplesV1(t *testing.T, name string, init *mp4.InitSegment, data []byte) map[uint32][]mp4.FullSample {
	t.Helper()
	f, err := mp4.DecodeFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	out := map[uint32][]mp4.FullSample{}
	for _, s := range f.Segments {
		for _, fr := range s.Fragments {
			for _, traf := range fr.Moof.Trafs {
				if traf.Tfdt.Version != 1 {
					t.Fatalf("%s: track %d tfdt version %d, want 1 (as the encoder writes)", name, traf.Tfhd.TrackID, traf.Tfdt.Version)
				}
				ss, err := fr.GetFullSamples(trexFor(init, traf.Tfhd.TrackID))
				if err != nil {
					t.Fatal(err)
				}
				out[traf.Tfhd.TrackID] = append(out[traf.Tfhd.TrackID], ss...)
			}
		}
	}
	return out
}
