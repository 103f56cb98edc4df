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

// CaptureBounds are the latest and earliest plausible capture times of a
// host segment's start without the encoder's clock: its program date time,
// or its arrival minus its duration when that is later (the encoder fell
// behind: late) or earlier (early), and earliest (the least pipeline
// latency seen recently taken out) when that is earlier still.
func CaptureBounds(dur float64, pdt, arrived, earliest time.Time) (late, early time.Time) {
	late, early = pdt, pdt
	if obs := arrived.Add(-time.Duration(dur * float64(time.Second))); obs.After(late) {
		late = obs
	} else {
		early = obs
	}
	if earliest.Before(early) {
		early = earliest
	}
	return late, early
}

// MediaOf maps a wall-clock instant to the media time (seconds) of a
// segment that starts at media start, wall clock pdt.
func MediaOf(start float64, pdt, wall time.Time) float64 {
	return start + wall.Sub(pdt).Seconds()
}
