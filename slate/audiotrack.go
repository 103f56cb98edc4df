package slate

import (
	"bytes"
	"fmt"

	"github.com/Eyevinn/mp4ff/mp4"
)

// AudioInfo describes a slate's own audio track: fragmented MP4, one AAC
// track (kept for a later "audio: slate" pause mode).
type AudioInfo struct {
	SampleRate int
	Samples    int
	Duration   float64 // seconds
}

// CheckAudio validates a slate audio file: init plus fragments, exactly
// one AAC track, at least one sample.
func CheckAudio(file []byte) (info AudioInfo, err error) {
	defer recoverErr("slate audio", &err)
	f, err := mp4.DecodeFile(bytes.NewReader(file))
	if err != nil {
		return info, fmt.Errorf("slate audio: %w: %v", ErrSlate, err)
	}
	if f.Init == nil || len(f.Init.Moov.Traks) != 1 || f.Init.Moov.Trak.Mdia.Minf.Stbl.Stsd.Mp4a == nil {
		return info, fmt.Errorf("slate audio: want one AAC track: %w", ErrSlate)
	}
	ts := f.Init.Moov.Trak.Mdia.Mdhd.Timescale
	var dur uint64
	for _, seg := range f.Segments {
		for _, frag := range seg.Fragments {
			ss, err := frag.GetFullSamples(f.Init.Moov.Mvex.Trex)
			if err != nil {
				return info, fmt.Errorf("slate audio samples: %w: %v", ErrSlate, err)
			}
			for _, s := range ss {
				dur += uint64(s.Dur)
			}
			info.Samples += len(ss)
		}
	}
	if info.Samples == 0 || ts == 0 {
		return info, fmt.Errorf("slate audio has no samples: %w", ErrSlate)
	}
	info.SampleRate = int(f.Init.Moov.Trak.Mdia.Minf.Stbl.Stsd.Mp4a.SampleRate)
	info.Duration = float64(dur) / float64(ts)
	return info, nil
}
