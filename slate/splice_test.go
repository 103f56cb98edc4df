package slate

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/Eyevinn/mp4ff/mp4"

	"hlsorigin/fixtures"
)

type hostFixture struct {
	init *mp4.InitSegment
	segs [][]byte
	name string
}

func loadHost(t testing.TB, r fixtures.Rendition, name string) hostFixture {
	t.Helper()
	f, err := mp4.DecodeFile(bytes.NewReader(r.Init))
	if err != nil {
		t.Fatal(err)
	}
	return hostFixture{init: f.Init, segs: r.Segments, name: name}
}

func loadSlate(t testing.TB, h int) *Slate {
	t.Helper()
	b, err := fixtures.Slate(h)
	if err != nil {
		t.Fatal(err)
	}
	sl, err := Load("default", b)
	if err != nil {
		t.Fatal(err)
	}
	return sl
}

// samplesOf decodes a part with an init: track id -> samples.
func samplesOf(t *testing.T, init *mp4.InitSegment, data []byte) map[uint32][]mp4.FullSample {
	t.Helper()
	f, err := mp4.DecodeFile(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode part: %v", err)
	}
	out := map[uint32][]mp4.FullSample{}
	for _, s := range f.Segments {
		for _, fr := range s.Fragments {
			for _, traf := range fr.Moof.Trafs {
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

func TestLoadAndNearest(t *testing.T) {
	var all []*Slate
	for _, h := range fixtures.SlateHeights() {
		sl := loadSlate(t, h)
		if sl.Height != h || !sl.Samples[0].IsSync() || sl.Samples[1].IsSync() || len(sl.Samples) != 300 {
			t.Errorf("%dp: %dx%d, %d samples", h, sl.Width, sl.Height, len(sl.Samples))
		}
		all = append(all, sl)
	}
	if n := Nearest(all, 640, 360); n.Height != 360 {
		t.Errorf("nearest 640x360: %d", n.Height)
	}
	if n := Nearest(all, 320, 180); n.Height != 144 {
		t.Errorf("nearest 320x180: %d", n.Height)
	}
	if _, err := Load("x", []byte("junk")); err == nil {
		t.Error("junk loaded as a slate")
	}
}

// TestSplicePrivacyAndAudio cuts the fixtures at many instants and checks
// that no removed host video sample survives in any byte of the output,
// that kept samples are intact, and that audio is complete and contiguous.
func TestSplicePrivacyAndAudio(t *testing.T) {
	sl := loadSlate(t, 360)
	for _, hf := range []hostFixture{loadHost(t, fixtures.Muxed(), "muxed"), loadHost(t, fixtures.BFrames(), "bframes")} {
		seg := hf.segs[1] // media time 2..4 s
		for _, cut := range []Cut{
			{PauseAt: 2.51, ResumeAt: math.Inf(1)},
			{PauseAt: 3.0, ResumeAt: math.Inf(1)},
			{PauseAt: math.Inf(-1), ResumeAt: math.Inf(1)},
			{PauseAt: math.Inf(-1), ResumeAt: 3.0}, // only sync sample is the first: slate to the end
			{PauseAt: 1.0, ResumeAt: 2.0},          // resume at the segment's own IDR: unchanged
			{PauseAt: 2.2, ResumeAt: 3.5, Mute: true, Silence: silence(t)},
		} {
			checkSplice(t, hf, seg, sl, cut)
		}
	}
}

func silence(t *testing.T) []byte {
	b, err := fixtures.Silence(48000, 2)
	if err != nil {
		t.Fatal(err)
	}
	fr, err := SilenceFrame(b)
	if err != nil {
		t.Fatal(err)
	}
	return fr
}

func checkSplice(t *testing.T, hf hostFixture, seg []byte, sl *Slate, cut Cut) {
	t.Helper()
	h, err := decodeHost(seg, hf.init)
	if err != nil {
		t.Fatal(err)
	}
	parts, err := Splice(seg, hf.init, sl, cut)
	if err != nil {
		t.Fatalf("%s %+v: %v", hf.name, cut, err)
	}
	var out []byte
	for _, p := range parts {
		out = append(out, p.Data...)
	}
	// Independent of the splicer's own cut points: a host frame presented
	// inside [PauseAt, ResumeAt) must not be anywhere in the output; a frame
	// preceded (decode order) only by frames presented before PauseAt must be.
	removed, prefix := 0, true
	for i, s := range h.video {
		pt := float64(s.PresentationTime()) / h.vts
		prefix = prefix && pt < cut.PauseAt
		if pt >= cut.PauseAt && pt < cut.ResumeAt {
			removed++
			if bytes.Contains(out, s.Data) {
				t.Errorf("%s %+v: host frame %d presented at %.3f (inside the pause) is in the output", hf.name, cut, i, pt)
			}
		}
		if prefix && !bytes.Contains(out, s.Data) {
			t.Errorf("%s %+v: frame %d before the pause is missing", hf.name, cut, i)
		}
	}
	if cut.PauseAt < h.videoTime(len(h.video)) && cut.ResumeAt > h.videoStart() && cut.PauseAt < cut.ResumeAt && removed == 0 && cut.ResumeAt > h.videoStart()+0.1 {
		t.Errorf("%s %+v: nothing removed", hf.name, cut)
	}
	checkAudioParts(t, hf, h, sl, parts, cut)
}

// checkAudioParts: every host audio frame once, in order, contiguous.
func checkAudioParts(t *testing.T, hf hostFixture, h *host, sl *Slate, parts []Part, cut Cut) {
	t.Helper()
	combined, err := CombinedInit(hf.init, h.videoID, sl, true)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := mp4.DecodeFile(bytes.NewReader(combined))
	if err != nil {
		t.Fatal(err)
	}
	var got []mp4.FullSample
	for _, p := range parts {
		init := hf.init
		if p.Kind == PartSlate {
			init = cf.Init
			vs := samplesOf(t, init, p.Data)[h.videoID]
			if !vs[0].IsSync() || math.Abs(float64(vs[0].DecodeTime)/float64(sl.Timescale)-p.Start) > 1e-4 {
				t.Errorf("%s: slate part starts %v at %d", hf.name, vs[0].IsSync(), vs[0].DecodeTime)
			}
			end := vs[len(vs)-1].DecodeTime + uint64(vs[len(vs)-1].Dur)
			if math.Abs(float64(end)/float64(sl.Timescale)-(p.Start+p.Duration)) > 1e-4 {
				t.Errorf("%s: slate video ends at %.4f, part ends at %.4f", hf.name, float64(end)/float64(sl.Timescale), p.Start+p.Duration)
			}
		}
		got = append(got, samplesOf(t, init, p.Data)[h.audioID]...)
	}
	if len(got) != len(h.audio) {
		t.Fatalf("%s %+v: %d audio frames out, %d in", hf.name, cut, len(got), len(h.audio))
	}
	for i := range got {
		if got[i].DecodeTime != h.audio[i].DecodeTime || got[i].Dur != h.audio[i].Dur {
			t.Errorf("%s: audio frame %d timing changed", hf.name, i)
		}
		silent := bytes.Equal(got[i].Data, cut.Silence)
		if !cut.Mute && !bytes.Equal(got[i].Data, h.audio[i].Data) {
			t.Errorf("%s: audio frame %d payload changed", hf.name, i)
		}
		if cut.Mute && inside(float64(h.audio[i].DecodeTime)/h.ats, parts) && !silent {
			t.Errorf("%s: mute: frame %d silent=%v", hf.name, i, silent)
		}
	}
}

// inside reports whether t falls in a slate part's audio span.
func inside(tm float64, parts []Part) bool {
	for i, p := range parts {
		end := math.Inf(1)
		if i+1 < len(parts) {
			end = parts[i+1].Start
		}
		if p.Kind == PartSlate && tm >= p.Start-1e-9 && tm < end-1e-9 {
			return true
		}
	}
	return false
}

// TestSplicedDecodes decodes a spliced segment under its combined init
// with ffmpeg: no decoder error, and the slate frame count.
func TestSplicedDecodes(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("ffmpeg missing")
		}
		t.Skip("ffmpeg missing")
	}
	hf := loadHost(t, fixtures.Muxed(), "muxed")
	sl := loadSlate(t, 360)
	parts, err := Splice(hf.segs[1], hf.init, sl, Cut{PauseAt: 2.5, ResumeAt: math.Inf(1)})
	if err != nil || len(parts) != 2 {
		t.Fatalf("%v %d", err, len(parts))
	}
	combined, err := CombinedInit(hf.init, 1, sl, true)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "slate.mp4")
	os.WriteFile(file, append(combined, parts[1].Data...), 0o644)
	out, err := exec.Command("ffmpeg", "-v", "error", "-i", file, "-map", "0:v", "-f", "framemd5", "-").CombinedOutput()
	if err != nil || bytes.Contains(out, []byte("rror")) {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	frames := bytes.Count(out, []byte("\n0,"))
	if frames != parts[1].VideoSamples {
		t.Errorf("decoded %d slate frames, part has %d", frames, parts[1].VideoSamples)
	}
}

// FuzzSplice: random cut points and corrupted segments never panic.
func FuzzSplice(f *testing.F) {
	m := fixtures.Muxed()
	f.Add(m.Segments[0], 0.5, 1.5)
	f.Add(m.Segments[1][:500], 2.5, 9.0)
	f.Add([]byte("junk"), -1.0, 1.0)
	hf := loadHost(f, m, "muxed")
	sl := loadSlate(f, 144)
	f.Fuzz(func(t *testing.T, seg []byte, p, r float64) {
		_, _ = Splice(seg, hf.init, sl, Cut{PauseAt: p, ResumeAt: r})
	})
}
