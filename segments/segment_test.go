package segments

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/Eyevinn/mp4ff/mp4"

	"hlsorigin/fixtures"
)

const frame = 1.0/30 + 1e-6 // one video frame (+ float slack), the tolerance on durations

func TestParseSegmentFixtures(t *testing.T) {
	for _, f := range allFixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			var prev *Segment
			for i := range f.Segments {
				seg := mustParse(t, f, i)
				checkSegment(t, f, i, seg)
				if prev != nil {
					checkContinuous(t, prev, seg)
				}
				prev = seg
			}
		})
	}
}

func checkSegment(t *testing.T, f fixture, i int, seg *Segment) {
	t.Helper()
	name := f.SegmentNames[i]
	if math.Abs(seg.Duration-2) > frame || math.Abs(seg.Start-2*float64(i)) > frame {
		t.Errorf("%s: start %.4f duration %.4f, want %d and 2 (±1 frame)", name, seg.Start, seg.Duration, 2*i)
	}
	if !seg.Independent || seg.Size != len(f.Segments[i]) || len(seg.Tracks) != len(f.init.Tracks) {
		t.Errorf("%s: independent %v size %d tracks %d", name, seg.Independent, seg.Size, len(seg.Tracks))
	}
	for k, run := range seg.Tracks {
		if run.TrackID != f.init.Tracks[k].ID || run.Kind != f.init.Tracks[k].Kind || run.Bytes == 0 {
			t.Errorf("%s: run %d = %+v, want init track %d", name, k, run, f.init.Tracks[k].ID)
		}
		// GOP 60 at 30 fps: exactly one IDR, first, in each 2 s segment.
		if run.Kind == KindVideo && (run.Samples != 60 || run.SyncSamples != 1 || !run.FirstIsSync) {
			t.Errorf("%s: video run %+v, want 60 samples starting with the only sync sample", name, run)
		}
	}
}

// checkContinuous checks that every track of b starts where it ended in a.
func checkContinuous(t *testing.T, a, b *Segment) {
	t.Helper()
	for k := range a.Tracks {
		if want := a.Tracks[k].BaseDecodeTime + a.Tracks[k].Duration; b.Tracks[k].BaseDecodeTime != want {
			t.Errorf("track %d: tfdt %d, want %d", b.Tracks[k].TrackID, b.Tracks[k].BaseDecodeTime, want)
		}
	}
}

func TestParseSegmentSeveralFragments(t *testing.T) {
	f := loadFixture(t, "muxed", fixtures.Muxed())
	one, two := mustParse(t, f, 0), mustParse(t, f, 1)
	seg, err := ParseSegment(concat(f.Segments[0], f.Segments[1]), f.init)
	if err != nil {
		t.Fatal(err)
	}
	for k, run := range seg.Tracks {
		a, b := one.Tracks[k], two.Tracks[k]
		want := TrackRun{TrackID: a.TrackID, Kind: a.Kind, BaseDecodeTime: a.BaseDecodeTime,
			Duration: a.Duration + b.Duration, Samples: a.Samples + b.Samples,
			SyncSamples: a.SyncSamples + b.SyncSamples, FirstIsSync: a.FirstIsSync, Bytes: a.Bytes + b.Bytes}
		if run != want {
			t.Errorf("run %d = %+v, want %+v", k, run, want)
		}
	}
	if math.Abs(seg.Duration-4) > frame {
		t.Errorf("duration %.4f, want 4", seg.Duration)
	}
	_, err = ParseSegment(concat(f.Segments[0], f.Segments[2]), f.init)
	if !errors.Is(err, ErrMalformed) {
		t.Errorf("fragments with a tfdt gap: error %v, want ErrMalformed", err)
	}
}

// Fragments built by mp4ff from real samples: several truns per traf, one
// track without samples.
func TestParseSegmentBuilt(t *testing.T) {
	f := loadFixture(t, "bframes", fixtures.BFrames())
	samples := muxedSamples(t, f, 0, 10, 15)
	seg, err := ParseSegment(buildFragment(t, []uint32{1, 2}, samples, 3), f.init)
	if err != nil {
		t.Fatal(err)
	}
	v, a := seg.Tracks[0], seg.Tracks[1]
	if v.Samples != 10 || a.Samples != 15 || v.SyncSamples != 1 || v.Bytes != dataSize(samples[1]) {
		t.Errorf("multi-trun fragment: video %+v audio %+v", v, a)
	}
	_, err = ParseSegment(buildFragment(t, []uint32{1, 2}, map[uint32][]mp4.FullSample{1: samples[1]}, 0), f.init)
	if !errors.Is(err, ErrNoSamples) {
		t.Errorf("audio traf without samples: error %v, want ErrNoSamples", err)
	}
}

func dataSize(ss []mp4.FullSample) int {
	n := 0
	for _, s := range ss {
		n += len(s.Data)
	}
	return n
}

