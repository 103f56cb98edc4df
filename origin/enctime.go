package origin

import (
	"time"

	"hlsorigin/manifest"
	"hlsorigin/segments"
	"hlsorigin/timeline"
)

// Exact timing from the encoder's clock (Config.EncoderClock). When the ingest carries
// EXT-X-PROGRAM-DATE-TIME (ffmpeg -hls_flags program_date_time) or prft
// boxes, they map the encoder's media time to its wall clock, and the cut
// uses that mapping without margins: the cut lands on the frame of the
// pause instant and host video returns at the first keyframe at or after
// the resume instant. Arrival still bounds capture from above: a resume
// never maps through a capture time later than the arrival allows.
// Without them the conservative mapping of cutFor applies.

// encClock maps media time (seconds) to the encoder's wall clock within
// one encoder session (between host discontinuities). Guarded by ch.mu.
type encClock struct {
	set   bool
	epoch uint64 // the session it was learned in (Rendition.epoch)
	wall  time.Time
	media float64
}

// encoderWall returns the encoder's wall clock of seg's start when it is
// known: from a prft box in seg, else from the program date times of the
// session's ingest playlist. Called with ch.mu held.
func (r *Rendition) encoderWall(seg *segments.Segment, disc bool) (time.Time, bool) {
	if seg.Prft != nil {
		return seg.Prft.Add(secs(seg.Start - seg.PrftMedia)), true
	}
	if disc || !r.enc.set || r.enc.epoch != r.epoch {
		return time.Time{}, false
	}
	return r.enc.wall.Add(secs(seg.Start - r.enc.media)), true
}

// noteEncoderTime is called by place for every host segment: a host
// discontinuity starts a new encoder session (the encoder's clock
// mapping is unknown until its next playlist); a known encoder clock is
// handed to the cut as a prft of the segment's start.
func (r *Rendition) noteEncoderTime(seg *segments.Segment, disc bool) {
	if disc {
		r.epoch++
		r.epochSeq = r.nextSeq
	}
	if w, ok := r.encoderWall(seg, disc); ok && seg.Prft == nil {
		seg.Prft, seg.PrftMedia = &w, seg.Start
	}
}

// learnEncoderClock takes the mapping from the latest segment of an
// ingest playlist that has a program date time and is committed in the
// current session. Called with ch.mu held.
func (r *Rendition) learnEncoderClock(m *manifest.IngestMedia) {
	for i := len(m.Segments) - 1; i >= 0; i-- {
		s := m.Segments[i]
		if s.PDT.IsZero() {
			continue
		}
		if start, ok := r.sessionStart(s.URI); ok {
			r.enc = encClock{set: true, epoch: r.epoch, wall: s.PDT, media: start}
			return
		}
	}
}

// sessionStart is the media start of the host segment committed under an
// ingest name in the current session (its first part when spliced).
func (r *Rendition) sessionStart(name string) (float64, bool) {
	start, found := 0.0, false
	for i := len(r.segs) - 1; i >= 0 && r.segs[i].Seq >= r.epochSeq; i-- {
		if s := r.segs[i]; s.Name == name && s.Gen == "" {
			start, found = s.Start, true
		}
	}
	return start, found
}

// cutAt is cutFor with the encoder's clock when the segment carries one
// (see noteEncoderTime): no margins, the pause and the resume map
// through the encoder's wall clock, the resume never through a capture
// time later than the arrival allows. Called with ch.mu held.
func (ch *Channel) cutAt(seg *segments.Segment, pdt, arrived, earliest time.Time) (from, to float64, p *Pause) {
	if seg.Prft == nil || !ch.o.cfg.EncoderClock {
		return ch.alignedCut(seg.Start, seg.Duration, pdt, arrived, earliest)
	}
	enc := seg.Prft.Add(secs(seg.Start - seg.PrftMedia))
	early := enc
	if obs := arrived.Add(-secs(seg.Duration)); obs.Before(early) {
		early = obs
	}
	from, to, i := timeline.Cut(seg.Start, seg.Duration, enc, early, ch.cutPauses(), 0, 0)
	if i < 0 {
		return 0, 0, nil
	}
	return from, to, &ch.pauses[i]
}
