package replay

import (
	"math"

	"hlsorigin/timeline"
)

// Span is a media-time interval [From, To) in seconds.
type Span struct{ From, To float64 }

// SlateSpans returns the media spans a (video) rendition replaced with the
// slate, merged. A demuxed audio rendition is never spliced: its replay
// leaves out these same spans so audio stays with the video.
func SlateSpans(segs []timeline.SegmentInfo) []Span {
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
