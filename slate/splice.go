package slate

import (
	"bytes"
	"fmt"
	"math"

	"github.com/Eyevinn/mp4ff/mp4"
)

// Cut is a pause interval in the host segment's media time (seconds).
type Cut struct {
	PauseAt  float64 // math.Inf(-1): paused since before this segment
	ResumeAt float64 // math.Inf(+1): still paused
	Mute     bool    // replace host audio by Silence, frame for frame
	Silence  []byte  // one silent AAC frame matching the host audio
}

// PartKind tells which init a part decodes with.
type PartKind string

// Part kinds: host media under the host init, or slate video (plus host
// audio) under the combined init.
const (
	PartLive  PartKind = "live"
	PartSlate PartKind = "slate"
)

// Part is one output segment.
type Part struct {
	Kind         PartKind
	Data         []byte  // a complete CMAF media segment
	Start        float64 // media seconds where its video (else audio) starts
	Duration     float64 // seconds of video (else audio)
	VideoSamples int
}

// host holds the decoded samples of one host segment.
type host struct {
	videoID, audioID uint32
	vts, ats         float64
	video, audio     []mp4.FullSample
	seqNr            uint32
	styp             *mp4.StypBox
	params           []byte // host SPS/PPS, prepended to the first frame of live parts
	mediaTime        uint64 // host video edit list media time (see editMediaTime)
}

// Splice applies a pause interval to one host media segment (muxed or
// video-only). Host video samples from the first one (decode order)
// presented at or after PauseAt, up to the first sync sample presented at
// or after ResumeAt, are removed and replaced by slate video covering the
// same decode-time span; host audio is split at frame boundaries at the same
// instants. Parts come out in time order: at most live, slate, live.
func Splice(seg []byte, hostInit *mp4.InitSegment, sl *Slate, cut Cut) (parts []Part, err error) {
	defer recoverErr("splice", &err)
	h, err := decodeHost(seg, hostInit)
	if err != nil {
		return nil, err
	}
	k, r := h.cutPoints(cut)
	mute := h.muteWindow(cut, k, r)
	if k == r && !h.mutes(mute) {
		return []Part{{Kind: PartLive, Data: seg, Start: h.videoStart(), Duration: h.videoSpan(0, len(h.video)),
			VideoSamples: len(h.video)}}, nil
	}
	sp := []span{{kind: PartLive, v1: len(h.video), a1: len(h.audio)}} // no video to cut: audio to mute
	if k != r {
		sp = h.spansFor(k, r)
	}
	for i, s := range sp {
		p, err := h.spanPart(sl, s, mute, cut)
		if err != nil {
			return nil, fmt.Errorf("part %d of %d: %w", i+1, len(sp), err)
		}
		parts = append(parts, p)
	}
	return parts, nil
}

func decodeHost(seg []byte, in *mp4.InitSegment) (*host, error) {
	f, err := mp4.DecodeFile(bytes.NewReader(seg))
	if err != nil || len(f.Segments) == 0 {
		return nil, fmt.Errorf("decode segment: %w: %v", ErrSlate, err)
	}
	h := &host{}
	h.videoID, h.audioID = trackIDs(in)
	if h.videoID == 0 {
		return nil, fmt.Errorf("host init has no video: %w", ErrSlate)
	}
	for _, t := range in.Moov.Traks {
		ts := float64(t.Mdia.Mdhd.Timescale)
		if t.Tkhd.TrackID == h.videoID {
			h.vts = ts
		} else if t.Tkhd.TrackID == h.audioID {
			h.ats = ts
		}
	}
	h.styp = f.Segments[0].Styp
	h.params = paramSets(videoTrak(in, h.videoID))
	h.mediaTime = editMediaTime(videoTrak(in, h.videoID))
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
	if len(h.video) == 0 {
		return nil, fmt.Errorf("segment without video samples: %w", ErrSlate)
	}
	return h, nil
}

