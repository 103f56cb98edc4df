package replay

import (
	"math"
	"sort"
	"strings"
	"time"

	"hlsorigin/timeline"
)

// audioTrack is the single track of a demuxed audio rendition: its
// timescale and the duration of one coded frame (the grid every cut falls on).
type audioTrack struct {
	id        uint32
	timescale uint32
	frame     uint64
}

func audioTrackOf(tracks Tracks, ver uint32) (audioTrack, bool) {
	t, ok := refTrack(tracksOf(tracks, ver))
	if !ok || t.Timescale == 0 {
		return audioTrack{}, false
	}
	a := audioTrack{id: t.ID, timescale: t.Timescale, frame: 1}
	if n := frameSamples(t.Codec); n > 0 && t.SampleRate > 0 && (n*uint64(t.Timescale))%uint64(t.SampleRate) == 0 {
		a.frame = n * uint64(t.Timescale) / uint64(t.SampleRate)
	}
	return a, true
}

// frameSamples is the samples per coded frame of an audio codec (0: unknown).
func frameSamples(codec string) uint64 {
	switch {
	case strings.HasPrefix(codec, "mp4a.40.5"), strings.HasPrefix(codec, "mp4a.40.29"):
		return 2048 // HE-AAC: 1024 core samples at half the output rate
	case strings.HasPrefix(codec, "mp4a"):
		return 1024
	case codec == "opus", codec == "Opus":
		return 960
	case codec == "ac-3", codec == "ec-3":
		return 1536
	}
	return 0
}

// planAudio plans the replay of a demuxed audio rendition: it leaves out
// the video's slate spans (media seconds), cut on the audio's frame grid.
// Each junction removes the frame count nearest the video's removed span,
// corrected by what earlier junctions removed too much or too little, so
// audio never drifts from the video by more than half a frame.
func planAudio(segs []timeline.SegmentInfo, spans []Span, tracks Tracks) []Piece {
	cuts := audioCuts(segs, spans, tracks)
	var out []Piece
	var next uint64
	started := false
	for i := range segs {
		s := &segs[i]
		at, ok := audioTrackOf(tracks, s.InitVer)
		if !ok || len(s.Starts) == 0 {
			continue
		}
		S, E := s.Starts[at.id], s.Ends[at.id]
		for _, k := range keepTicks(S, E, cuts) {
			if k.To-k.From < at.frame {
				continue // no frame starts in it
			}
			p := Piece{Seq: s.Seq, N: 1, InitVer: s.InitVer, ref: at.id, from: k.From, to: k.To, segFrom: S, end: E,
				Duration: float64(k.To-k.From) / float64(at.timescale),
				PDT:      s.PDT.Add(time.Duration(float64(k.From-S) / float64(at.timescale) * float64(time.Second)))}
			if k.From != S || k.To != E {
				p.Trim = &Ticks{k.From, k.To}
			}
			if n := len(out); n > 0 && out[n-1].InitVer != s.InitVer {
				p.Disc = true
				if pt, ok := audioTrackOf(tracks, out[n-1].InitVer); ok && pt.timescale != at.timescale {
					next = uint64(math.Round(float64(next) / float64(pt.timescale) * float64(at.timescale)))
				}
			} else if n > 0 && s.Disc && k.From == S && !audioContinues(segs, i, at) {
				p.Disc = true // an encoder restart: its timestamps start over
			}
			if !started {
				next, started = k.From, true
			}
			p.Shift = map[uint32]int64{at.id: int64(next) - int64(k.From)}
			next += k.To - k.From
			out = append(out, p)
		}
	}
	return out
}

// audioCuts maps each slate span onto the audio frame grid (ticks).
func audioCuts(segs []timeline.SegmentInfo, spans []Span, tracks Tracks) []Ticks {
	var cuts []Ticks
	drift := 0.0 // ticks removed beyond the video's spans so far
	for _, sp := range spans {
		s, at, ok := segmentAt(segs, sp.From, tracks)
		if !ok {
			continue
		}
		ts := float64(at.timescale)
		from := snap(s.Starts[at.id], sp.From*ts, at.frame)
		want := (sp.To-sp.From)*ts - drift
		to := snap(s.Starts[at.id], float64(from)+want, at.frame)
		if e, at2, ok := segmentAt(segs, sp.To, tracks); ok && at2 == at {
			to = snap(e.Starts[at.id], float64(from)+want, at.frame)
		}
		drift += float64(to-from) - (sp.To-sp.From)*ts
		cuts = append(cuts, Ticks{from, to})
	}
	return cuts
}

// segmentAt finds the audio segment holding media second t.
func segmentAt(segs []timeline.SegmentInfo, t float64, tracks Tracks) (*timeline.SegmentInfo, audioTrack, bool) {
	i := sort.Search(len(segs), func(i int) bool { return segs[i].Start+segs[i].Duration > t })
	if i == len(segs) {
		i = len(segs) - 1
	}
	if i < 0 {
		return nil, audioTrack{}, false
	}
	at, ok := audioTrackOf(tracks, segs[i].InitVer)
	if _, has := segs[i].Starts[at.id]; !ok || !has {
		return nil, audioTrack{}, false
	}
	return &segs[i], at, true
}

// snap rounds x (ticks) to the nearest frame boundary of a grid through origin.
func snap(origin uint64, x float64, frame uint64) uint64 {
	k := math.Round((x - float64(origin)) / float64(frame))
	v := float64(origin) + k*float64(frame)
	if v < 0 {
		return 0
	}
	return uint64(v)
}

// keepTicks returns the parts of [from, to) outside every cut.
func keepTicks(from, to uint64, cuts []Ticks) []Ticks {
	var out []Ticks
	cur := from
	for _, c := range cuts {
		if c.To <= cur || c.From >= to {
			continue
		}
		if c.From > cur {
			out = append(out, Ticks{cur, c.From})
		}
		cur = max(cur, c.To)
	}
	if cur < to {
		out = append(out, Ticks{cur, to})
	}
	return out
}

// audioContinues: segment i's audio starts within a frame of where the
// stored segment before it ends, under the same init. The origin splits a
// demuxed audio segment at a pause with a discontinuity on each side (so
// that it follows the video's), while the audio itself runs on: only a
// jump in its timestamps (an encoder restart) is a real change.
func audioContinues(segs []timeline.SegmentInfo, i int, at audioTrack) bool {
	if i == 0 {
		return false
	}
	prev, s := &segs[i-1], &segs[i]
	if prev.InitVer != s.InitVer {
		return false
	}
	end, ok := prev.Ends[at.id]
	if !ok {
		return false
	}
	d := int64(s.Starts[at.id]) - int64(end)
	return d > -int64(at.frame) && d < int64(at.frame)
}

// dropTrailingSliver drops a last audio piece shorter than MinPiece that
// could not be merged: a frame or two left after the video's last kept
// span by the cut's rounding to the audio frame grid (it would end the
// audio a sliver after the video, in a segment of its own).
func dropTrailingSliver(ps []Piece) []Piece {
	if n := len(ps); n > 1 && ps[n-1].Duration < MinPiece {
		return ps[:n-1]
	}
	return ps
}
