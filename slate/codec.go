package slate

import (
	"bytes"
	"fmt"

	"github.com/Eyevinn/mp4ff/mp4"

	"hlsorigin/segments"
)

// Codec is the slate's RFC 6381 video codec string ("avc1.4d4028"), read
// from its init segment ("" when it cannot be parsed).
func (sl *Slate) Codec() string {
	in, err := segments.ParseInit(sl.initBytes)
	if err != nil {
		return ""
	}
	v, _ := in.Video()
	return v.Codec
}

// File returns the slate as a fragmented MP4 (its init and one fragment
// of its samples), the input of a conversion to another resolution.
func (sl *Slate) File() (out []byte, err error) {
	defer recoverErr("slate file", &err)
	f, err := mp4.DecodeFile(bytes.NewReader(sl.initBytes))
	if err != nil || f.Init == nil || f.Init.Moov.Trak == nil {
		return nil, fmt.Errorf("slate %s init: %w: %v", sl.ID, ErrSlate, err)
	}
	frag, err := mp4.CreateFragment(1, f.Init.Moov.Trak.Tkhd.TrackID)
	if err != nil {
		return nil, fmt.Errorf("slate %s: %w: %v", sl.ID, ErrSlate, err)
	}
	for _, s := range sl.Samples {
		frag.AddFullSample(s)
	}
	b := bytes.NewBuffer(bytes.Clone(sl.initBytes))
	if err := frag.Encode(b); err != nil {
		return nil, fmt.Errorf("slate %s: %w: %v", sl.ID, ErrSlate, err)
	}
	return b.Bytes(), nil
}