func (h *host) addFragment(frag *mp4.Fragment, in *mp4.InitSegment) error {
	for _, traf := range frag.Moof.Trafs {
		id := traf.Tfhd.TrackID
		if id != h.videoID && id != h.audioID {
			return fmt.Errorf("track %d not in the init: %w", id, ErrSlate)
		}
		ss, err := frag.GetFullSamples(trexFor(in, id))
		if err != nil {
			return fmt.Errorf("samples of track %d: %w: %v", id, ErrSlate, err)
		}
		if id == h.videoID {
			h.video = append(h.video, ss...)
		} else {
			h.audio = append(h.audio, ss...)
		}
	}
	return nil
}

// cutPoints returns k, the first video sample (decode order) presented at
// or after PauseAt, and r, the first sync sample at or after k presented
// at or after ResumeAt (len(video) when none).
func (h *host) cutPoints(cut Cut) (k, r int) {
	n := len(h.video)
	pt := func(i int) float64 { return float64(h.video[i].PresentationTime()) / h.vts }
	k = n
	for i := 0; i < n; i++ {
		if math.IsInf(cut.PauseAt, -1) || pt(i) >= cut.PauseAt {
			k = i
			break
		}
	}
	r = n
	for i := k; i < n; i++ {
		if h.video[i].IsSync() && pt(i) >= cut.ResumeAt {
			r = i
			break
		}
	}
	return k, r
}

// videoTime is the decode time (seconds) of video sample i (or the end).
func (h *host) videoTime(i int) float64 {
	if i < len(h.video) {
		return float64(h.video[i].DecodeTime) / h.vts
	}
	last := h.video[len(h.video)-1]
	return float64(last.DecodeTime+uint64(last.Dur)) / h.vts
}

func (h *host) videoStart() float64 { return h.videoTime(0) }

func (h *host) videoSpan(from, to int) float64 { return h.videoTime(to) - h.videoTime(from) }

// audioIndex is the first audio frame starting at or after t seconds.
func (h *host) audioIndex(t float64) int {
	for i, s := range h.audio {
		if float64(s.DecodeTime)/h.ats >= t {
			return i
		}
	}
	return len(h.audio)
}

// encode builds one fragment: all video samples, then all audio samples
// (videoID 0: an audio-only fragment).
func (h *host) encode(videoID uint32, video, audio []mp4.FullSample) ([]byte, error) {
	var ids []uint32
	if videoID != 0 {
		ids = append(ids, videoID)
	}
	if len(audio) > 0 {
		ids = append(ids, h.audioID)
	}
	frag, err := mp4.CreateMultiTrackFragment(h.seqNr, ids)
	if err != nil {
		return nil, fmt.Errorf("fragment: %w: %v", ErrSlate, err)
	}
	for _, s := range video {
		if err := frag.AddFullSampleToTrack(s, videoID); err != nil {
			return nil, fmt.Errorf("add video: %w: %v", ErrSlate, err)
		}
	}
	for _, s := range audio {
		if err := frag.AddFullSampleToTrack(s, h.audioID); err != nil {
			return nil, fmt.Errorf("add audio: %w: %v", ErrSlate, err)
		}
	}
	for _, traf := range frag.Moof.Trafs {
		// ISO/IEC 14496-12 8.8.12: version 1 carries a 64-bit
		// baseMediaDecodeTime; encoders (ffmpeg) always write it, and some
		// readers accept nothing else.
		traf.Tfdt.Version = 1
	}
	seg := mp4.NewMediaSegmentWithoutStyp()
	if h.styp != nil {
		seg = mp4.NewMediaSegmentWithStyp(h.styp)
	}
	seg.AddFragment(frag)
	var b bytes.Buffer
	if err := seg.Encode(&b); err != nil {
		return nil, fmt.Errorf("encode: %w: %v", ErrSlate, err)
	}
	return b.Bytes(), nil
}
