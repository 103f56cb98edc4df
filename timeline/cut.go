package timeline

import (
	"math"
	"time"
)

// Cut returns the pause interval overlapping a host segment of media
// [start, start+dur) seconds, in the segment's own media time: from is
// where host video stops (-Inf: before the segment), to where it may
// return (+Inf: still paused), and the index of the pause in ps (-1:
// none). late and early map the segment's start to wall clock: the pause
// maps through late (the latest plausible capture time, so the cut comes
// early rather than late) minus pauseMargin seconds, the resume through
// early plus resumeMargin. With the encoder's own clock
// (EXT-X-PROGRAM-DATE-TIME, prft) late = early and both margins are 0:
// the cut lands on the frame of the pause instant.
func Cut(start, dur float64, late, early time.Time, ps []Pause, pauseMargin, resumeMargin float64) (from, to float64, idx int) {
	end := start + dur
	for i := len(ps) - 1; i >= 0; i-- {
		q := ps[i]
		from = start + q.Start.Sub(late).Seconds() - pauseMargin
		to = math.Inf(1)
		if q.End != nil {
			to = start + q.End.Sub(early).Seconds() + resumeMargin
		}
		if from < end && to > start {
			if from <= start {
				from = math.Inf(-1)
			}
			return from, to, i
		}
	}
	return 0, 0, -1
}
