package origin

import (
	"fmt"
	"math"
	"time"

	"hlsorigin/segments"
	"hlsorigin/slate"
	"hlsorigin/timeline"
)

// genName is the ingest name of generated segments (no encoder can PUT
// it: '~' is not allowed in ingest names).
const genName = "~generated"

// generate appends one generated segment to r: the slate g.Slate (the
// variant nearest r's resolution) under its combined init with silent
// audio for a muxed audio track, or silence alone in a demuxed audio
// rendition; media time, audio decode time and program date time continue
// from r's last segment. Called with ingestMu and mu held.
func (r *Rendition) generate(g timeline.Segment, now time.Time) error {
	live := r.inits[r.rec.InitVer]
	if live == nil || len(r.segs) == 0 {
		return fmt.Errorf("rendition %s has no media yet: %w", r.name, ErrNotLive)
	}
	last := r.segs[len(r.segs)-1]
	initVer, in, sl := r.rec.InitVer, live, (*slate.Slate)(nil)
	if v, ok := live.Video(); ok {
		sl = r.ch.o.slates.variant(g.Slate, v.Width, v.Height)
		ver, err := r.slateInit(live, v.ID, sl, "live")
		if err != nil {
			return err
		}
		initVer, in = ver, r.inits[ver]
	}
	f := slate.Fill{Start: g.MediaStart, End: g.MediaStart + g.Duration, SeqNr: uint32(r.nextSeq + 1)}
	if a, ok := live.Audio(); ok {
		f.AudioStart = audioEnd(last, a, g.MediaStart)
		if sil, err := r.ch.o.silence(a.SampleRate, a.Channels); err == nil {
			f.Silence = sil
		} else if sl == nil {
			return err // an audio rendition with nothing to play
		}
	}
	p, err := slate.Generate(in.MP4, sl, f)
	if err != nil {
		return fmt.Errorf("generate: %w: %v", ErrBadMedia, err)
	}
	info := SegmentInfo{Name: genName, InitVer: initVer, Start: p.Start, Duration: p.Duration, PDT: g.PDT.UTC(),
		Disc: g.Disc, Size: len(p.Data), Kind: string(timeline.KindSlate), Frames: p.VideoSamples, Gen: g.Slate}
	if err := r.partTracks(&info, part{initVer: initVer, data: p.Data}); err != nil {
		return err
	}
	// EXTINF is the planned duration, the same in every rendition (audio
	// frames straddle it by less than a frame, as in host segments).
	return r.store(info, p.Data, now)
}

// audioEnd is the decode time where the rendition's audio ended (its last
// segment's audio track), else media time start on the audio timescale.
func audioEnd(last SegmentInfo, a segments.Track, start float64) uint64 {
	if e, ok := last.Ends[a.ID]; ok {
		return e
	}
	return uint64(math.Round(start * float64(a.Timescale)))
}
