package segments

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/Eyevinn/mp4ff/mp4"

	"hlsorigin/fixtures"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the committed seeds in testdata/fuzz")

// Seeds added in code (f.Add) for every target, all from fixtures/:
//   - every init segment, whole and cut to 100 bytes;
//   - segment 0 of the audio rendition whole (16 KB), of muxed cut at half
//     and at 300 bytes (moof truncated);
//   - the committed corpus below.
//
// Committed seeds (testdata/fuzz/<Target>/<name>, written by
// `go test ./segments -run TestWriteFuzzCorpus -update-corpus`):
//   - tiny-muxed: mp4ff-built moof+mdat, 3 video + 4 audio samples of
//     bframes seg0 (durations, flags, composition offsets) with payloads cut to 8 bytes;
//   - tiny-multitrun: the same samples interleaved every 2 samples (several truns per traf);
//   - tiny-two-fragments: tiny-muxed followed by the next 3+4 samples as a second moof+mdat;
//   - tiny-prft: tiny-muxed behind a version 1 prft box;
//   - init-audio, init-180p: the ABR audio and 320x180 init segments (FuzzParseInit).
//
// Regression seeds found by FuzzParseSegment (ParseSegment accepted, Retime failed):
//   - regress-moof-child-desync: an oversized mfhd; mp4ff read the following
//     boxes from inside it, Retime's box walk did not;
//   - regress-tfhd-oversized: a 55-byte tfhd; mp4ff found a tfdt inside its
//     payload, so ParseSegment and Retime saw different tfdt boxes.
//     Both are now ErrMalformed (checkLayout).
func seedCorpus(t testing.TB) map[string]map[string][]byte {
	t.Helper()
	f := loadFixture(t, "bframes", fixtures.BFrames())
	first, next := tinySamples(t, f, 0, 0), tinySamples(t, f, 3, 4)
	tiny := buildFragment(t, []uint32{1, 2}, first, 0)
	segs := map[string][]byte{
		"tiny-muxed":         tiny,
		"tiny-multitrun":     buildFragment(t, []uint32{1, 2}, first, 2),
		"tiny-two-fragments": concat(tiny, buildFragment(t, []uint32{1, 2}, next, 0)),
		"tiny-prft":          withPrft(t, tiny, time.Unix(1_800_000_000, 0), 1, 0),
	}
	abr := fixtures.ABR()
	return map[string]map[string][]byte{
		"FuzzParseSegment": segs,
		"FuzzProbe":        segs,
		"FuzzParseInit":    {"init-audio": abr[0].Init, "init-180p": abr[2].Init},
	}
}

// tinySamples returns 3 video and 4 audio samples of bframes seg0 starting
// at samples fromV and fromA, with payloads cut to 8 bytes.
func tinySamples(t testing.TB, f fixture, fromV, fromA int) map[uint32][]mp4.FullSample {
	t.Helper()
	out := muxedSamples(t, f, 0, fromV+3, fromA+4)
	from := map[uint32]int{1: fromV, 2: fromA}
	for id, ss := range out {
		ss = ss[from[id]:]
		for i := range ss {
			ss[i].Data = ss[i].Data[:8]
			ss[i].Size = 8
		}
		out[id] = ss
	}
	return out
}

func TestWriteFuzzCorpus(t *testing.T) {
	if !*updateCorpus {
		t.Skip("run with -update-corpus to rewrite testdata/fuzz")
	}
	for target, seeds := range seedCorpus(t) {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range seeds {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// addSeeds adds the in-code seeds (see seedCorpus) to f.
func addSeeds(f *testing.F, target string) {
	for _, r := range append(fixtures.ABR(), fixtures.Muxed(), fixtures.BFrames()) {
		f.Add(r.Init)
		f.Add(r.Init[:100])
	}
	f.Add(fixtures.ABR()[0].Segments[0])
	seg := fixtures.Muxed().Segments[0]
	f.Add(seg[:len(seg)/2])
	f.Add(seg[:300])
	for _, b := range seedCorpus(f)[target] {
		f.Add(b)
	}
}

// checkSentinel fails unless err wraps one of the package's sentinels.
func checkSentinel(t *testing.T, err error) {
	t.Helper()
	for _, s := range []error{ErrMalformed, ErrNoSamples, ErrTrackMismatch, ErrUnsupported, ErrRange} {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error without sentinel: %v", err)
}

func FuzzParseSegment(f *testing.F) {
	addSeeds(f, "FuzzParseSegment")
	inits := []*Init{loadFixture(f, "bframes", fixtures.BFrames()).init, loadFixture(f, "audio", fixtures.ABR()[0]).init}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, in := range inits {
			seg, err := ParseSegment(b, in)
			if err != nil {
				checkSentinel(t, err)
				continue
			}
			checkFuzzedSegment(t, b, in, seg)
		}
	})
}

// checkFuzzedSegment checks the guarantees of an accepted segment and that
// Retime accepts it too.
func checkFuzzedSegment(t *testing.T, b []byte, in *Init, seg *Segment) {
	t.Helper()
	if len(seg.Tracks) != len(in.Tracks) || seg.Size != len(b) || seg.Duration <= 0 {
		t.Fatalf("accepted segment %+v for %d init tracks", seg, len(in.Tracks))
	}
	for _, run := range seg.Tracks {
		if run.Samples == 0 || run.Duration == 0 || run.SyncSamples > run.Samples {
			t.Fatalf("accepted run %+v", run)
		}
	}
	offset := map[uint32]int64{}
	for _, tr := range in.Tracks {
		offset[tr.ID] = 1
	}
	if _, err := Retime(b, in, offset); err != nil && !errors.Is(err, ErrRange) {
		t.Fatalf("Retime of a valid segment: %v", err)
	}
}

func FuzzParseInit(f *testing.F) {
	addSeeds(f, "FuzzParseInit")
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := ParseInit(b)
		if err != nil {
			checkSentinel(t, err)
			return
		}
		if len(in.Tracks) == 0 || len(in.Tracks) > 2 {
			t.Fatalf("accepted init with %d tracks", len(in.Tracks))
		}
		for _, tr := range in.Tracks {
			if tr.Timescale == 0 || (tr.Kind != KindVideo && tr.Kind != KindAudio) || tr.Codec == "" {
				t.Fatalf("accepted track %+v", tr)
			}
		}
		if _, err := ParseInit(in.Raw); err != nil {
			t.Fatalf("Raw of an accepted init does not parse: %v", err)
		}
	})
}

func FuzzProbe(f *testing.F) {
	addSeeds(f, "FuzzProbe")
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := Probe(b)
		if err != nil {
			checkSentinel(t, err)
			return
		}
		if info.Fragments == 0 || len(info.TrackIDs) == 0 || len(info.TrackIDs) != len(info.BaseDecodeTimes) || info.Size != len(b) {
			t.Fatalf("accepted probe %+v", info)
		}
	})
}

// The committed segment seeds must be valid, or fuzzing starts from error paths only.
func TestFuzzSeedsParse(t *testing.T) {
	in := loadFixture(t, "bframes", fixtures.BFrames()).init
	for name, b := range seedCorpus(t)["FuzzParseSegment"] {
		if _, err := ParseSegment(b, in); err != nil {
			t.Errorf("seed %s: %v", name, err)
		}
	}
}
