package slate

import (
	"bytes"

	"github.com/Eyevinn/mp4ff/mp4"
)

// keepAudio remuxes an upload's AAC track, without re-encoding, to a
// fragmented MP4 of its own (init + one fragment from decode time 0), the
// slate's audio. Nil when it cannot be kept: the slate is then silent, as
// an upload's audio never decides whether the slate is accepted.
func keepAudio(f *mp4.File, file []byte, atrak *mp4.TrakBox, lim Limits) (out []byte) {
	defer func() {
		if recover() != nil {
			out = nil
		}
	}()
	alim := lim
	alim.MaxVideoBytes, alim.MaxFrames = 4<<20, 20000 // 60 s of 320 kbit/s AAC at 48 kHz fits
	var ss []mp4.FullSample
	var err error
	if f.IsFragmented() {
		ss, err = fragmentedSamples(f, atrak.Tkhd.TrackID, alim)
	} else {
		ss, err = progressiveSamples(file, atrak, alim)
	}
	if err != nil || len(ss) == 0 || atrak.Mdia.Minf.Stbl.Stsd.Mp4a == nil {
		return nil
	}
	init := mp4.CreateEmptyInit()
	trak := init.AddEmptyTrack(atrak.Mdia.Mdhd.Timescale, "audio", "und")
	trak.Mdia.Minf.Stbl.Stsd.AddChild(atrak.Mdia.Minf.Stbl.Stsd.Mp4a)
	frag, err := mp4.CreateFragment(1, trak.Tkhd.TrackID)
	if err != nil {
		return nil
	}
	base := ss[0].DecodeTime
	for _, s := range ss {
		s.DecodeTime -= base
		s.CompositionTimeOffset = 0
		frag.AddFullSample(s)
	}
	var b bytes.Buffer
	seg := mp4.NewMediaSegment()
	seg.AddFragment(frag)
	if init.Encode(&b) != nil || seg.Encode(&b) != nil {
		return nil
	}
	if _, err := CheckAudio(b.Bytes()); err != nil {
		return nil
	}
	return b.Bytes()
}
