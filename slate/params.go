package slate

import (
	"encoding/binary"

	"github.com/Eyevinn/mp4ff/mp4"
)

// paramSets returns the H.264 SPS and PPS of a video trak as 4-byte
// length-prefixed NAL units, ready to prepend to an IDR sample. Players
// that keep the previous decoder configuration across an EXT-X-MAP change
// (ffmpeg's HLS demuxer does) then decode the first frame after a splice
// with the right parameters. Nil for other codecs.
func paramSets(trak *mp4.TrakBox) []byte {
	if trak == nil || trak.Mdia.Minf.Stbl.Stsd == nil || trak.Mdia.Minf.Stbl.Stsd.AvcX == nil {
		return nil
	}
	avcC := trak.Mdia.Minf.Stbl.Stsd.AvcX.AvcC
	if avcC == nil {
		return nil
	}
	var out []byte
	for _, nalus := range [][][]byte{avcC.SPSnalus, avcC.PPSnalus} {
		for _, n := range nalus {
			out = binary.BigEndian.AppendUint32(out, uint32(len(n)))
			out = append(out, n...)
		}
	}
	return out
}

// withParams returns s with ps prepended to its data (a copy).
func withParams(s mp4.FullSample, ps []byte) mp4.FullSample {
	if len(ps) == 0 {
		return s
	}
	data := make([]byte, 0, len(ps)+len(s.Data))
	s.Data = append(append(data, ps...), s.Data...)
	s.Size = uint32(len(s.Data))
	return s
}

func videoTrak(in *mp4.InitSegment, id uint32) *mp4.TrakBox {
	for _, t := range in.Moov.Traks {
		if t.Tkhd.TrackID == id {
			return t
		}
	}
	return nil
}

// WithParamSets rebuilds a host segment with the host's parameter sets
// in band on its first video sample: the first live segment after a slate
// must not depend on the decoder remembering them.
func WithParamSets(seg []byte, hostInit *mp4.InitSegment) (out []byte, err error) {
	defer recoverErr("param sets", &err)
	h, err := decodeHost(seg, hostInit)
	if err != nil {
		return nil, err
	}
	p, err := h.livePart(h.video, h.audio)
	if err != nil {
		return nil, err
	}
	return p.Data, nil
}
