package origin

import (
	"sort"

	"hlsorigin/manifest"
	"hlsorigin/timeline"
)

// pauseRanges renders the channel's pauses as EXT-X-DATERANGE tags at the
// instants viewers actually see the slate: START-DATE is the program date
// time of the first slate part served for the pause, END-DATE the end of
// its last slate part (not the API's pause and resume instants, which fall
// inside a segment). A pause is listed once its first slate part is, and
// gets END-DATE once a live segment follows its last slate part, so that
// no attribute of a date range ever changes (RFC 8216 4.3.2.7.1).
// Called with ch.mu held.
func pauseRanges(ch *Channel) []manifest.DateRange {
	return DateRanges(timeline.SlateRanges(ch.referenceSegs(), ch.pauses))
}

// DateRanges renders timeline date ranges as playlist tags.
func DateRanges(rs []timeline.DateRange) []manifest.DateRange {
	out := make([]manifest.DateRange, len(rs))
	for i, d := range rs {
		out[i] = manifest.DateRange(d)
	}
	return out
}

// referenceSegs is the timeline of the first video rendition by name
// (every video rendition is spliced at the same instants), nil without one.
func (ch *Channel) referenceSegs() []SegmentInfo {
	var names []string
	for n, r := range ch.rends {
		if in := r.inits[r.rec.InitVer]; in != nil {
			if _, ok := in.Video(); ok {
				names = append(names, n)
			}
		}
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	return ch.rends[names[0]].segs
}
