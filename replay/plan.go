package replay

import (
	"math"
	"time"

	"hlsorigin/segments"
	"hlsorigin/timeline"
)

// MinPiece is the shortest segment a replay lists (seconds): a shorter
// piece (the live part of a segment split at a pause, audio left between a
// junction and a segment boundary) is merged into a neighbour it
// continues. Players stall or fail on slivers of a few milliseconds.
const MinPiece = 0.5

// Ticks is an interval [From, To) of decode times in a track's timescale.
type Ticks struct{ From, To uint64 }

// Piece is one media segment of a replay: one or more consecutive stored
// segments (a sliver merged into its neighbour), optionally trimmed (demuxed
// audio at a junction), with every decode time shifted so the replay's
// timeline runs on without a jump where a pause was left out.
type Piece struct {
	Seq      uint64           // first stored segment
	N        int              // consecutive stored segments it holds, >= 1
	Trim     *Ticks           // keep samples decoding in [From, To) (single-track renditions); nil: all
	Shift    map[uint32]int64 // per track: added to every decode time (track timescale)
	InitVer  uint32
	Duration float64
	PDT      time.Time
	Disc     bool // the stream really changes before it (a new init, an encoder restart)

	from, to     uint64 // original ticks of the reference track held
	segFrom, end uint64 // reference-track bounds of the stored segments held
	ref          uint32 // reference track
}

// Tracks gives the tracks of an init version (timescales, sample rates).
type Tracks func(ver uint32) []segments.Track

// refTrack is the track a rendition's segment durations follow: video when
// there is one, else the first.
func refTrack(tr []segments.Track) (segments.Track, bool) {
	for _, t := range tr {
		if t.Kind == segments.KindVideo {
			return t, true
		}
	}
	if len(tr) > 0 {
		return tr[0], true
	}
	return segments.Track{}, false
}

// planVideo plans the replay of a video (or muxed) rendition: slate
// segments left out, every other segment re-stamped per track so each
// track continues where the previous kept segment ended.
func planVideo(segs []timeline.SegmentInfo, tracks Tracks) []Piece {
	out := make([]Piece, 0, len(segs))
	next := map[uint32]uint64{} // per track: output decode time of the next sample
	var prev *timeline.SegmentInfo
	skipped, anySkipped := 0.0, false
	for i := range segs {
		s := &segs[i]
		if s.Kind == "slate" {
			skipped, anySkipped = skipped+s.Duration, true
			continue
		}
		p := Piece{Seq: s.Seq, N: 1, InitVer: s.InitVer, Duration: s.Duration, PDT: s.PDT}
		if prev != nil {
			p.Disc = realChange(prev, s, anySkipped, skipped)
			if prev.InitVer != s.InitVer {
				next = rebase(next, out[len(out)-1], s, tracks)
			}
		}
		shiftPiece(&p, s, next, tracks)
		out = append(out, p)
		prev, skipped, anySkipped = s, 0, false
	}
	return out
}

// shiftPiece sets the shift of every track of s so it starts at next (the
// first time a track is seen: where it is) and advances next.
func shiftPiece(p *Piece, s *timeline.SegmentInfo, next map[uint32]uint64, tracks Tracks) {
	if len(s.Starts) == 0 {
		return // an archive written before per-track starts were recorded: served as stored
	}
	p.Shift = map[uint32]int64{}
	for id, st := range s.Starts {
		if _, ok := next[id]; !ok {
			next[id] = st
		}
		p.Shift[id] = int64(next[id]) - int64(st)
		next[id] += s.Ends[id] - st
	}
	if rt, ok := refTrack(tracksOf(tracks, s.InitVer)); ok {
		p.ref = rt.ID
	}
	p.from, p.to = s.Starts[p.ref], s.Ends[p.ref]
	p.segFrom, p.end = p.from, p.to
}

func tracksOf(tracks Tracks, ver uint32) []segments.Track {
	if tracks == nil {
		return nil
	}
	return tracks(ver)
}

// realChange: EXT-X-DISCONTINUITY only where the stream really changes: a
// new init, or timestamps that do not continue (an encoder restart),
// including across a left-out pause.
func realChange(prev, s *timeline.SegmentInfo, skippedAny bool, skipped float64) bool {
	if prev.InitVer != s.InitVer {
		return true
	}
	if !skippedAny {
		return s.Disc
	}
	return math.Abs(prev.Start+prev.Duration+skipped-s.Start) > 0.1
}

// rebase carries the output clock over an init change: the new init's
// tracks (other IDs or timescales) start where the last piece ended.
func rebase(next map[uint32]uint64, last Piece, s *timeline.SegmentInfo, tracks Tracks) map[uint32]uint64 {
	prevTr := tracksOf(tracks, last.InitVer)
	newTr := tracksOf(tracks, s.InitVer)
	end := -1.0
	for _, t := range prevTr {
		if t.ID == last.ref && t.Timescale > 0 {
			end = float64(next[t.ID]) / float64(t.Timescale)
		}
	}
	if end < 0 || len(newTr) == 0 {
		return next // nothing known of the timescales: each track runs on
	}
	out := map[uint32]uint64{}
	for _, t := range newTr {
		out[t.ID] = uint64(math.Round(end * float64(t.Timescale)))
	}
	return out
}

// mergeShort merges every piece shorter than MinPiece into the previous
// piece when it continues it, else takes the next one into it, as long as
// the merged piece still fits the target duration.
func mergeShort(ps []Piece, target int) []Piece {
	out := make([]Piece, 0, len(ps))
	for i := 0; i < len(ps); i++ {
		p := ps[i]
		if p.Duration < MinPiece && len(out) > 0 && continues(out[len(out)-1], p, target) {
			out[len(out)-1] = merged(out[len(out)-1], p)
			continue
		}
		for p.Duration < MinPiece && i+1 < len(ps) && continues(p, ps[i+1], target) {
			i++
			p = merged(p, ps[i])
		}
		out = append(out, p)
	}
	return out
}

// continues: b starts where a ends in the stored timeline, under the same
// init and shift, and a+b rounds to no more than the target duration.
func continues(a, b Piece, target int) bool {
	if b.Disc || a.InitVer != b.InitVer || a.to != b.from || a.ref != b.ref || int(math.Round(a.Duration+b.Duration)) > target {
		return false
	}
	if a.Seq+uint64(a.N) != b.Seq {
		return false
	}
	if len(a.Shift) != len(b.Shift) {
		return false
	}
	for id, d := range a.Shift {
		if b.Shift[id] != d {
			return false
		}
	}
	return a.Shift != nil
}

func merged(a, b Piece) Piece {
	a.N = int(b.Seq-a.Seq) + b.N
	a.to, a.end = b.to, b.end
	a.Duration += b.Duration
	a.Trim = nil
	if a.from != a.segFrom || a.to != a.end {
		a.Trim = &Ticks{a.from, a.to}
	}
	return a
}
