package hlscheck

import (
	"fmt"
	"math"
	"time"

	"hlsorigin/manifest"
)

// CheckMedia validates one media playlist snapshot.
func CheckMedia(b []byte) error {
	m, err := parseMedia(b)
	if err != nil {
		return err
	}
	return checkSnapshot(m)
}

func checkSnapshot(m *media) error {
	if !m.hasTarget {
		return fmt.Errorf("4.3.3.1: EXT-X-TARGETDURATION is REQUIRED")
	}
	for i, s := range m.segments {
		// 4.3.3.1: "The EXTINF duration of each Media Segment in the Playlist
		// file, when rounded to the nearest integer, MUST be less than or
		// equal to the target duration."
		if int(math.Round(s.duration)) > m.target {
			return fmt.Errorf("4.3.3.1: segment %d (%s) lasts %.3f s > target %d", i, s.uri, s.duration, m.target)
		}
		if s.mapURI != "" && m.version < 6 {
			return fmt.Errorf("7: EXT-X-MAP in a media playlist needs version >= 6, have %d", m.version)
		}
	}
	if err := checkMaps(m); err != nil {
		return err
	}
	if len(m.dateRanges) > 0 && !m.hasPDT {
		return fmt.Errorf("4.3.2.7: a playlist with EXT-X-DATERANGE MUST contain EXT-X-PROGRAM-DATE-TIME")
	}
	for _, d := range m.dateRanges {
		if err := checkDateRange(d); err != nil {
			return err
		}
	}
	if m.playlistType == "VOD" && !m.ended {
		return fmt.Errorf("4.3.3.5: a VOD playlist must end with EXT-X-ENDLIST")
	}
	return nil
}

// checkMaps: fMP4 segments need EXT-X-MAP before the first segment, and a
// new one after each discontinuity (the init may change there).
func checkMaps(m *media) error {
	prev := ""
	for i, s := range m.segments {
		if s.mapURI == "" {
			return fmt.Errorf("3.3: fMP4 segment %d (%s) has no EXT-X-MAP", i, s.uri)
		}
		if i > 0 && s.mapURI != prev && !s.disc {
			return fmt.Errorf("4.3.2.5: init changes at segment %d (%s) without EXT-X-DISCONTINUITY", i, s.uri)
		}
		prev = s.mapURI
	}
	return nil
}

func checkDateRange(d map[string]string) error {
	if d["ID"] == "" {
		return fmt.Errorf("4.3.2.7: EXT-X-DATERANGE without ID")
	}
	start, err := time.Parse(time.RFC3339Nano, d["START-DATE"])
	if err != nil {
		return fmt.Errorf("4.3.2.7: EXT-X-DATERANGE %s START-DATE %q", d["ID"], d["START-DATE"])
	}
	if e, ok := d["END-DATE"]; ok {
		end, err := time.Parse(time.RFC3339Nano, e)
		if err != nil || end.Before(start) {
			return fmt.Errorf("4.3.2.7: EXT-X-DATERANGE %s END-DATE %q before START-DATE", d["ID"], e)
		}
	}
	return nil
}

// CheckMultivariant validates a multivariant playlist.
func CheckMultivariant(b []byte) error {
	lines := splitLines(b)
	if len(lines) == 0 || lines[0] != "#EXTM3U" {
		return fmt.Errorf("4.3.1.1: the first line MUST be #EXTM3U")
	}
	if err := strictMultivariant(lines); err != nil {
		return err
	}
	groups := map[string]bool{}
	var audioRefs []string
	variants := 0
	for i := 1; i < len(lines); i++ {
		name, val, _ := cut(lines[i])
		switch name {
		case "#EXT-X-MEDIA":
			a, err := manifest.ParseAttributes(val)
			if err != nil || a["TYPE"] == "" || a["GROUP-ID"] == "" || a["NAME"] == "" {
				return fmt.Errorf("4.3.4.1: EXT-X-MEDIA needs TYPE, GROUP-ID and NAME: %q", lines[i])
			}
			if a["TYPE"] == "AUDIO" {
				groups[a["GROUP-ID"]] = true
			}
		case "#EXT-X-STREAM-INF":
			a, err := manifest.ParseAttributes(val)
			if err != nil || a["BANDWIDTH"] == "" {
				return fmt.Errorf("4.3.4.2: EXT-X-STREAM-INF needs BANDWIDTH: %q", lines[i])
			}
			if a["CODECS"] == "" {
				return fmt.Errorf("4.3.4.2: every EXT-X-STREAM-INF SHOULD have CODECS (required here): %q", lines[i])
			}
			if i+1 >= len(lines) || lines[i+1] == "" || lines[i+1][0] == '#' {
				return fmt.Errorf("4.3.4.2: EXT-X-STREAM-INF must be followed by a URI line")
			}
			if a["AUDIO"] != "" {
				audioRefs = append(audioRefs, a["AUDIO"])
			}
			variants++
		}
	}
	for _, g := range audioRefs {
		if !groups[g] {
			return fmt.Errorf("4.3.4.2.1: AUDIO=%q matches no EXT-X-MEDIA TYPE=AUDIO GROUP-ID", g)
		}
	}
	if variants == 0 {
		return fmt.Errorf("4.3.4.2: no EXT-X-STREAM-INF")
	}
	return nil
}
