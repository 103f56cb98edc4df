package origin

import (
	"math"
	"time"

	"hlsorigin/timeline"
)

// pauseCut holds, for one pause, the wall-clock instants every rendition
// of the channel cuts at, so that video renditions and demuxed audio carry
// the same discontinuities at the same instant (RFC 8216 6.2.4 wants them
// across a variant's media playlists; hls.js stalls when they differ).
type pauseCut struct {
	// start and end are the mapped pause and resume instants (see cutFor),
	// frozen by the first segment of any rendition mapped after the pause
	// (its end) was known. Any rendition's mapping is a safe one: capture
	// time is the same for every rendition of an encoder, and each arrival
	// bounds it from above.
	start, end time.Time
	// videoStart is where the first video rendition's slate began,
	// videoEnd where its host video returned (the first sync sample after
	// end): zero until a video rendition got there. Demuxed audio splits
	// at these when known.
	videoStart, videoEnd time.Time
}

// cutOf returns the shared instants of pause id. Called with ch.mu held.
func (ch *Channel) cutOf(id string) *pauseCut {
	if ch.cuts == nil || len(ch.cuts) > len(ch.pauses)+16 {
		kept := map[string]*pauseCut{}
		for _, p := range ch.pauses {
			if c := ch.cuts[p.ID]; c != nil {
				kept[p.ID] = c
			}
		}
		ch.cuts = kept
	}
	c := ch.cuts[id]
	if c == nil {
		c = &pauseCut{}
		ch.cuts[id] = c
	}
	return c
}

// alignedCut is cutFor with each pause's instants shared by every
// rendition of the channel (see pauseCut). Called with ch.mu held.
func (ch *Channel) alignedCut(start, dur float64, pdt, arrived, earliest time.Time) (from, to float64, p *Pause) {
	late, early := timeline.CaptureBounds(dur, pdt, arrived, earliest)
	for i := len(ch.pauses) - 1; i >= 0; i-- {
		q := &ch.pauses[i]
		c := ch.cutOf(q.ID)
		if c.start.IsZero() {
			c.start = q.StartedAt.Add(pdt.Sub(late) - time.Duration(PauseMargin*float64(time.Second)))
		}
		if q.EndedAt != nil && c.end.IsZero() {
			c.end = q.EndedAt.Add(pdt.Sub(early) + ch.o.cfg.ResumeMargin)
		}
		from, to = timeline.MediaOf(start, pdt, c.start), math.Inf(1)
		if !c.end.IsZero() {
			to = timeline.MediaOf(start, pdt, c.end)
		}
		if from < start+dur && to > start {
			if from <= start {
				from = math.Inf(-1)
			}
			return from, to, q
		}
	}
	return 0, 0, nil
}

// noteVideoCut records where a video rendition's slate began and where its
// host video came back (first one wins). Called with ch.mu held.
func (ch *Channel) noteVideoCut(p *Pause, segStart float64, pdt time.Time, parts []part) {
	c := ch.cutOf(p.ID)
	for i, pt := range parts {
		at := pdt.Add(time.Duration((pt.start - segStart) * float64(time.Second)))
		if pt.kind == "slate" && c.videoStart.IsZero() {
			c.videoStart = at
		}
		if pt.kind == "" && i > 0 && parts[i-1].kind == "slate" && c.videoEnd.IsZero() {
			c.videoEnd = at
		}
	}
}

// noteVideoResume records that host video came back at pdt, at the start
// of a segment after a slate one. Called with ch.mu held.
func (ch *Channel) noteVideoResume(pdt time.Time) {
	for i := len(ch.pauses) - 1; i >= 0; i-- {
		if p := ch.pauses[i]; p.EndedAt != nil && !p.StartedAt.After(pdt) {
			if c := ch.cutOf(p.ID); c.videoEnd.IsZero() {
				c.videoEnd = pdt
			}
			return
		}
	}
}