func TestParseSegmentErrors(t *testing.T) {
	muxed := loadFixture(t, "muxed", fixtures.Muxed())
	abr := fixtures.ABR()
	audio, video := loadFixture(t, "abr-audio", abr[0]), loadFixture(t, "abr-360p", abr[1])
	seg := muxed.Segments[0]
	cases := []struct {
		desc string
		b    []byte
		in   *Init
		want error
	}{
		{"abr audio segment, muxed init", audio.Segments[0], muxed.init, ErrTrackMismatch},
		{"muxed segment, abr video init", seg, video.init, ErrTrackMismatch},
		{"no init", seg, nil, ErrTrackMismatch},
		{"empty", nil, muxed.init, ErrMalformed},
		{"garbage", bytes.Repeat([]byte("garbage!"), 100), muxed.init, ErrMalformed},
		{"init as segment", muxed.Init, muxed.init, ErrMalformed},
		{"truncated by 1", seg[:len(seg)-1], muxed.init, ErrMalformed},
		{"truncated to half", seg[:len(seg)/2], muxed.init, ErrMalformed},
		{"truncated to 100", seg[:100], muxed.init, ErrMalformed},
		{"styp only", seg[:24], muxed.init, ErrMalformed},
		{"mdat shorter than samples", shrinkMdat(t, seg, 100), muxed.init, ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			if _, err := ParseSegment(c.b, c.in); !errors.Is(err, c.want) {
				t.Errorf("error %v, want %v", err, c.want)
			}
		})
	}
}

// shrinkMdat drops the last n bytes of the (last) mdat and fixes its size, so
// the boxes stay well formed but the last samples point past the mdat.
func shrinkMdat(t *testing.T, seg []byte, n int) []byte {
	t.Helper()
	top, err := walkBoxes(seg, 0, len(seg))
	if err != nil {
		t.Fatal(err)
	}
	mdat := top[len(top)-1]
	if mdat.typ != "mdat" || mdat.hdr != 8 || mdat.end != len(seg) {
		t.Fatalf("segment does not end with a small-header mdat: %+v", mdat)
	}
	out := bytes.Clone(seg[:len(seg)-n])
	binary.BigEndian.PutUint32(out[mdat.start:], uint32(mdat.end-mdat.start-n))
	return out
}

func TestParseSegmentPrft(t *testing.T) {
	f := loadFixture(t, "muxed", fixtures.Muxed())
	wall := time.Date(2026, 11, 25, 1, 2, 3, 500_000_000, time.UTC)
	b := withPrft(t, f.Segments[1], wall, 1, 30720)
	seg, err := ParseSegment(b, f.init)
	if err != nil {
		t.Fatal(err)
	}
	if seg.Prft == nil || seg.Prft.Sub(wall).Abs() > time.Microsecond || seg.PrftMedia != 2 {
		t.Errorf("Prft = %v at %.3f s, want %v at 2 s", seg.Prft, seg.PrftMedia, wall)
	}
	if plain := mustParse(t, f, 1); plain.Prft != nil {
		t.Errorf("segment without prft: Prft = %v", plain.Prft)
	}
}

// withPrft inserts a version 1 prft box before the first moof of seg.
func withPrft(t testing.TB, seg []byte, wall time.Time, trackID uint32, media uint64) []byte {
	t.Helper()
	ntp := mp4.NewNTP64(float64(wall.UnixNano()) / 1e9)
	var buf bytes.Buffer
	if err := mp4.CreatePrftBox(1, 0, trackID, ntp, media).Encode(&buf); err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(seg, []byte("moof")) - 4
	return concat(seg[:at], buf.Bytes(), seg[at:])
}

func TestProbe(t *testing.T) {
	f := loadFixture(t, "muxed", fixtures.Muxed())
	info, err := Probe(concat(f.Segments[1], f.Segments[2]))
	if err != nil {
		t.Fatal(err)
	}
	seg := mustParse(t, f, 1)
	if info.Fragments != 2 || len(info.TrackIDs) != 2 || info.TrackIDs[0] != 1 || info.TrackIDs[1] != 2 ||
		info.Size != len(f.Segments[1])+len(f.Segments[2]) {
		t.Errorf("Probe = %+v", info)
	}
	for _, run := range seg.Tracks {
		if info.BaseDecodeTimes[run.TrackID] != run.BaseDecodeTime {
			t.Errorf("track %d: probe tfdt %d, parse %d", run.TrackID, info.BaseDecodeTimes[run.TrackID], run.BaseDecodeTime)
		}
	}
	for _, bad := range [][]byte{nil, f.Init, f.Segments[0][:200]} {
		if _, err := Probe(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("Probe(%d bytes) error %v, want ErrMalformed", len(bad), err)
		}
	}
}
