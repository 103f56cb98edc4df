package slate

import "hlsorigin/segments"

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
