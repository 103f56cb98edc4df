package slate

import (
	"bytes"
	"fmt"
	"math"

	"github.com/Eyevinn/mp4ff/mp4"
)

// AACFrame is the duration of one AAC-LC frame, in samples.
const AACFrame = 1024

// Fill describes one segment the origin generates with no host media:
// slate video (when the init has a video track) and silent audio (when it
// has an audio track and Silence is set), covering media time
// [Start, End) seconds.
type Fill struct {
	Start, End float64
	// AudioStart is the decode time (audio timescale) of the first audio
	// frame: where the rendition's audio ended, so audio runs on without a
	// gap. The last frame ends at or after End, within one frame.
	AudioStart uint64
	Silence    []byte // one silent AAC frame matching the init's audio
	SeqNr      uint32 // moof sequence number
}

// Generate builds a complete CMAF media segment for f under init: the
// combined init of a slate over a muxed or video-only rendition (video
// track = the slate's), or a demuxed audio rendition's own init (audio
// only). sl may be nil for audio only.
func Generate(init *mp4.InitSegment, sl *Slate, f Fill) (p Part, err error) {
	defer recoverErr("generate", &err)
	if f.End <= f.Start {
		return Part{}, fmt.Errorf("empty span %.3f..%.3f: %w", f.Start, f.End, ErrSlate)
	}
	videoID, audioID := trackIDs(init)
	var video, audio []mp4.FullSample
	if videoID != 0 {
		if sl == nil {
			return Part{}, fmt.Errorf("video track without a slate: %w", ErrSlate)
		}
		ts := float64(sl.Timescale)
		video = sl.frames(uint64(math.Round(f.Start*ts)), uint64(math.Round(f.End*ts)))
		video[0] = withParams(video[0], sl.params)
	}
	if audioID != 0 && len(f.Silence) > 0 {
		audio = silentFrames(f, timescaleOf(init, audioID))
	}
	if len(video) == 0 && len(audio) == 0 {
		return Part{}, fmt.Errorf("nothing to generate: %w", ErrSlate)
	}
	data, err := encodeTracks(f.SeqNr, []uint32{videoID, audioID}, [][]mp4.FullSample{video, audio})
	if err != nil {
		return Part{}, err
	}
	return Part{Kind: PartSlate, Data: data, Start: f.Start, Duration: f.End - f.Start, VideoSamples: len(video)}, nil
}

// silentFrames returns AAC frames from f.AudioStart to the frame boundary
// nearest f.End (at least one frame).
func silentFrames(f Fill, ts uint32) []mp4.FullSample {
	end := uint64(math.Round(f.End * float64(ts)))
	n := 1
	if end > f.AudioStart {
		n = max(1, int(math.Round(float64(end-f.AudioStart)/AACFrame)))
	}
	out := make([]mp4.FullSample, n)
	for i := range out {
		out[i] = mp4.FullSample{Sample: mp4.Sample{Flags: mp4.SyncSampleFlags, Dur: AACFrame, Size: uint32(len(f.Silence))},
			DecodeTime: f.AudioStart + uint64(i)*AACFrame, Data: f.Silence}
	}
	return out
}

func timescaleOf(in *mp4.InitSegment, id uint32) uint32 {
	for _, t := range in.Moov.Traks {
		if t.Tkhd.TrackID == id {
			return t.Mdia.Mdhd.Timescale
		}
	}
	return 0
}

// encodeTracks builds one fragment with the samples of each track (track
// ID 0 or no samples: left out), one track after the other.
func encodeTracks(seqNr uint32, ids []uint32, samples [][]mp4.FullSample) ([]byte, error) {
	var use []uint32
	for i, id := range ids {
		if id != 0 && len(samples[i]) > 0 {
			use = append(use, id)
		}
	}
	frag, err := mp4.CreateMultiTrackFragment(seqNr, use)
	if err != nil {
		return nil, fmt.Errorf("fragment: %w: %v", ErrSlate, err)
	}
	for i, id := range ids {
		if id == 0 {
			continue
		}
		for _, s := range samples[i] {
			if err := frag.AddFullSampleToTrack(s, id); err != nil {
				return nil, fmt.Errorf("add sample: %w: %v", ErrSlate, err)
			}
		}
	}
	seg := mp4.NewMediaSegment()
	seg.AddFragment(frag)
	var b bytes.Buffer
	if err := seg.Encode(&b); err != nil {
		return nil, fmt.Errorf("encode: %w: %v", ErrSlate, err)
	}
	return b.Bytes(), nil
}
