package segments

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
)

// Retime returns a copy of the media segment b with the decode times of
// every track shifted by offset[trackID] (in that track's timescale; tracks
// absent from offset keep their times). It patches in place, so box sizes and
// trun data offsets never change and multi-trun fragments stay intact:
// every tfdt, the earliest presentation time of every top-level sidx and the
// media time of every top-level prft (by their reference track).
//
// The input must pass ParseSegment against in; the output is re-parsed and
// checked. A shifted time below 0 or above 2^63-1 (2^32-1 in a version 0
// box) is ErrRange; an offset for a track not in in is ErrTrackMismatch.
func Retime(b []byte, in *Init, offset map[uint32]int64) (out []byte, err error) {
	defer recoverMalformed("retime", &err)
	orig, err := ParseSegment(b, in)
	if err != nil {
		return nil, fmt.Errorf("retime: %w", err)
	}
	for id := range offset {
		if _, ok := in.Track(id); !ok {
			return nil, fmt.Errorf("retime: offset for track %d not in init: %w", id, ErrTrackMismatch)
		}
	}
	out = bytes.Clone(b)
	if err := patchTimes(out, offset); err != nil {
		return nil, fmt.Errorf("retime: %w", err)
	}
	if err := checkRetimed(out, in, orig, offset); err != nil {
		return nil, fmt.Errorf("retime: %w", err)
	}
	return out, nil
}

// patchTimes shifts, in place, every time field of b that Retime covers.
func patchTimes(b []byte, offset map[uint32]int64) error {
	top, err := walkBoxes(b, 0, len(b))
	if err != nil {
		return err
	}
	for _, x := range top {
		switch x.typ {
		case "moof":
			err = patchMoof(b, x, offset)
		case "sidx":
			// version flags reference_ID timescale earliest_presentation_time
			err = patchFullBoxTime(x.payload(b), 12, offset, "sidx")
		case "prft":
			// version flags reference_track_ID ntp_timestamp(8) media_time
			err = patchFullBoxTime(x.payload(b), 16, offset, "prft")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func patchMoof(b []byte, moof box, offset map[uint32]int64) error {
	kids, err := children(b, moof)
	if err != nil {
		return err
	}
	for _, traf := range kids {
		if traf.typ != "traf" {
			continue
		}
		if err := patchTraf(b, traf, offset); err != nil {
			return err
		}
	}
	return nil
}

func patchTraf(b []byte, traf box, offset map[uint32]int64) error {
	kids, err := children(b, traf)
	if err != nil {
		return err
	}
	var trackID uint32
	for _, x := range kids {
		p := x.payload(b)
		switch {
		case x.typ == "tfhd" && len(p) >= 8:
			trackID = binary.BigEndian.Uint32(p[4:])
		case x.typ == "tfdt":
			if err := shiftTime(p, 4, offset[trackID], "tfdt"); err != nil {
				return fmt.Errorf("track %d: %w", trackID, err)
			}
		}
	}
	return nil
}

// patchFullBoxTime shifts the time at timeAt in a full box payload whose
// reference track ID sits at bytes 4..8 (sidx, prft).
func patchFullBoxTime(p []byte, timeAt int, offset map[uint32]int64, what string) error {
	if len(p) < 8 {
		return fmt.Errorf("%s: %d byte payload: %w", what, len(p), ErrMalformed)
	}
	return shiftTime(p, timeAt, offset[binary.BigEndian.Uint32(p[4:])], what)
}

// shiftTime adds delta to the time at p[at:], 32 bits for version 0 full
// boxes (p[0]) and 64 bits otherwise.
func shiftTime(p []byte, at int, delta int64, what string) error {
	wide := len(p) > 0 && p[0] == 1
	n := 4
	if wide {
		n = 8
	}
	if len(p) < at+n {
		return fmt.Errorf("%s: %d byte payload: %w", what, len(p), ErrMalformed)
	}
	if delta == 0 {
		return nil
	}
	v := uint64(binary.BigEndian.Uint32(p[at:]))
	if wide {
		v = binary.BigEndian.Uint64(p[at:])
	}
	nv, ok := addOffset(v, delta)
	switch {
	case !ok:
		return fmt.Errorf("%s: %d%+d out of range: %w", what, v, delta, ErrRange)
	case wide:
		binary.BigEndian.PutUint64(p[at:], nv)
	case nv > math.MaxUint32:
		return fmt.Errorf("%s version 0: %d does not fit 32 bits: %w", what, nv, ErrRange)
	default:
		binary.BigEndian.PutUint32(p[at:], uint32(nv))
	}
	return nil
}

// addOffset returns v+delta, false when the result is below 0 or above
// MaxInt64 (mp4ff computes presentation times as int64).
func addOffset(v uint64, delta int64) (uint64, bool) {
	if delta < 0 {
		d := uint64(-(delta + 1)) + 1 // |delta| without overflow at MinInt64
		return v - d, d <= v
	}
	nv := v + uint64(delta)
	return nv, nv >= v && nv <= math.MaxInt64
}

// checkRetimed re-parses out and checks every track moved by its offset.
func checkRetimed(out []byte, in *Init, orig *Segment, offset map[uint32]int64) error {
	got, err := ParseSegment(out, in)
	if err != nil {
		return fmt.Errorf("re-parse: %w", err)
	}
	for i, r := range orig.Tracks {
		want, _ := addOffset(r.BaseDecodeTime, offset[r.TrackID])
		g := got.Tracks[i]
		if g.BaseDecodeTime != want || g.Duration != r.Duration || g.Samples != r.Samples {
			return fmt.Errorf("track %d: re-parsed tfdt %d, want %d: %w", r.TrackID, g.BaseDecodeTime, want, ErrMalformed)
		}
	}
	return nil
}
