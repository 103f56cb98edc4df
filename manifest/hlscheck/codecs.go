package hlscheck

import (
	"fmt"
	"strings"

	"hlsorigin/manifest"
)

// InitInfo describes the media of one init segment: the RFC 6381 codec of
// each track and the video's resolution (0 x 0 without video).
type InitInfo struct {
	Codecs        []string
	Width, Height int
}

// InitLookup gives the InitInfo of the init segment an EXT-X-MAP URI
// names, as written in the media playlist (the caller resolves and parses
// it: the checker itself reads no media).
type InitLookup func(mapURI string) (InitInfo, error)

// CheckCodecs is the rule "CODECS covers every segment": every track of
// every init segment a media playlist of a variant maps (so every segment
// it serves, slate segments included) has a codec covered by one of the
// variant's CODECS (manifest.CodecCovers: the same format, for H.264 at a
// profile and level at least the segment's), and the video resolution of
// each is the variant's RESOLUTION when it declares one (RFC 8216 4.3.4.2:
// CODECS "MUST" identify "each media format present in every Media Segment";
// a variant's resolution does not change from segment to segment here).
// codecs and resolution are the variant's attributes; playlist is one of
// its media playlists (video, or its AUDIO group's rendition).
func CheckCodecs(codecs, resolution string, playlist []byte, lookup InitLookup) error {
	m, err := parseMedia(playlist)
	if err != nil {
		return err
	}
	declared := strings.Split(codecs, ",")
	seen := map[string]bool{}
	for _, s := range m.segments {
		if s.mapURI == "" || seen[s.mapURI] {
			continue
		}
		seen[s.mapURI] = true
		info, err := lookup(s.mapURI)
		if err != nil {
			return fmt.Errorf("init %s: %v", s.mapURI, err)
		}
		if err := covered(declared, info.Codecs, s.mapURI); err != nil {
			return err
		}
		if res := fmt.Sprintf("%dx%d", info.Width, info.Height); resolution != "" && info.Width > 0 && res != resolution {
			return fmt.Errorf("4.3.4.2: init %s is %s, the variant declares RESOLUTION=%s", s.mapURI, res, resolution)
		}
	}
	if len(seen) == 0 {
		return fmt.Errorf("no EXT-X-MAP: nothing to check CODECS against")
	}
	return nil
}

func covered(declared, actual []string, uri string) error {
	for _, a := range actual {
		ok := false
		for _, d := range declared {
			ok = ok || manifest.CodecCovers(d, a)
		}
		if !ok {
			return fmt.Errorf("4.3.4.2: init %s has %s, CODECS=%q does not cover it", uri, a, strings.Join(declared, ","))
		}
	}
	return nil
}
