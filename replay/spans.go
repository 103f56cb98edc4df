package replay

import (
	"fmt"
	"math"
	"sort"

	"hlsorigin/origin"
)

// Span is a media-time interval [From, To) in seconds.
type Span struct{ From, To float64 }

// SlateSpans returns the media spans a (video) rendition replaced with the
// slate, merged. A demuxed audio rendition is never spliced: its replay
// leaves out these same spans so audio stays with the video.
func SlateSpans(segs []origin.SegmentInfo) []Span {
	var out []Span
	for _, s := range segs {
		if s.Kind != "slate" {
			continue
		}
		sp := Span{s.Start, s.Start + s.Duration}
		if n := len(out); n > 0 && sp.From-out[n-1].To < 1e-3 {
			out[n-1].To = math.Max(out[n-1].To, sp.To)
			continue
		}
		out = append(out, sp)
	}
	return out
}

// keep returns the parts of [from, to) outside every span.
func keep(from, to float64, spans []Span) []Span {
	i := sort.Search(len(spans), func(i int) bool { return spans[i].To > from })
	out := []Span{}
	cur := from
	for ; i < len(spans) && spans[i].From < to; i++ {
		if spans[i].From > cur {
			out = append(out, Span{cur, spans[i].From})
		}
		cur = math.Max(cur, spans[i].To)
	}
	if cur < to {
		out = append(out, Span{cur, to})
	}
	return out
}

// TrimURI names the part [from, to) of a segment.
func TrimURI(seq uint64, sp Span) string {
	return fmt.Sprintf("%d.m4s?from=%.6f&to=%.6f", seq, sp.From, sp.To)
}

// AudioMedia is Media for a demuxed audio rendition: it leaves out the
// given spans, trimming segments that straddle a junction.
func AudioMedia(segs []origin.SegmentInfo, spans []Span, target int, u URIs, opt Options) (out []origin.SegmentInfo, trims map[uint64][]Span) {
	segs = within(segs, opt.From, opt.To)
	if opt.KeepPauses || recorded(segs) < opt.MinRecording || len(spans) == 0 {
		return segs, nil
	}
	trims = map[uint64][]Span{}
	for _, s := range segs {
		parts := keep(s.Start, s.Start+s.Duration, spans)
		switch {
		case len(parts) == 1 && parts[0] == (Span{s.Start, s.Start + s.Duration}):
			out = append(out, s)
		case len(parts) > 0:
			out = append(out, s)
			trims[s.Seq] = parts
		}
	}
	return out, trims
}
