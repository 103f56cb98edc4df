package origin

import (
	"fmt"
	"math"
	"time"

	"hlsorigin/segments"
	"hlsorigin/slate"
	"hlsorigin/timeline"
)

// spliceAudio makes a demuxed audio rendition follow the pause of the
// video renditions: its segments are split at the instants where the
// video's slate begins and its host video returns, with a discontinuity at
// each, the same number of them as the video playlists carry (RFC 8216
// 6.2.4), even though the audio itself is continuous. The paused parts are
// stored as kind "slate" (replays leave them out with the video), holding
// the host's audio, or silence when the pause is muted: every audio a
// viewer can reach is muted, live and in replays and exports, which read
// the stored segments. Called with ch.mu held.
func (r *Rendition) spliceAudio(in *segments.Init, seg *segments.Segment, body []byte, pdt, arrived, earliest time.Time) ([]part, error) {
	a, ok := in.Audio()
	if !ok {
		return nil, nil
	}
	from, to, p := r.audioCut(seg, pdt, arrived, earliest)
	prev := ""
	if n := len(r.segs); n > 0 {
		prev = r.segs[n-1].Kind
	}
	if p == nil {
		if prev != "slate" {
			return nil, nil
		}
		return []part{{initVer: r.rec.InitVer, data: body, start: seg.Start, duration: seg.Duration, disc: true}}, nil
	}
	cut := slate.Cut{PauseAt: from, ResumeAt: to, Mute: p.Audio == "mute"}
	if cut.Mute {
		sil, err := r.ch.o.silence(a.SampleRate, a.Channels)
		if err != nil {
			return nil, err
		}
		cut.Silence = sil
	}
	out, err := slate.SpliceAudio(body, in.MP4, cut)
	if err != nil {
		return nil, fmt.Errorf("split audio segment at the pause: %w: %v", ErrBadMedia, err)
	}
	parts := make([]part, 0, len(out))
	for i, o := range out {
		pt := part{initVer: r.rec.InitVer, data: o.Data, start: o.Start, duration: o.Duration}
		if o.Kind == slate.PartSlate {
			pt.kind = "slate"
		}
		before, known := prev, len(r.segs) > 0
		if i > 0 {
			before, known = parts[i-1].kind, true
		}
		pt.disc = known && pt.kind != before
		parts = append(parts, pt)
	}
	return parts, nil
}

// audioCut is the pause interval of an audio segment (media seconds), at
// the video renditions' instants when they are known (see pauseCut). While
// the pause has ended but no video rendition has shown where its host
// video returns (at a sync sample up to a segment after the mapped resume),
// the audio stays paused. Called with ch.mu held.
func (r *Rendition) audioCut(seg *segments.Segment, pdt, arrived, earliest time.Time) (from, to float64, p *Pause) {
	from, to, p = r.ch.alignedCut(seg.Start, seg.Duration, pdt, arrived, earliest)
	if p == nil {
		return 0, 0, nil
	}
	c := r.ch.cutOf(p.ID)
	if !c.videoStart.IsZero() && !math.IsInf(from, -1) {
		from = timeline.MediaOf(seg.Start, pdt, c.videoStart)
	}
	switch {
	case !c.videoEnd.IsZero():
		to = timeline.MediaOf(seg.Start, pdt, c.videoEnd)
	case !c.end.IsZero() && r.ch.hasVideo():
		wait := c.end.Add(time.Duration(r.rec.Target) * time.Second)
		if pdt.Before(wait) {
			to = math.Inf(1)
		}
	}
	end := seg.Start + seg.Duration
	if from >= end || to <= seg.Start {
		return 0, 0, nil
	}
	if from <= seg.Start {
		from = math.Inf(-1)
	}
	return from, to, p
}

// hasVideo reports whether any rendition of the channel carries video.
// Called with ch.mu held.
func (ch *Channel) hasVideo() bool {
	for _, r := range ch.rends {
		if in := r.inits[r.rec.InitVer]; in != nil {
			if _, ok := in.Video(); ok {
				return true
			}
		}
	}
	return false
}

// sharedTarget is the target duration already chosen by a rendition of
// the channel (0: none yet). Called with ch.mu held.
func (ch *Channel) sharedTarget() int {
	t := 0
	for _, r := range ch.rends {
		t = max(t, r.rec.Target)
	}
	return t
}
