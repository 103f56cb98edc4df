package manifest

import (
	"fmt"
	"strconv"
	"strings"
)

// avc is an RFC 6381 H.264 codec string: avc1.PPCCLL (profile_idc,
// constraint_set flags, level_idc).
type avc struct {
	fourcc                string
	profile, flags, level uint8
}

func parseAVC(c string) (avc, bool) {
	c = strings.TrimSpace(c)
	f, hex, ok := strings.Cut(c, ".")
	if !ok || (f != "avc1" && f != "avc3") || len(hex) != 6 {
		return avc{}, false
	}
	v, err := strconv.ParseUint(hex, 16, 32)
	if err != nil {
		return avc{}, false
	}
	return avc{f, uint8(v >> 16), uint8(v >> 8), uint8(v)}, true
}

func (a avc) String() string {
	return fmt.Sprintf("%s.%02x%02x%02x", a.fourcc, a.profile, a.flags, a.level)
}

// avcRank orders the 8-bit 4:2:0 profiles by what a decoder of each also
// decodes: Baseline (66, as constrained baseline) < Main (77) < High (100).
var avcRank = map[uint8]int{66: 0, 77: 1, 100: 2}

// CoverAVC returns one H.264 codec string that covers every one given: the
// highest profile, the highest level, and only the constraint flags every
// stream sets. A variant whose segments use several profiles or levels (the
// host's video and a slate spliced in) declares it: RFC 8216 4.3.4.2 wants
// CODECS to identify every media format of every segment of the variant,
// and a decoder of the declared profile and level decodes each of them
// (a High decoder decodes Main and Constrained Baseline, a level-4.0
// decoder a level-3.0 stream). false when a string is not H.264 or the
// profiles are outside Baseline/Main/High.
func CoverAVC(codecs ...string) (string, bool) {
	var out avc
	for i, c := range codecs {
		a, ok := parseAVC(c)
		if _, known := avcRank[a.profile]; !ok || !known {
			return "", false
		}
		if i == 0 {
			out = a
			continue
		}
		if avcRank[a.profile] > avcRank[out.profile] {
			out.profile = a.profile
		}
		out.level = max(out.level, a.level)
		out.flags &= a.flags
	}
	return out.String(), len(codecs) > 0
}

// CodecCovers reports whether a declared codec string covers the codec of
// a segment: the same string (case-insensitive), or for H.264 the same
// sample entry with a profile and level at least the segment's and no
// constraint flag the segment does not set.
func CodecCovers(declared, actual string) bool {
	if strings.EqualFold(strings.TrimSpace(declared), strings.TrimSpace(actual)) {
		return true
	}
	d, ok1 := parseAVC(declared)
	a, ok2 := parseAVC(actual)
	dr, known1 := avcRank[d.profile]
	ar, known2 := avcRank[a.profile]
	return ok1 && ok2 && known1 && known2 && d.fourcc == a.fourcc && dr >= ar && d.level >= a.level && d.flags&^a.flags == 0
}
