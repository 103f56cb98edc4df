// Package hlscheck is a strict RFC 8216 validator for the playlists the
// origin serves. Tests run it on every live reload: the Checker keeps state
// across reloads of one media playlist. It parses by hand (not with the
// renderer it checks).
package hlscheck

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"hlsorigin/manifest"
)

type segment struct {
	uri      string
	duration float64
	disc     bool
	mapURI   string // EXT-X-MAP in force
	pdt      time.Time
}

type media struct {
	version      int
	target       int
	hasTarget    bool
	seq          uint64
	hasSeq       bool
	discSeq      uint64
	segments     []segment
	ended        bool
	playlistType string
	dateRanges   []map[string]string
	hasPDT       bool
}

func parseMedia(b []byte) (*media, error) {
	m := &media{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	var cur segment
	haveInf, mapSeen := false, false
	for n := 0; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if n == 0 {
			if line != "#EXTM3U" {
				return nil, fmt.Errorf("4.3.1.1: the first line MUST be #EXTM3U, got %q", line)
			}
			continue
		}
		if line == "" {
			continue
		}
		if !strings.HasPrefix(line, "#") {
			if !haveInf {
				return nil, fmt.Errorf("4.3.2.1: URI %q without EXTINF", line)
			}
			if !mapSeen && m.version >= 6 {
				// checked by the caller as a rule: keep the URI
			}
			cur.uri = line
			m.segments = append(m.segments, cur)
			cur = segment{mapURI: cur.mapURI}
			haveInf = false
			continue
		}
		if err := m.tag(line, &cur, &haveInf, &mapSeen); err != nil {
			return nil, err
		}
	}
	if haveInf {
		return nil, fmt.Errorf("4.3.2.1: EXTINF without a URI at the end")
	}
	return m, sc.Err()
}

func (m *media) tag(line string, cur *segment, haveInf, mapSeen *bool) error {
	name, val, _ := strings.Cut(line, ":")
	var err error
	switch name {
	case "#EXT-X-VERSION":
		m.version, err = strconv.Atoi(val)
	case "#EXT-X-TARGETDURATION":
		m.target, err = strconv.Atoi(val)
		m.hasTarget = true
	case "#EXT-X-MEDIA-SEQUENCE":
		m.seq, err = strconv.ParseUint(val, 10, 64)
		m.hasSeq = true
	case "#EXT-X-DISCONTINUITY-SEQUENCE":
		m.discSeq, err = strconv.ParseUint(val, 10, 64)
	case "#EXT-X-DISCONTINUITY":
		cur.disc = true
	case "#EXT-X-ENDLIST":
		m.ended = true
	case "#EXT-X-PLAYLIST-TYPE":
		m.playlistType = val
	case "#EXT-X-MAP":
		var a map[string]string
		if a, err = manifest.ParseAttributes(val); err == nil {
			if a["URI"] == "" {
				return fmt.Errorf("4.3.2.5: EXT-X-MAP without URI")
			}
			cur.mapURI = a["URI"]
			*mapSeen = true
		}
	case "#EXT-X-PROGRAM-DATE-TIME":
		cur.pdt, err = time.Parse(time.RFC3339Nano, val)
		m.hasPDT = true
	case "#EXTINF":
		d, _, _ := strings.Cut(val, ",")
		cur.duration, err = strconv.ParseFloat(d, 64)
		if err == nil && (cur.duration < 0 || math.IsNaN(cur.duration)) {
			err = fmt.Errorf("negative")
		}
		*haveInf = true
	case "#EXT-X-DATERANGE":
		var a map[string]string
		if a, err = manifest.ParseAttributes(val); err == nil {
			m.dateRanges = append(m.dateRanges, a)
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	return nil
}
