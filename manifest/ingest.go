package manifest

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Limits of the ingest parser.
const (
	MaxIngestBytes    = 1 << 20
	MaxIngestLine     = 4 << 10
	MaxIngestSegments = 10000
)

// IngestSegment is a segment named by an encoder's media playlist.
type IngestSegment struct {
	URI           string
	Duration      float64
	PDT           time.Time
	Discontinuity bool
	MapURI        string // the EXT-X-MAP in force for it
}

// IngestMedia is an encoder's media playlist.
type IngestMedia struct {
	Version, TargetDuration int
	MediaSequence           uint64
	Segments                []IngestSegment
	Ended                   bool
}

// IngestVariant is an EXT-X-STREAM-INF of an encoder's multivariant.
type IngestVariant struct {
	URI        string
	Bandwidth  int
	Codecs     string
	Resolution string
	Audio      string
}

// IngestMaster is an encoder's multivariant playlist.
type IngestMaster struct {
	Variants []IngestVariant
	Media    []Rendition
}

// IngestPlaylist holds exactly one of Media or Master.
type IngestPlaylist struct {
	Media  *IngestMedia
	Master *IngestMaster
}

// uriRe accepts the relative names encoders use: no paths, no schemes.
var uriRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

func validURI(u string) bool { return uriRe.MatchString(u) && !strings.Contains(u, "..") }

func bad(format string, a ...any) error {
	return fmt.Errorf(format+": %w", append(a, ErrInvalidPlaylist)...)
}

// ParseIngest parses what an encoder PUTs (ffmpeg's HLS muxer output).
func ParseIngest(b []byte) (*IngestPlaylist, error) {
	if len(b) > MaxIngestBytes {
		return nil, bad("playlist of %d bytes, limit %d", len(b), MaxIngestBytes)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), MaxIngestLine)
	st := &ingestState{media: &IngestMedia{}, master: &IngestMaster{}}
	first := true
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if first {
			if strings.TrimPrefix(line, "\ufeff") != "#EXTM3U" {
				return nil, bad("first line is not #EXTM3U")
			}
			first = false
			continue
		}
		if err := st.line(line); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, bad("read: %v", err)
	}
	if first {
		return nil, bad("empty playlist")
	}
	return st.result()
}

type ingestState struct {
	media    *IngestMedia
	master   *IngestMaster
	pending  *IngestSegment // EXTINF seen, URI line awaited
	disc     bool
	pdt      time.Time
	mapURI   string
	variant  *IngestVariant
	isMaster bool
}

func (st *ingestState) line(line string) error {
	switch {
	case line == "":
		return nil
	case !strings.HasPrefix(line, "#"):
		return st.uri(line)
	case strings.HasPrefix(line, "#EXTINF:"):
		return st.extinf(line[len("#EXTINF:"):])
	case strings.HasPrefix(line, "#EXT-X-STREAM-INF:"):
		return st.streamInf(line[len("#EXT-X-STREAM-INF:"):])
	case strings.HasPrefix(line, "#EXT-X-MEDIA:"):
		return st.mediaTag(line[len("#EXT-X-MEDIA:"):])
	}
	return st.mediaTagLine(line)
}

func (st *ingestState) mediaTagLine(line string) error {
	name, val, _ := strings.Cut(line, ":")
	var err error
	switch name {
	case "#EXT-X-VERSION":
		st.media.Version, err = strconv.Atoi(val)
	case "#EXT-X-TARGETDURATION":
		st.media.TargetDuration, err = strconv.Atoi(val)
	case "#EXT-X-MEDIA-SEQUENCE":
		st.media.MediaSequence, err = strconv.ParseUint(val, 10, 64)
	case "#EXT-X-DISCONTINUITY":
		st.disc = true
	case "#EXT-X-ENDLIST":
		st.media.Ended = true
	case "#EXT-X-PROGRAM-DATE-TIME":
		st.pdt, err = ParsePDT(val)
		if st.pending != nil && err == nil {
			st.pending.PDT = st.pdt // ffmpeg writes it after EXTINF
		}
	case "#EXT-X-MAP":
		err = st.mapTag(val)
	}
	if err != nil {
		return bad("%s: %v", name, err)
	}
	return nil
}

func (st *ingestState) mapTag(val string) error {
	attrs, err := ParseAttributes(val)
	if err != nil {
		return err
	}
	if !validURI(attrs["URI"]) {
		return fmt.Errorf("URI %q", attrs["URI"])
	}
	st.mapURI = attrs["URI"]
	return nil
}

