package segments

import (
	"bytes"
	"testing"

	"github.com/Eyevinn/mp4ff/mp4"

	"hlsorigin/fixtures"
)

// fixture is a rendition of the fixtures package with its parsed init.
type fixture struct {
	name string
	fixtures.Rendition
	init *Init
}

// loadFixture parses the init of r and fails the test if it does not parse.
func loadFixture(t testing.TB, name string, r fixtures.Rendition) fixture {
	t.Helper()
	in, err := ParseInit(r.Init)
	if err != nil {
		t.Fatalf("%s: ParseInit: %v", name, err)
	}
	return fixture{name: name, Rendition: r, init: in}
}

// allFixtures returns every rendition of the fixtures package, parsed.
func allFixtures(t testing.TB) []fixture {
	t.Helper()
	abr := fixtures.ABR()
	return []fixture{
		loadFixture(t, "muxed", fixtures.Muxed()),
		loadFixture(t, "bframes", fixtures.BFrames()),
		loadFixture(t, "abr-audio", abr[0]),
		loadFixture(t, "abr-360p", abr[1]),
		loadFixture(t, "abr-180p", abr[2]),
	}
}

// mustParse parses segment i of f and fails the test on error.
func mustParse(t testing.TB, f fixture, i int) *Segment {
	t.Helper()
	seg, err := ParseSegment(f.Segments[i], f.init)
	if err != nil {
		t.Fatalf("%s %s: ParseSegment: %v", f.name, f.SegmentNames[i], err)
	}
	return seg
}

// concat joins byte slices into a new slice.
func concat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// encodeInit re-encodes a (modified) parsed init.
func encodeInit(t testing.TB, in *Init) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := in.MP4.Encode(&buf); err != nil {
		t.Fatalf("encode init: %v", err)
	}
	return buf.Bytes()
}

// fullSamples decodes the samples of track id in segment b with mp4ff and the
// init's trex; sample data is copied.
func fullSamples(t testing.TB, b []byte, in *Init, id uint32) []mp4.FullSample {
	t.Helper()
	tr, ok := in.Track(id)
	if !ok {
		t.Fatalf("track %d not in init", id)
	}
	f, err := mp4.DecodeFile(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("mp4ff decode: %v", err)
	}
	var out []mp4.FullSample
	for _, seg := range f.Segments {
		for _, frag := range seg.Fragments {
			ss, err := frag.GetFullSamples(tr.trex)
			if err != nil {
				t.Fatalf("GetFullSamples: %v", err)
			}
			for _, s := range ss {
				s.Data = bytes.Clone(s.Data)
				out = append(out, s)
			}
		}
	}
	return out
}

// buildFragment encodes one moof+mdat with mp4ff holding samples[id] for each
// id in ids. With chunk > 0 tracks alternate every chunk samples, so every
// traf gets several truns; with chunk 0 each traf has one trun.
func buildFragment(t testing.TB, ids []uint32, samples map[uint32][]mp4.FullSample, chunk int) []byte {
	t.Helper()
	frag, err := mp4.CreateMultiTrackFragment(1, ids)
	if err != nil {
		t.Fatal(err)
	}
	next := map[uint32]int{}
	for more := true; more; {
		more = false
		for _, id := range ids {
			n := len(samples[id]) - next[id]
			if chunk > 0 {
				n = min(n, chunk)
			}
			for _, s := range samples[id][next[id] : next[id]+n] {
				if err := frag.AddFullSampleToTrack(s, id); err != nil {
					t.Fatal(err)
				}
			}
			next[id] += n
			more = more || next[id] < len(samples[id])
		}
	}
	var buf bytes.Buffer
	if err := frag.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// muxedSamples returns the first nv video and na audio samples of segment i
// of the muxed fixture, keyed by track ID.
func muxedSamples(t testing.TB, f fixture, i, nv, na int) map[uint32][]mp4.FullSample {
	t.Helper()
	return map[uint32][]mp4.FullSample{
		1: fullSamples(t, f.Segments[i], f.init, 1)[:nv],
		2: fullSamples(t, f.Segments[i], f.init, 2)[:na],
	}
}
