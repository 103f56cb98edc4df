package manifest

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/grafov/m3u8"
)

// rawTag is a grafov custom tag that writes prepared lines.
type rawTag struct{ name, text string }

func (t rawTag) TagName() string { return t.name }
func (t rawTag) Encode() *bytes.Buffer {
	return bytes.NewBufferString(t.text)
}
func (t rawTag) Decode(string) (m3u8.CustomTag, error) { return t, nil }
func (t rawTag) String() string                        { return t.text }

// RenderMedia renders a media playlist, version 7. It refuses a segment
// whose duration rounded to the nearest integer exceeds the target
// (RFC 8216 4.3.3.1: "The EXTINF duration of each Media Segment in the
// Playlist file, when rounded to the nearest integer, MUST be less than or
// equal to the target duration").
func RenderMedia(m Media) ([]byte, error) {
	if err := checkMedia(m); err != nil {
		return nil, err
	}
	n := uint(max(1, len(m.Segments)))
	p, err := m3u8.NewMediaPlaylist(n, n)
	if err != nil {
		return nil, fmt.Errorf("render media: %w", err)
	}
	p.SetVersion(7)
	if m.VOD {
		p.MediaType = m3u8.VOD
		m.Ended = true
	}
	if m.Independent {
		p.SetCustomTag(rawTag{"#EXT-X-INDEPENDENT-SEGMENTS", "#EXT-X-INDEPENDENT-SEGMENTS"})
	}
	p.SeqNo = m.MediaSequence
	p.DiscontinuitySeq = m.DiscontinuitySeq
	if err := appendSegments(p, m); err != nil {
		return nil, err
	}
	p.TargetDuration = float64(m.TargetDuration) // after appends: grafov grows it silently
	if m.Ended {
		p.Closed = true
	}
	p.ResetCache()
	return bytes.Clone(p.Encode().Bytes()), nil
}

func checkMedia(m Media) error {
	if m.TargetDuration <= 0 {
		return fmt.Errorf("target duration %d: %w", m.TargetDuration, ErrInvalidPlaylist)
	}
	for i, s := range m.Segments {
		if s.Duration <= 0 || math.IsNaN(s.Duration) || int(math.Round(s.Duration)) > m.TargetDuration {
			return fmt.Errorf("segment %d lasts %.3fs, target %ds: %w", s.Seq, s.Duration, m.TargetDuration, ErrInvalidPlaylist)
		}
		if i == 0 && s.Seq != m.MediaSequence {
			return fmt.Errorf("first segment %d, media sequence %d: %w", s.Seq, m.MediaSequence, ErrInvalidPlaylist)
		}
		if i > 0 && s.Seq != m.Segments[i-1].Seq+1 {
			return fmt.Errorf("segment %d follows %d: %w", s.Seq, m.Segments[i-1].Seq, ErrInvalidPlaylist)
		}
		if s.URI == "" || strings.ContainsAny(s.URI, "\r\n") {
			return fmt.Errorf("segment %d URI %q: %w", s.Seq, s.URI, ErrInvalidPlaylist)
		}
	}
	if len(m.DateRanges) > 0 && !hasPDT(m.Segments) {
		return fmt.Errorf("EXT-X-DATERANGE needs EXT-X-PROGRAM-DATE-TIME: %w", ErrInvalidPlaylist)
	}
	return nil
}

func hasPDT(segs []Segment) bool {
	for _, s := range segs {
		if !s.PDT.IsZero() {
			return true
		}
	}
	return false
}

// appendSegments adds every segment: EXT-X-MAP on the first segment, after
// each discontinuity and whenever the init changes; date ranges as one
// block on the first segment.
func appendSegments(p *m3u8.MediaPlaylist, m Media) error {
	mapURI := ""
	for i, s := range m.Segments {
		if err := p.Append(s.URI, s.Duration, s.Title); err != nil {
			return fmt.Errorf("render media: %w", err)
		}
		if s.Discontinuity {
			_ = p.SetDiscontinuity()
		}
		if s.MapURI != "" && (i == 0 || s.Discontinuity || s.MapURI != mapURI) {
			_ = p.SetMap(s.MapURI, 0, 0)
			mapURI = s.MapURI
		}
		if !s.PDT.IsZero() {
			_ = p.SetProgramDateTime(s.PDT.UTC().Truncate(time.Millisecond))
		}
		var tags []string
		if i == 0 && len(m.DateRanges) > 0 {
			tags = append(tags, dateRangeLines(m.DateRanges)...)
		}
		if s.Gap {
			tags = append(tags, "#EXT-X-GAP")
		}
		if len(tags) > 0 {
			_ = p.SetCustomSegmentTag(rawTag{"#hlsorigin-tags", strings.Join(tags, "\n")})
		}
	}
	return nil
}

// dateRangeLines renders EXT-X-DATERANGE tags (RFC 8216 4.3.2.7).
func dateRangeLines(rs []DateRange) []string {
	out := make([]string, 0, len(rs))
	for _, d := range rs {
		var b strings.Builder
		fmt.Fprintf(&b, "#EXT-X-DATERANGE:ID=%q", d.ID)
		if d.Class != "" {
			fmt.Fprintf(&b, ",CLASS=%q", d.Class)
		}
		fmt.Fprintf(&b, ",START-DATE=%q", d.Start.UTC().Format(pdtFormat))
		if d.End != nil {
			fmt.Fprintf(&b, ",END-DATE=%q", d.End.UTC().Format(pdtFormat))
			fmt.Fprintf(&b, ",DURATION=%s", strconv.FormatFloat(d.End.Sub(d.Start).Seconds(), 'f', 3, 64))
		}
		keys := make([]string, 0, len(d.Attrs))
		for k := range d.Attrs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, ",%s=%q", k, d.Attrs[k])
		}
		out = append(out, b.String())
	}
	return out
}

const pdtFormat = "2006-01-02T15:04:05.000Z07:00"

// WindowFor returns the trailing live window of segs: the fewest trailing
// segments that hold at least minDurationFactor x targetDuration seconds
// and at least minSegments segments (all of segs when there are fewer).
func WindowFor(segs []Segment, targetDuration, minSegments int, minDurationFactor float64) []Segment {
	want := minDurationFactor * float64(targetDuration)
	total := 0.0
	i := len(segs)
	for i > 0 && (total < want || len(segs)-i < minSegments) {
		i--
		total += segs[i].Duration
	}
	return segs[i:]
}
