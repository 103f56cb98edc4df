// Package slate replaces host video inside a pause with a pre-encoded slate,
// without re-encoding: the slate's frames are retimed onto the host
// timeline and muxed with the host's own audio samples under a combined
// init segment. Pure media logic: mp4ff only.
//
// Guarantees of Splice: no byte of a removed host video sample is in any
// output; host audio keeps every sample, in order, with its timing (or is
// replaced by silence frame for frame when muted): no gap, no duplicate.
package slate

import (
	"bytes"
	"errors"
	"fmt"
	"math"

	"github.com/Eyevinn/mp4ff/mp4"
)

// ErrSlate wraps every refusal of this package.
var ErrSlate = errors.New("slate")

// Slate is one slate variant: video only, one IDR then P-frames.
type Slate struct {
	ID            string
	Width, Height int
	Timescale     uint32
	FrameDur      uint32
	initBytes     []byte // ftyp+moov, re-decoded for each combined init
	params        []byte // SPS/PPS in band on the first frame of each slate part
	Samples       []mp4.FullSample
}

// Load reads a slate from a fragmented MP4 (init + fragments).
func Load(id string, file []byte) (sl *Slate, err error) {
	defer recoverErr("load slate", &err)
	f, err := mp4.DecodeFile(bytes.NewReader(file))
	if err != nil {
		return nil, fmt.Errorf("slate %s: %w: %v", id, ErrSlate, err)
	}
	if f.Init == nil || len(f.Init.Moov.Traks) != 1 || f.Init.Moov.Trak.Mdia.Hdlr.HandlerType != "vide" {
		return nil, fmt.Errorf("slate %s: want one video track: %w", id, ErrSlate)
	}
	trak := f.Init.Moov.Trak
	sl = &Slate{ID: id, Timescale: trak.Mdia.Mdhd.Timescale,
		Width: int(trak.Tkhd.Width >> 16), Height: int(trak.Tkhd.Height >> 16)}
	var ib bytes.Buffer
	if err := f.Init.Encode(&ib); err != nil {
		return nil, fmt.Errorf("slate %s init: %w: %v", id, ErrSlate, err)
	}
	sl.initBytes = ib.Bytes()
	sl.params = paramSets(trak)
	for _, seg := range f.Segments {
		for _, frag := range seg.Fragments {
			ss, err := frag.GetFullSamples(f.Init.Moov.Mvex.Trex)
			if err != nil {
				return nil, fmt.Errorf("slate %s samples: %w: %v", id, ErrSlate, err)
			}
			sl.Samples = append(sl.Samples, ss...)
		}
	}
	return sl, sl.validate()
}

func (sl *Slate) validate() error {
	if len(sl.Samples) < 2 || !sl.Samples[0].IsSync() {
		return fmt.Errorf("slate %s must start with an IDR and hold more than one frame: %w", sl.ID, ErrSlate)
	}
	sl.FrameDur = sl.Samples[0].Dur
	if sl.FrameDur == 0 || sl.Timescale == 0 {
		return fmt.Errorf("slate %s: zero frame duration: %w", sl.ID, ErrSlate)
	}
	if secs := float64(len(sl.Samples)) * float64(sl.FrameDur) / float64(sl.Timescale); secs < 2 {
		return fmt.Errorf("slate %s lasts %.2fs, want >= 2s: %w", sl.ID, secs, ErrSlate)
	}
	return nil
}

// Nearest returns the slate whose area is nearest width x height (ties:
// the larger one).
func Nearest(slates []*Slate, width, height int) *Slate {
	var best *Slate
	bestD := math.MaxFloat64
	for _, s := range slates {
		d := math.Abs(float64(s.Width*s.Height - width*height))
		if best == nil || d < bestD || (d == bestD && s.Width*s.Height > best.Width*best.Height) {
			best, bestD = s, d
		}
	}
	return best
}

// frames returns n slate frames starting at decode time start (slate
// timescale), the last one stretched or trimmed to end exactly at end.
// Beyond the stored frames the slate loops from its IDR (an uploaded slate
// may move, so its P-frames cannot repeat on their own), so any duration
// works.
func (sl *Slate) frames(start, end uint64) []mp4.FullSample {
	if end <= start {
		return nil
	}
	n := int((end - start + uint64(sl.FrameDur) - 1) / uint64(sl.FrameDur))
	out := make([]mp4.FullSample, n)
	for i := range out {
		src := sl.Samples[i%len(sl.Samples)]
		src.DecodeTime = start + uint64(i)*uint64(sl.FrameDur)
		src.Dur = sl.FrameDur
		src.CompositionTimeOffset = 0
		out[i] = src
	}
	out[n-1].Dur = uint32(end - out[n-1].DecodeTime)
	return out
}

// recoverErr turns a panic inside mp4ff on hostile input into an error.
func recoverErr(op string, err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%s: %w: panic: %v", op, ErrSlate, r)
	}
}
