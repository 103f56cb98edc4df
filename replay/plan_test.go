package replay

import (
	"math"
	"testing"
	"time"

	"hlsorigin/segments"
	"hlsorigin/timeline"
)

// audioArchive is n demuxed AAC segments at 48 kHz of 93 or 94 frames
// (as encoders cut 2 s of 1024-sample frames), track 1, init version 1.
func audioArchive(n int) []timeline.SegmentInfo {
	var out []timeline.SegmentInfo
	var at uint64
	for i := 0; i < n; i++ {
		frames := uint64(94)
		if i%4 == 3 {
			frames = 93
		}
		d := frames * 1024
		out = append(out, timeline.SegmentInfo{Seq: uint64(i), InitVer: 1, Start: float64(at) / 48000, Duration: float64(d) / 48000,
			PDT: t0.Add(time.Duration(float64(at) / 48000 * float64(time.Second))), Starts: map[uint32]uint64{1: at}, Ends: map[uint32]uint64{1: at + d}})
		at += d
	}
	return out
}

func aacTracks(uint32) []segments.Track {
	return []segments.Track{{ID: 1, Kind: segments.KindAudio, Timescale: 48000, Codec: "mp4a.40.2", SampleRate: 48000, Channels: 2}}
}

// TestPlanAudioNoSlivers: the video's slate spans are cut from demuxed
// audio on its frame grid; no piece is shorter than MinPiece when it has a
// neighbour to merge with, none is empty, the re-stamped timeline has no
// gap and no overlap, and audio never drifts from the video by more than
// half a frame (the spans fall 16 ms after and 5 ms before a segment
// boundary: the slivers players failed on).
func TestPlanAudioNoSlivers(t *testing.T) {
	segs := audioArchive(40)
	b := func(i int) float64 { return segs[i].Start }
	spans := []Span{{b(5) + 0.016, b(13) - 0.005}, {b(20) + 0.9, b(28) + 0.016}, {b(33) + 1.99, b(35) + 0.3}}
	pieces := Plan(segs, 2, Options{Tracks: aacTracks}, spans...)
	var next uint64
	frame := 1024.0 / 48000
	for i, p := range pieces {
		if p.Duration < MinPiece {
			t.Errorf("piece %d (seq %d) lasts %.3f s", i, p.Seq, p.Duration)
		}
		if int(math.Round(p.Duration)) > 2 {
			t.Errorf("piece %d lasts %.3f s, over the target", i, p.Duration)
		}
		if p.Disc {
			t.Errorf("piece %d: discontinuity at a junction", i)
		}
		out := uint64(int64(p.from) + p.Shift[1])
		if i > 0 && out != next {
			t.Fatalf("piece %d starts at %d, the previous ended at %d", i, out, next)
		}
		next = out + p.to - p.from
	}
	// Drift: after each junction the audio's shift matches the video's removed time.
	for _, p := range pieces {
		removed := 0.0
		for _, sp := range spans {
			if sp.From < float64(p.from)/48000 {
				removed += sp.To - sp.From
			}
		}
		if d := -float64(p.Shift[1])/48000 - removed; math.Abs(d) > frame/2+1e-9 {
			t.Errorf("piece at %.3f s: audio shifted by %.4f s, video by %.4f s", float64(p.from)/48000, -float64(p.Shift[1])/48000, removed)
		}
	}
	if len(pieces) < 20 {
		t.Errorf("%d pieces", len(pieces))
	}
}

// TestPlanVideoMergesSliver: a 0.2 s live part before a pause is merged
// into the segment before it; timestamps run on across the junction.
func TestPlanVideoMergesSliver(t *testing.T) {
	seg := func(seq uint64, start, dur float64, kind string, ver uint32) timeline.SegmentInfo {
		s, e := uint64(start*15360), uint64((start+dur)*15360)
		return timeline.SegmentInfo{Seq: seq, InitVer: ver, Start: start, Duration: dur, Kind: kind, PDT: t0.Add(time.Duration(start * float64(time.Second))),
			Starts: map[uint32]uint64{1: s}, Ends: map[uint32]uint64{1: e}}
	}
	segs := []timeline.SegmentInfo{seg(0, 0, 2, "", 1), seg(1, 2, 0.2, "", 1), seg(2, 2.2, 1.8, "slate", 2), seg(3, 4, 2, "slate", 2), seg(4, 6, 2, "", 1), seg(5, 8, 2, "", 1)}
	segs[4].Disc = true
	tr := func(uint32) []segments.Track {
		return []segments.Track{{ID: 1, Kind: segments.KindVideo, Timescale: 15360}}
	}
	ps := Plan(segs, 2, Options{Tracks: tr})
	if len(ps) != 3 || ps[0].N != 2 || ps[0].Trim != nil || ps[1].Disc {
		t.Fatalf("pieces %+v", ps)
	}
	if got := pieceURI("4.m4s", ps[1]); got != "4.m4s?shift=1:-58368" {
		t.Errorf("after the pause: %s", got)
	}
	segs[4].Start = 30 // an encoder restart during the pause: a real discontinuity
	segs[4].Starts[1], segs[4].Ends[1] = 30*15360, 32*15360
	if ps := Plan(segs, 2, Options{Tracks: tr}); !ps[1].Disc {
		t.Error("encoder restart during a pause: no discontinuity")
	}
}

// TestExportKeepsTrackOffsets: an export from the middle of a recording
// moves every track by the same time: the earliest track starts at 0 and
// the audio, which starts a frame before the video, stays a frame ahead
// (the init's edit lists, served unchanged, stay right).
func TestExportKeepsTrackOffsets(t *testing.T) {
	var segs []timeline.SegmentInfo
	for k := uint64(0); k < 6; k++ {
		segs = append(segs, timeline.SegmentInfo{Seq: k, InitVer: 1, Start: float64(2 * k), Duration: 2, Size: 100,
			PDT:    t0.Add(time.Duration(k) * 2 * time.Second),
			Starts: map[uint32]uint64{1: k * 30720, 2: k*96000 - min(k, 1)*1024},
			Ends:   map[uint32]uint64{1: (k + 1) * 30720, 2: (k+1)*96000 - 1024}})
	}
	tr := func(uint32) []segments.Track {
		return []segments.Track{{ID: 1, Kind: segments.KindVideo, Timescale: 15360}, {ID: 2, Kind: segments.KindAudio, Timescale: 48000}}
	}
	init := func(uint32) ([]byte, error) { return []byte("init"), nil }
	ex, err := PlanMP4(segs, init, Options{From: t0.Add(6 * time.Second), Tracks: tr})
	if err != nil {
		t.Fatal(err)
	}
	p := ex.Pieces[0]
	v := int64(segs[3].Starts[1]) + p.Offset[1]
	a := int64(segs[3].Starts[2]) + p.Offset[2]
	if a != 0 || v != 328 { // 1024/48000 s = 327.68 video ticks
		t.Errorf("first exported segment: video at %d, audio at %d; want 328 and 0", v, a)
	}
}
