package main

import (
	"bufio"
	"bytes"
	"errors"
	"math"
	"net/url"
	"strconv"
	"strings"
)

// mediaPlaylist is what a player needs from a live media playlist.
type mediaPlaylist struct {
	Target   float64 // EXT-X-TARGETDURATION, seconds
	FirstSeq uint64  // EXT-X-MEDIA-SEQUENCE
	Segments []mediaSegment
	Ended    bool // EXT-X-ENDLIST
}

type mediaSegment struct {
	Seq      uint64
	URI      string // resolved against the playlist URL
	MapURI   string // resolved EXT-X-MAP in force ("" when none)
	Duration float64
}

// variant is one EXT-X-STREAM-INF of a multivariant playlist.
type variant struct {
	URI       string
	Bandwidth int
}

var errNotPlaylist = errors.New("not an HLS playlist (no #EXTM3U)")

// parsePlaylist parses b fetched from base. It returns either the
// variants of a multivariant playlist or a media playlist.
func parsePlaylist(b []byte, base *url.URL) ([]variant, *mediaPlaylist, error) {
	if !bytes.HasPrefix(bytes.TrimLeft(b, "\ufeff"), []byte("#EXTM3U")) {
		return nil, nil, errNotPlaylist
	}
	var (
		vars     []variant
		mp       = &mediaPlaylist{}
		dur      = -1.0
		bw       = -1
		mapURI   string
		isMaster bool
	)
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
		case strings.HasPrefix(line, "#EXT-X-STREAM-INF:"):
			isMaster = true
			bw = 0
			if v, ok := attr(line[len("#EXT-X-STREAM-INF:"):], "BANDWIDTH"); ok {
				bw, _ = strconv.Atoi(v)
			}
		case strings.HasPrefix(line, "#EXT-X-TARGETDURATION:"):
			t, err := strconv.ParseFloat(line[len("#EXT-X-TARGETDURATION:"):], 64)
			if err != nil || t <= 0 {
				return nil, nil, errors.New("bad EXT-X-TARGETDURATION: " + line)
			}
			mp.Target = t
		case strings.HasPrefix(line, "#EXT-X-MEDIA-SEQUENCE:"):
			n, err := strconv.ParseUint(line[len("#EXT-X-MEDIA-SEQUENCE:"):], 10, 64)
			if err != nil {
				return nil, nil, errors.New("bad EXT-X-MEDIA-SEQUENCE: " + line)
			}
			mp.FirstSeq = n
		case strings.HasPrefix(line, "#EXT-X-MAP:"):
			if v, ok := attr(line[len("#EXT-X-MAP:"):], "URI"); ok {
				mapURI = resolve(base, v)
			}
		case strings.HasPrefix(line, "#EXTINF:"):
			v := line[len("#EXTINF:"):]
			if i := strings.IndexByte(v, ','); i >= 0 {
				v = v[:i]
			}
			d, err := strconv.ParseFloat(v, 64)
			if err != nil || d < 0 || math.IsNaN(d) {
				return nil, nil, errors.New("bad EXTINF: " + line)
			}
			dur = d
		case line == "#EXT-X-ENDLIST":
			mp.Ended = true
		case line[0] == '#':
		default: // a URI
			if bw >= 0 {
				vars = append(vars, variant{URI: resolve(base, line), Bandwidth: bw})
				bw = -1
				continue
			}
			if dur < 0 {
				return nil, nil, errors.New("segment URI without EXTINF: " + line)
			}
			mp.Segments = append(mp.Segments, mediaSegment{URI: resolve(base, line), MapURI: mapURI, Duration: dur})
			dur = -1
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	if isMaster {
		if len(vars) == 0 {
			return nil, nil, errors.New("multivariant playlist without variants")
		}
		return vars, nil, nil
	}
	if mp.Target <= 0 {
		return nil, nil, errors.New("media playlist without EXT-X-TARGETDURATION")
	}
	for i := range mp.Segments {
		mp.Segments[i].Seq = mp.FirstSeq + uint64(i)
	}
	return nil, mp, nil
}

// attr returns the value of attribute name in an attribute list.
func attr(list, name string) (string, bool) {
	for len(list) > 0 {
		eq := strings.IndexByte(list, '=')
		if eq < 0 {
			return "", false
		}
		key := strings.TrimSpace(list[:eq])
		rest := list[eq+1:]
		var val string
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return "", false
			}
			val, rest = rest[1:end+1], rest[end+2:]
		} else if c := strings.IndexByte(rest, ','); c >= 0 {
			val, rest = rest[:c], rest[c:]
		} else {
			val, rest = rest, ""
		}
		if key == name {
			return val, true
		}
		list = strings.TrimPrefix(rest, ",")
	}
	return "", false
}

func resolve(base *url.URL, ref string) string {
	u, err := url.Parse(ref)
	if err != nil {
		return ref
	}
	return base.ResolveReference(u).String()
}
