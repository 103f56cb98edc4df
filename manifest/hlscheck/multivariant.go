package hlscheck

import (
	"fmt"
	"strconv"

	"hlsorigin/manifest"
)

// strictMultivariant holds the multivariant rules beyond the syntax:
//   - RFC 8216 7: PROGRAM-ID "was removed in protocol compatibility
//     version 6": refused in a playlist of version 6 or later;
//   - 4.3.4.1: every EXT-X-MEDIA TYPE=AUDIO SHOULD have CHANNELS (required
//     here, as the HLS authoring spec requires it).
func strictMultivariant(lines []string) error {
	version := 1
	for _, l := range lines {
		name, val, _ := cut(l)
		switch name {
		case "#EXT-X-VERSION":
			v, err := strconv.Atoi(val)
			if err != nil {
				return fmt.Errorf("4.3.1.2: EXT-X-VERSION %q", val)
			}
			version = v
		case "#EXT-X-STREAM-INF", "#EXT-X-I-FRAME-STREAM-INF":
			a, err := manifest.ParseAttributes(val)
			if _, ok := a["PROGRAM-ID"]; err == nil && ok && version >= 6 {
				return fmt.Errorf("7: PROGRAM-ID was removed in protocol version 6, playlist is version %d: %q", version, l)
			}
		case "#EXT-X-MEDIA":
			a, err := manifest.ParseAttributes(val)
			if err == nil && a["TYPE"] == "AUDIO" && a["CHANNELS"] == "" {
				return fmt.Errorf("4.3.4.1: EXT-X-MEDIA TYPE=AUDIO without CHANNELS: %q", l)
			}
		}
	}
	return nil
}
