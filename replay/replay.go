// Package replay turns a rendition's archive into a VOD playlist: the
// paused intervals are left out (the live part of a split segment stays,
// slate segments go), with EXT-X-DISCONTINUITY at each junction and no
// re-encoding: the playlist points at the stored segments.
package replay

import (
	"math"
	"time"

	"hlsorigin/manifest"
	"hlsorigin/origin"
)

// Options select what a replay holds.
type Options struct {
	// KeepPauses keeps slate segments and marks pauses with EXT-X-DATERANGE.
	KeepPauses bool
	// From and To select a wall-clock range (zero: unbounded).
	From, To time.Time
	// MinRecording: pauses are cut only from recordings at least this long.
	MinRecording time.Duration
}

// URIs name segments and init segments in the playlist.
type URIs struct {
	Segment func(seq uint64) string
	Init    func(ver uint32) string
}

// Media builds the VOD media playlist model of one rendition. spans (media
// seconds) are left out too: a demuxed audio rendition passes the slate
// spans of its video (SlateSpans); straddling segments are trimmed.
func Media(segs []origin.SegmentInfo, pauses []origin.Pause, target int, u URIs, opt Options, spans ...Span) manifest.Media {
	all := within(segs, opt.From, opt.To)
	cut := !opt.KeepPauses && recorded(all) >= opt.MinRecording
	segs, trims := AudioMedia(segs, spans, target, u, opt)
	m := manifest.Media{TargetDuration: target, VOD: true, Ended: true}
	skipped, prevEnd := false, math.NaN()
	for _, s := range segs {
		if cut && s.Kind == "slate" {
			skipped = true
			continue
		}
		pieces := trims[s.Seq]
		if pieces == nil {
			pieces = []Span{{s.Start, s.Start + s.Duration}}
		}
		for _, p := range pieces {
			uri := u.Segment(s.Seq)
			if trims[s.Seq] != nil {
				uri = TrimURI(s.Seq, p)
			}
			gap := !math.IsNaN(prevEnd) && math.Abs(p.From-prevEnd) > 1e-3 && trims != nil
			ms := manifest.Segment{Seq: uint64(len(m.Segments)), URI: uri, Duration: p.To - p.From,
				MapURI: u.Init(s.InitVer), PDT: s.PDT.Add(time.Duration((p.From - s.Start) * float64(time.Second))),
				Discontinuity: len(m.Segments) > 0 && (s.Disc || skipped || gap)}
			m.Segments = append(m.Segments, ms)
			skipped, prevEnd = false, p.To
		}
	}
	if !cut && len(m.Segments) > 0 {
		m.DateRanges = dateRanges(pauses, m.Segments[0].PDT)
	}
	return m
}

// within keeps segments overlapping [from, to).
func within(segs []origin.SegmentInfo, from, to time.Time) []origin.SegmentInfo {
	if from.IsZero() && to.IsZero() {
		return segs
	}
	var out []origin.SegmentInfo
	for _, s := range segs {
		end := s.PDT.Add(time.Duration(s.Duration * float64(time.Second)))
		if (!from.IsZero() && !end.After(from)) || (!to.IsZero() && !s.PDT.Before(to)) {
			continue
		}
		out = append(out, s)
	}
	return out
}

// recorded is the total duration of a list of segments.
func recorded(segs []origin.SegmentInfo) time.Duration {
	var d float64
	for _, s := range segs {
		d += s.Duration
	}
	return time.Duration(d * float64(time.Second))
}

// dateRanges marks each pause (the first and second time points) from the
// playlist's first PROGRAM-DATE-TIME on.
func dateRanges(pauses []origin.Pause, from time.Time) []manifest.DateRange {
	var out []manifest.DateRange
	for _, p := range pauses {
		if p.EndedAt != nil && p.EndedAt.Before(from) {
			continue
		}
		out = append(out, manifest.DateRange{ID: "pause-" + p.ID, Class: "com.hlsorigin.pause", Start: p.StartedAt,
			End: p.EndedAt, Attrs: map[string]string{"X-PAUSE-ID": p.ID, "X-SLATE": p.Slate.ID}})
	}
	return out
}
