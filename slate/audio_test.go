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

// TestSpliceAudioEveryOffset splits every segment of the demuxed audio
// rendition at every frame boundary (and between boundaries), as pause,
// resume or both, muted and live: every part parses against the audio
// init, writes tfdt version 1 and holds at least one frame; the frames out
// are the frames in, same timing, contiguous; muted, frames overlapping the
// pause are silence and the others intact; the paused part covers the
// instants asked, by less than one frame more.
func TestSpliceAudioEveryOffset(t *testing.T) {
	r := fixtures.ABR()[0]
	in, err := segments.ParseInit(r.Init)
	if err != nil {
		t.Fatal(err)
	}
	sil := silence(t)
	runs := 0
	for si, seg := range r.Segments {
		h, err := decodeAudio(seg, in.MP4)
		if err != nil {
			t.Fatal(err)
		}
		half := float64(h.audio[0].Dur) / h.ats / 2
		for i := 0; i <= len(h.audio); i += 3 {
			at := h.audioTime(i) + 0.4*half
			for _, cut := range []Cut{
				{PauseAt: at, ResumeAt: math.Inf(1)},
				{PauseAt: math.Inf(-1), ResumeAt: at, Mute: true, Silence: sil},
				{PauseAt: at, ResumeAt: at + 0.5, Mute: true, Silence: sil},
			} {
				name := fmt.Sprintf("seg%d %+v", si, Cut{PauseAt: cut.PauseAt, ResumeAt: cut.ResumeAt, Mute: cut.Mute})
				checkAudioSplit(t, name, in, h, seg, cut, half)
				runs++
			}
		}
	}
	t.Logf("%d audio splits checked", runs)
}

func checkAudioSplit(t *testing.T, name string, in *segments.Init, h *host, seg []byte, cut Cut, half float64) {
	t.Helper()
	parts, err := SpliceAudio(seg, in.MP4, cut)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var got []mp4.FullSample
	for i, p := range parts {
		if _, err := segments.ParseSegment(p.Data, in); err != nil {
			t.Fatalf("%s: part %d does not parse: %v", name, i, err)
		}
		ss := samplesV1(t, name, in.MP4, p.Data)[h.audioID]
		if len(ss) == 0 {
			t.Fatalf("%s: part %d is empty", name, i)
		}
		if p.Kind == PartSlate {
			// It covers [PauseAt, ResumeAt), by less than a frame more.
			if !math.IsInf(cut.PauseAt, -1) && (p.Start > cut.PauseAt+1e-9 || p.Start < cut.PauseAt-2*half) && p.Start > h.audioTime(0) {
				t.Errorf("%s: paused part starts at %.4f", name, p.Start)
			}
			if end := p.Start + p.Duration; !math.IsInf(cut.ResumeAt, 1) && (end < cut.ResumeAt-1e-9 || end > cut.ResumeAt+2*half) && end < h.audioTime(len(h.audio)) {
				t.Errorf("%s: paused part ends at %.4f", name, end)
			}
		}
		got = append(got, ss...)
	}
	if len(got) != len(h.audio) {
		t.Fatalf("%s: %d frames out, %d in", name, len(got), len(h.audio))
	}
	for i, s := range got {
		a := h.audio[i]
		if s.DecodeTime != a.DecodeTime || s.Dur != a.Dur {
			t.Fatalf("%s: frame %d moved", name, i)
		}
		start, end := float64(a.DecodeTime)/h.ats, float64(a.DecodeTime+uint64(a.Dur))/h.ats
		inPause := end > cut.PauseAt && start < cut.ResumeAt
		switch {
		case cut.Mute && inPause && !bytes.Equal(s.Data, cut.Silence):
			t.Fatalf("%s: frame %d inside the pause not silent", name, i)
		case (!cut.Mute || !inPause) && !bytes.Equal(s.Data, a.Data):
			t.Fatalf("%s: frame %d changed", name, i)
		}
	}
}
