package origin

import (
	"bytes"
	"fmt"
	"time"

	"hlsorigin/fixtures"
	"hlsorigin/segments"
	"hlsorigin/slate"
)

// part is one output segment of a spliced input segment.
type part struct {
	kind            string // "" live, "slate"
	disc            bool   // EXT-X-DISCONTINUITY before it (demuxed audio following the video's splice)
	initVer         uint32
	data            []byte
	start, duration float64
	frames          int
}

// splice replaces host video inside a pause with slate video (host audio
// kept, or muted). It returns nil when no pause touches the segment or the
// rendition carries no video (demuxed audio continues untouched). Called
// with ch.mu held.
func (r *Rendition) splice(in *segments.Init, seg *segments.Segment, body []byte, pdt, arrived, earliest time.Time) ([]part, error) {
	v, hasVideo := in.Video()
	if !hasVideo {
		return r.spliceAudio(in, seg, body, pdt, arrived, earliest)
	}
	from, to, p := r.ch.cutAt(seg, pdt, arrived, earliest) // the encoder's clock when known (enctime.go)
	if p == nil {
		return r.afterSlate(in, seg, body, pdt)
	}
	sl := r.ch.o.slates.variant(p.Slate.ID, v.Width, v.Height)
	cut := slate.Cut{PauseAt: from, ResumeAt: to, Mute: p.Audio == "mute"}
	if cut.Mute {
		if a, ok := in.Audio(); ok {
			sil, err := r.ch.o.silence(a.SampleRate, a.Channels)
			if err != nil {
				return nil, err
			}
			cut.Silence = sil
		}
	}
	out, err := slate.Splice(body, in.MP4, sl, cut)
	if err != nil {
		return nil, fmt.Errorf("splice slate into segment: %w: %v", ErrBadMedia, err)
	}
	if len(out) == 1 && out[0].Kind == slate.PartLive && bytes.Equal(out[0].Data, body) {
		// Nothing to cut after all (the resume instant falls before the
		// first sync sample's presentation time, as with B-frames): the
		// segment stays as it is, and after a slate it needs the host's
		// parameter sets in band like any first live segment.
		return r.afterSlate(in, seg, body, pdt)
	}
	slateVer, err := r.slateInit(in, v.ID, sl, p.Audio)
	if err != nil {
		return nil, err
	}
	parts := make([]part, 0, len(out))
	for _, o := range out {
		pt := part{initVer: r.rec.InitVer, data: o.Data, start: o.Start, duration: o.Duration, frames: o.VideoSamples}
		if o.Kind == slate.PartSlate {
			pt.kind, pt.initVer = "slate", slateVer
		}
		parts = append(parts, pt)
	}
	r.ch.noteVideoCut(p, seg.Start, pdt, parts)
	return parts, nil
}

// slateInit returns (creating and storing once) the combined init version
// for a slate variant over the current live init.
func (r *Rendition) slateInit(in *segments.Init, videoID uint32, sl *slate.Slate, audio string) (uint32, error) {
	_, hasAudio := in.Audio()
	key := fmt.Sprintf("%s/%d/%s", sl.ID, r.rec.InitVer, audio)
	if ver, ok := r.rec.SlateInits[key]; ok && r.inits[ver] != nil {
		return ver, nil
	}
	b, err := slate.CombinedInit(in.MP4, videoID, sl, hasAudio)
	if err != nil {
		return 0, fmt.Errorf("combined init: %w: %v", ErrBadMedia, err)
	}
	cin, err := segments.ParseInit(b)
	if err != nil {
		return 0, fmt.Errorf("combined init: %w: %v", ErrBadMedia, err)
	}
	cin.Raw = b
	ver := r.allocVer()
	if err := r.ch.o.store.PutInit(r.ch.rec.ID, r.name, ver, b); err != nil {
		return 0, storageErr("store slate init", err)
	}
	if r.rec.SlateInits == nil {
		r.rec.SlateInits, r.rec.LiveOf = map[string]uint32{}, map[uint32]uint32{}
	}
	r.rec.SlateInits[key], r.rec.LiveOf[ver] = ver, r.rec.InitVer
	r.inits[ver] = cin
	return ver, r.save()
}

// silence returns one silent AAC frame for a rate and channel count. The
// AAC-LC silent frame (no scale factor bands coded) does not depend on the
// sample rate, which only the init's AudioSpecificConfig carries: the
// bundled 44.1 and 48 kHz frames are byte-identical, so any rate uses the
// 48 kHz one and a muted pause never refuses a segment for its rate.
func (o *Origin) silence(rate, channels int) ([]byte, error) {
	file, err := fixtures.Silence(rate, channels)
	if err != nil {
		file, err = fixtures.Silence(48000, channels)
	}
	if err != nil {
		return nil, fmt.Errorf("mute %d Hz x %d channels is not supported: %w", rate, channels, ErrUnprocessable)
	}
	return slate.SilenceFrame(file)
}

// afterSlate rebuilds the first live segment after a slate segment with
// the host's parameter sets in band (see slate.WithParamSets).
func (r *Rendition) afterSlate(in *segments.Init, seg *segments.Segment, body []byte, pdt time.Time) ([]part, error) {
	if n := len(r.segs); n == 0 || r.segs[n-1].Kind != "slate" {
		return nil, nil
	}
	r.ch.noteVideoResume(pdt)
	data, err := slate.WithParamSets(body, in.MP4)
	if err != nil {
		return nil, fmt.Errorf("rebuild segment after slate: %w: %v", ErrBadMedia, err)
	}
	v, _ := in.Video()
	frames := 0
	for _, t := range seg.Tracks {
		if t.TrackID == v.ID {
			frames = t.Samples
		}
	}
	return []part{{initVer: r.rec.InitVer, data: data, start: seg.Start, duration: seg.Duration, frames: frames}}, nil
}
