package segments

import (
	"bytes"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/Eyevinn/mp4ff/mp4"

	"hlsorigin/fixtures"
)

func TestRetimeRoundTrip(t *testing.T) {
	muxed := loadFixture(t, "muxed", fixtures.Muxed())
	bfr := loadFixture(t, "bframes", fixtures.BFrames())
	wall := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		desc   string
		f      fixture
		b      []byte
		offset map[uint32]int64
	}{
		{"muxed +1h", muxed, muxed.Segments[1], map[uint32]int64{1: 3600 * 15360, 2: 3600 * 48000}},
		{"muxed -2s video only", muxed, muxed.Segments[2], map[uint32]int64{1: -2 * 15360}},
		{"past 32 bits", muxed, muxed.Segments[0], map[uint32]int64{1: 1 << 40, 2: 1 << 41}},
		{"two fragments", muxed, concat(muxed.Segments[1], muxed.Segments[2]), map[uint32]int64{1: 7, 2: 11}},
		{"with prft", muxed, withPrft(t, muxed.Segments[1], wall, 1, 30720), map[uint32]int64{1: 15360, 2: 48000}},
		{"bframes", bfr, bfr.Segments[1], map[uint32]int64{1: 123456, 2: 654321}},
		{"multi-trun mp4ff v0 tfdt", bfr, buildFragment(t, []uint32{1, 2}, muxedSamples(t, bfr, 1, 12, 20), 4),
			map[uint32]int64{1: 1000, 2: -2000}},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			checkRetime(t, c.f.init, c.b, c.offset)
		})
	}
}

// checkRetime shifts b by offset and back, and compares both with b.
func checkRetime(t *testing.T, in *Init, b []byte, offset map[uint32]int64) {
	t.Helper()
	orig := snapshot(t, b, in)
	out, err := Retime(b, in, offset)
	if err != nil {
		t.Fatal(err)
	}
	got := snapshot(t, out, in)
	for k, run := range orig.seg.Tracks {
		run.BaseDecodeTime = uint64(int64(run.BaseDecodeTime) + offset[run.TrackID])
		if got.seg.Tracks[k] != run || got.probe.BaseDecodeTimes[run.TrackID] != run.BaseDecodeTime {
			t.Errorf("track %d = %+v (probe tfdt %d), want %+v", run.TrackID, got.seg.Tracks[k],
				got.probe.BaseDecodeTimes[run.TrackID], run)
		}
	}
	if got.seg.Size != len(b) || got.seg.Duration != orig.seg.Duration || !samePrft(got.seg, orig.seg, in, offset) {
		t.Errorf("retimed segment %+v, original %+v", got.seg, orig.seg)
	}
	checkSidx(t, b, out, offset)
	back, err := Retime(out, in, negate(offset))
	if err != nil || !bytes.Equal(back, b) {
		t.Errorf("shifting back does not restore the input bytes (err %v)", err)
	}
}

type parsed struct {
	seg   *Segment
	probe *ProbeInfo
}

func snapshot(t *testing.T, b []byte, in *Init) parsed {
	t.Helper()
	seg, err := ParseSegment(b, in)
	if err != nil {
		t.Fatal(err)
	}
	probe, err := Probe(b)
	if err != nil {
		t.Fatal(err)
	}
	return parsed{seg, probe}
}

// samePrft: the wall clock is unchanged and the media time moved with its track.
func samePrft(got, orig *Segment, in *Init, offset map[uint32]int64) bool {
	if orig.Prft == nil {
		return got.Prft == nil
	}
	tr, _ := in.Video()
	want := orig.PrftMedia + float64(offset[tr.ID])/float64(tr.Timescale)
	return got.Prft != nil && got.Prft.Equal(*orig.Prft) && math.Abs(got.PrftMedia-want) < 1e-9
}

func negate(m map[uint32]int64) map[uint32]int64 {
	out := map[uint32]int64{}
	for k, v := range m {
		out[k] = -v
	}
	return out
}

func TestRetimeErrors(t *testing.T) {
	muxed := loadFixture(t, "muxed", fixtures.Muxed())
	bfr := loadFixture(t, "bframes", fixtures.BFrames())
	v0 := buildFragment(t, []uint32{1, 2}, muxedSamples(t, bfr, 0, 5, 5), 0) // tfdt version 0
	cases := []struct {
		desc   string
		b      []byte
		in     *Init
		offset map[uint32]int64
		want   error
	}{
		{"negative tfdt", muxed.Segments[1], muxed.init, map[uint32]int64{1: -30721}, ErrRange},
		{"min int64", muxed.Segments[1], muxed.init, map[uint32]int64{2: math.MinInt64}, ErrRange},
		{"max int64", muxed.Segments[1], muxed.init, map[uint32]int64{2: math.MaxInt64}, ErrRange},
		{"v0 tfdt past 32 bits", v0, bfr.init, map[uint32]int64{1: 1 << 32}, ErrRange},
		{"unknown track", muxed.Segments[1], muxed.init, map[uint32]int64{3: 1}, ErrTrackMismatch},
		{"truncated", muxed.Segments[1][:500], muxed.init, map[uint32]int64{1: 1}, ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			out, err := Retime(c.b, c.in, c.offset)
			if !errors.Is(err, c.want) || out != nil {
				t.Errorf("Retime = %d bytes, %v; want %v", len(out), err, c.want)
			}
		})
	}
}

// checkSidx checks that the earliest presentation time of every sidx moved
// with its reference track.
func checkSidx(t *testing.T, orig, out []byte, offset map[uint32]int64) {
	t.Helper()
	a, b := sidxBoxes(t, orig), sidxBoxes(t, out)
	for i := range a {
		want := uint64(int64(a[i].EarliestPresentationTime) + offset[a[i].ReferenceID])
		if b[i].EarliestPresentationTime != want {
			t.Errorf("sidx %d (track %d): ept %d, want %d", i, a[i].ReferenceID, b[i].EarliestPresentationTime, want)
		}
	}
}

func sidxBoxes(t *testing.T, seg []byte) []*mp4.SidxBox {
	t.Helper()
	top, err := walkBoxes(seg, 0, len(seg))
	if err != nil {
		t.Fatal(err)
	}
	var out []*mp4.SidxBox
	for _, x := range top {
		if x.typ == "sidx" {
			decoded, err := decodeBox(seg, x)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, decoded.(*mp4.SidxBox))
		}
	}
	return out
}
