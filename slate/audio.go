package slate

import (
	"bytes"
	"fmt"
	"math"

	"github.com/Eyevinn/mp4ff/mp4"
)

// SpliceAudio applies a pause interval to one segment of a demuxed audio
// rendition, so that it follows the video renditions: the segment is split
// at the last audio frame boundary at or before PauseAt and the first at or
// after ResumeAt (media seconds: the paused part covers the video's slate,
// so a replay that leaves out the video's slate spans never trims a live
// audio part) into at most live, paused (PartSlate: host audio, or silence
// when muted), live, each under the host init. Muted, every frame
// overlapping [PauseAt, ResumeAt) is silence. Frames are never dropped,
// repeated or retimed; every part holds at least one (a boundary that
// would leave a part empty is dropped, the paused part widening).
func SpliceAudio(seg []byte, hostInit *mp4.InitSegment, cut Cut) (parts []Part, err error) {
	defer recoverErr("splice audio", &err)
	h, err := decodeAudio(seg, hostInit)
	if err != nil {
		return nil, err
	}
	n := len(h.audio)
	k, r := 0, n
	if !math.IsInf(cut.PauseAt, -1) {
		k = h.frameAtOrBefore(cut.PauseAt)
	}
	if !math.IsInf(cut.ResumeAt, 1) {
		r = max(k, h.frameAtOrAfter(cut.ResumeAt))
	}
	var sp []span
	if k > 0 {
		sp = append(sp, span{kind: PartLive, a0: 0, a1: k})
	}
	if r > k {
		sp = append(sp, span{kind: PartSlate, a0: k, a1: r})
	}
	if r < n {
		sp = append(sp, span{kind: PartLive, a0: r, a1: n})
	}
	mute := [2]float64{math.Inf(1), math.Inf(1)}
	if cut.Mute {
		mute = [2]float64{cut.PauseAt, cut.ResumeAt}
	}
	for _, s := range sp {
		p, err := h.audioPart(s, mute, cut.Silence)
		if err != nil {
			return nil, err
		}
		parts = append(parts, p)
	}
	return parts, nil
}

// frameAtOrBefore is the last audio frame boundary (0..n) at or before t,
// frameAtOrAfter the first at or after it (1 us of rounding slack).
func (h *host) frameAtOrBefore(t float64) int {
	i := len(h.audio)
	for i > 0 && h.audioTime(i) > t+1e-6 {
		i--
	}
	return i
}

func (h *host) frameAtOrAfter(t float64) int {
	i := 0
	for i < len(h.audio) && h.audioTime(i) < t-1e-6 {
		i++
	}
	return i
}

// audioTime is the decode time (seconds) of audio frame i (or the end).
func (h *host) audioTime(i int) float64 {
	if i < len(h.audio) {
		return float64(h.audio[i].DecodeTime) / h.ats
	}
	last := h.audio[len(h.audio)-1]
	return float64(last.DecodeTime+uint64(last.Dur)) / h.ats
}

func (h *host) audioPart(s span, mute [2]float64, silence []byte) (Part, error) {
	audio, err := h.muteAudio(h.audio[s.a0:s.a1], mute, silence)
	if err != nil {
		return Part{}, err
	}
	data, err := h.encode(0, nil, audio)
	if err != nil {
		return Part{}, err
	}
	start := h.audioTime(s.a0)
	return Part{Kind: s.kind, Data: data, Start: start, Duration: h.audioTime(s.a1) - start}, nil
}

// decodeAudio decodes a segment of an audio-only init.
func decodeAudio(seg []byte, in *mp4.InitSegment) (*host, error) {
	f, err := mp4.DecodeFile(bytes.NewReader(seg))
	if err != nil || len(f.Segments) == 0 {
		return nil, fmt.Errorf("decode segment: %w: %v", ErrSlate, err)
	}
	h := &host{}
	h.videoID, h.audioID = trackIDs(in)
	if h.videoID != 0 || h.audioID == 0 || len(in.Moov.Traks) != 1 {
		return nil, fmt.Errorf("want an audio-only init: %w", ErrSlate)
	}
	h.ats = float64(in.Moov.Trak.Mdia.Mdhd.Timescale)
	h.styp = f.Segments[0].Styp
	for _, s := range f.Segments {
		for _, frag := range s.Fragments {
			if h.seqNr == 0 {
				h.seqNr = frag.Moof.Mfhd.SequenceNumber
			}
			if err := h.addFragment(frag, in); err != nil {
				return nil, err
			}
		}
	}
	if len(h.audio) == 0 || h.ats == 0 {
		return nil, fmt.Errorf("segment without audio samples: %w", ErrSlate)
	}
	return h, nil
}
