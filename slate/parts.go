package slate

import (
	"fmt"
	"math"

	"github.com/Eyevinn/mp4ff/mp4"
)

// span is one output part of a host segment: host video samples [v0, v1)
// (decode order) kept (live) or replaced by slate video, and host audio
// frames [a0, a1).
type span struct {
	kind   PartKind
	v0, v1 int
	a0, a1 int
}

// spansFor splits a host segment at video samples k (pause) and r
// (resume) into at most live, slate, live, and gives each span its audio.
//
// A part is decoded under an init that declares every host track, and a
// CMAF fragment needs at least one sample per track, so when the host has
// audio every span gets at least one audio frame: a boundary moves by whole
// frames to the nearest one that leaves its neighbour non-empty (the first
// audio frame of a segment often starts after its first video frame, and
// the last one before its end). Audio frames are never dropped, repeated or
// retimed. When a segment holds fewer audio frames than spans, the slate
// widens over the live spans (cut earlier, resume later).
func (h *host) spansFor(k, r int) []span {
	n := len(h.video)
	if len(h.audio) > 0 && len(h.audio) < countSpans(k, r, n) {
		k, r = 0, n
	}
	var sp []span
	if k > 0 {
		sp = append(sp, span{kind: PartLive, v0: 0, v1: k})
	}
	sp = append(sp, span{kind: PartSlate, v0: k, v1: r})
	if r < n {
		sp = append(sp, span{kind: PartLive, v0: r, v1: n})
	}
	h.assignAudio(sp)
	return sp
}

func countSpans(k, r, n int) int {
	c := 1
	if k > 0 {
		c++
	}
	if r < n {
		c++
	}
	return c
}

// assignAudio sets the audio frame range of each span: a boundary at video
// time t goes to the first audio frame starting at or after t, then is
// moved so that every span holds at least one frame.
func (h *host) assignAudio(sp []span) {
	na := len(h.audio)
	cuts := make([]int, len(sp)+1) // cuts[i] is the first audio frame of span i
	cuts[len(sp)] = na
	for i := 1; i < len(sp); i++ {
		cuts[i] = h.audioIndex(h.videoTime(sp[i].v0))
	}
	if na > 0 {
		for i := 1; i < len(sp); i++ {
			cuts[i] = max(cuts[i], cuts[i-1]+1)
		}
		for i := len(sp) - 1; i >= 1; i-- {
			cuts[i] = min(cuts[i], cuts[i+1]-1)
		}
	}
	for i := range sp {
		sp[i].a0, sp[i].a1 = cuts[i], cuts[i+1]
	}
}

// muteWindow is the media interval (seconds) whose audio is silenced when
// muted: from the earlier of the pause instant and the first removed video
// sample, to the resuming sync sample. Every audio frame overlapping it is
// replaced, in whichever part it lands.
func (h *host) muteWindow(cut Cut, k, r int) [2]float64 {
	if !cut.Mute {
		return [2]float64{math.Inf(1), math.Inf(1)}
	}
	from, to := cut.PauseAt, math.Inf(1)
	if k < len(h.video) {
		from = math.Min(from, h.videoTime(k))
	}
	if r < len(h.video) {
		to = h.videoTime(r)
	}
	return [2]float64{from, to}
}

// mutes reports whether an audio frame overlaps the mute window.
func (h *host) mutes(mute [2]float64) bool {
	for _, s := range h.audio {
		if float64(s.DecodeTime+uint64(s.Dur))/h.ats > mute[0] && float64(s.DecodeTime)/h.ats < mute[1] {
			return true
		}
	}
	return false
}

func (h *host) spanPart(sl *Slate, s span, mute [2]float64, cut Cut) (Part, error) {
	audio, err := h.muteAudio(h.audio[s.a0:s.a1], mute, cut.Silence)
	if err != nil {
		return Part{}, err
	}
	if s.kind == PartLive {
		return h.livePart(h.video[s.v0:s.v1], audio)
	}
	return h.slatePart(sl, h.videoTime(s.v0), h.videoTime(s.v1), audio)
}

// muteAudio replaces the frames overlapping the mute window by silence
// (a copy; timing kept).
func (h *host) muteAudio(audio []mp4.FullSample, mute [2]float64, silence []byte) ([]mp4.FullSample, error) {
	out, copied := audio, false
	for i, s := range audio {
		start := float64(s.DecodeTime) / h.ats
		end := float64(s.DecodeTime+uint64(s.Dur)) / h.ats
		if end <= mute[0] || start >= mute[1] {
			continue
		}
		if len(silence) == 0 {
			return nil, fmt.Errorf("mute without a silence frame: %w", ErrSlate)
		}
		if !copied {
			out, copied = append([]mp4.FullSample(nil), audio...), true
		}
		out[i].Data, out[i].Size = silence, uint32(len(silence))
	}
	return out, nil
}

func (h *host) livePart(video, audio []mp4.FullSample) (Part, error) {
	video = append([]mp4.FullSample{withParams(video[0], h.params)}, video[1:]...)
	data, err := h.encode(h.videoID, video, audio)
	if err != nil {
		return Part{}, err
	}
	start := float64(video[0].DecodeTime) / h.vts
	last := video[len(video)-1]
	end := float64(last.DecodeTime+uint64(last.Dur)) / h.vts
	return Part{Kind: PartLive, Data: data, Start: start, Duration: end - start, VideoSamples: len(video)}, nil
}

func (h *host) slatePart(sl *Slate, tA, tB float64, audio []mp4.FullSample) (Part, error) {
	ts := float64(sl.Timescale)
	frames := sl.frames(uint64(math.Round(tA*ts)), uint64(math.Round(tB*ts)))
	if len(frames) == 0 {
		return Part{}, fmt.Errorf("empty slate span %.3f..%.3f: %w", tA, tB, ErrSlate)
	}
	cto := uint32(math.Round(float64(h.mediaTime) * ts / h.vts))
	for i := range frames {
		frames[i].CompositionTimeOffset = int32(cto)
	}
	frames[0] = withParams(frames[0], sl.params)
	data, err := h.encode(h.videoID, frames, audio)
	if err != nil {
		return Part{}, err
	}
	return Part{Kind: PartSlate, Data: data, Start: tA, Duration: tB - tA, VideoSamples: len(frames)}, nil
}

// editMediaTime is the media time (track timescale) where the
// presentation of a trak starts by its edit list: ffmpeg writes the first
// frame's composition offset there when the video has B-frames. Slate
// frames carry it as their composition offset under the same edit list, so
// they present at their decode time like the host's frames do.
func editMediaTime(trak *mp4.TrakBox) uint64 {
	if trak == nil || trak.Edts == nil {
		return 0
	}
	for _, elst := range trak.Edts.Elst {
		for _, e := range elst.Entries {
			if e.MediaTime >= 0 {
				return uint64(e.MediaTime)
			}
		}
	}
	return 0
}
