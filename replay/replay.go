// Package replay turns a rendition's archive into a VOD playlist: the
// paused intervals are left out (the live part of a split segment stays,
// slate segments go) and every kept segment is re-stamped so the replay's
// timeline runs on without a jump: EXT-X-DISCONTINUITY only where the
// stream really changes (a new init, an encoder restart). No re-encoding:
// the playlist points at the stored segments, served re-stamped (see Piece).
package replay

import (
	"time"

	"hlsorigin/manifest"
	"hlsorigin/timeline"
)

// Options select what a replay holds.
type Options struct {
	// KeepPauses keeps slate segments and marks pauses with EXT-X-DATERANGE.
	KeepPauses bool
	// From and To select a wall-clock range (zero: unbounded).
	From, To time.Time
	// MinRecording: pauses are cut only from recordings at least this long.
	MinRecording time.Duration
	// Tracks gives each init version's tracks (set by the caller, not by a
	// query). Demuxed audio needs it to cut on its frame grid.
	Tracks Tracks
	// Reference is the video timeline whose slate segments mark the pauses
	// (EXT-X-DATERANGE) of a demuxed audio rendition, which has none (nil:
	// the rendition's own).
	Reference []timeline.SegmentInfo
}

// URIs name segments and init segments in the playlist.
type URIs struct {
	Segment func(seq uint64) string
	Init    func(ver uint32) string
}

// Media builds the VOD media playlist model of one rendition. spans (media
// seconds) are left out too: a demuxed audio rendition passes the slate
// spans of its video (SlateSpans) and is cut on its own frame grid.
func Media(segs []timeline.SegmentInfo, pauses []timeline.PauseInfo, target int, u URIs, opt Options, spans ...Span) manifest.Media {
	segs = within(segs, opt.From, opt.To)
	m := manifest.Media{TargetDuration: target, VOD: true, Ended: true}
	if opt.KeepPauses || recorded(segs) < opt.MinRecording {
		m.Segments = asStored(segs, u)
		if ref := opt.Reference; len(m.Segments) > 0 {
			if ref == nil {
				ref = segs
			}
			m.DateRanges = dateRanges(timeline.SlateRanges(ref, pauses))
		}
		return m
	}
	var pieces []Piece
	if len(spans) > 0 {
		pieces = dropTrailingSliver(mergeShort(planAudio(segs, spans, opt.Tracks), target))
	} else {
		pieces = mergeShort(planVideo(segs, opt.Tracks), target)
	}
	m.Segments = make([]manifest.Segment, 0, len(pieces))
	for i, p := range pieces {
		m.Segments = append(m.Segments, manifest.Segment{Seq: uint64(i), URI: pieceURI(u.Segment(p.Seq), p),
			Duration: p.Duration, MapURI: u.Init(p.InitVer), PDT: p.PDT, Discontinuity: i > 0 && p.Disc})
	}
	return m
}

// Plan returns the pieces of a rendition's replay (see Media).
func Plan(segs []timeline.SegmentInfo, target int, opt Options, spans ...Span) []Piece {
	segs = within(segs, opt.From, opt.To)
	if len(spans) > 0 {
		return dropTrailingSliver(mergeShort(planAudio(segs, spans, opt.Tracks), target))
	}
	return mergeShort(planVideo(segs, opt.Tracks), target)
}

// asStored lists segments as recorded (pauses kept: the timeline is
// already continuous, the slate's own init behind a discontinuity).
func asStored(segs []timeline.SegmentInfo, u URIs) []manifest.Segment {
	out := make([]manifest.Segment, len(segs))
	for i, s := range segs {
		out[i] = manifest.Segment{Seq: uint64(i), URI: u.Segment(s.Seq), Duration: s.Duration,
			MapURI: u.Init(s.InitVer), PDT: s.PDT, Discontinuity: i > 0 && s.Disc}
	}
	return out
}

// within keeps segments overlapping [from, to).
func within(segs []timeline.SegmentInfo, from, to time.Time) []timeline.SegmentInfo {
	if from.IsZero() && to.IsZero() {
		return segs
	}
	var out []timeline.SegmentInfo
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
func recorded(segs []timeline.SegmentInfo) time.Duration {
	var d float64
	for _, s := range segs {
		d += s.Duration
	}
	return time.Duration(d * float64(time.Second))
}

// dateRanges renders the timeline's pause date ranges as playlist tags.
func dateRanges(rs []timeline.DateRange) []manifest.DateRange {
	out := make([]manifest.DateRange, len(rs))
	for i, d := range rs {
		out[i] = manifest.DateRange(d)
	}
	return out
}