func (st *ingestState) extinf(val string) error {
	d, _, _ := strings.Cut(val, ",")
	dur, err := strconv.ParseFloat(strings.TrimSpace(d), 64)
	if err != nil || dur <= 0 || math.IsNaN(dur) || math.IsInf(dur, 0) || dur > 3600 {
		return bad("EXTINF duration %q", d)
	}
	st.pending = &IngestSegment{Duration: dur, PDT: st.pdt, Discontinuity: st.disc, MapURI: st.mapURI}
	return nil
}

func (st *ingestState) uri(line string) error {
	if !validURI(line) {
		return bad("URI %q: a plain file name is expected", line)
	}
	if st.variant != nil {
		st.variant.URI = line
		st.master.Variants = append(st.master.Variants, *st.variant)
		st.variant = nil
		return nil
	}
	if st.pending == nil {
		return bad("URI %q without EXTINF", line)
	}
	st.pending.URI = line
	if len(st.media.Segments) >= MaxIngestSegments {
		return bad("more than %d segments", MaxIngestSegments)
	}
	st.media.Segments = append(st.media.Segments, *st.pending)
	st.pending, st.disc, st.pdt = nil, false, time.Time{}
	return nil
}

func (st *ingestState) streamInf(val string) error {
	attrs, err := ParseAttributes(val)
	if err != nil {
		return bad("EXT-X-STREAM-INF: %v", err)
	}
	bw, err := strconv.Atoi(attrs["BANDWIDTH"])
	if err != nil || bw <= 0 {
		return bad("EXT-X-STREAM-INF BANDWIDTH %q", attrs["BANDWIDTH"])
	}
	st.isMaster = true
	st.variant = &IngestVariant{Bandwidth: bw, Codecs: attrs["CODECS"], Resolution: attrs["RESOLUTION"], Audio: attrs["AUDIO"]}
	return nil
}

func (st *ingestState) mediaTag(val string) error {
	attrs, err := ParseAttributes(val)
	if err != nil {
		return bad("EXT-X-MEDIA: %v", err)
	}
	if attrs["TYPE"] == "" || attrs["GROUP-ID"] == "" || attrs["NAME"] == "" {
		return bad("EXT-X-MEDIA needs TYPE, GROUP-ID and NAME")
	}
	if u := attrs["URI"]; u != "" && !validURI(u) {
		return bad("EXT-X-MEDIA URI %q", u)
	}
	st.isMaster = true
	st.master.Media = append(st.master.Media, Rendition{Type: attrs["TYPE"], GroupID: attrs["GROUP-ID"], Name: attrs["NAME"],
		Language: attrs["LANGUAGE"], URI: attrs["URI"], Default: attrs["DEFAULT"] == "YES", AutoSelect: attrs["AUTOSELECT"] == "YES"})
	return nil
}

func (st *ingestState) result() (*IngestPlaylist, error) {
	if st.isMaster {
		if len(st.media.Segments) > 0 {
			return nil, bad("both variants and segments")
		}
		if st.variant != nil {
			return nil, bad("EXT-X-STREAM-INF without URI")
		}
		return &IngestPlaylist{Master: st.master}, nil
	}
	if st.pending != nil {
		return nil, bad("EXTINF without URI")
	}
	return &IngestPlaylist{Media: st.media}, nil
}

// ParsePDT parses an EXT-X-PROGRAM-DATE-TIME value: RFC 3339, also with a
// "+0000" style offset as ffmpeg writes it.
func ParsePDT(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999-0700", "2006-01-02T15:04:05.999999999Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("date %q", s)
}

// ParseAttributes parses an attribute list (RFC 8216 4.2): NAME=VALUE
// pairs separated by commas, values possibly quoted (commas allowed inside).
func ParseAttributes(s string) (map[string]string, error) {
	out := map[string]string{}
	for len(s) > 0 {
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return nil, fmt.Errorf("attribute list %q", s)
		}
		name := strings.TrimSpace(s[:eq])
		s = s[eq+1:]
		var val string
		if strings.HasPrefix(s, `"`) {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("unterminated quoted string for %s", name)
			}
			val, s = s[1:end+1], s[end+2:]
		} else {
			end := strings.IndexByte(s, ',')
			if end < 0 {
				end = len(s)
			}
			val, s = strings.TrimSpace(s[:end]), s[end:]
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("attribute %s twice", name)
		}
		out[name] = val
		s = strings.TrimPrefix(strings.TrimSpace(s), ",")
	}
	return out, nil
}
