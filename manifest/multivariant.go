package manifest

import (
	"fmt"
	"strconv"
	"strings"
)

// RenderMultivariant renders a multivariant playlist, version 7. It is
// written by hand, not with grafov/m3u8: grafov writes PROGRAM-ID on every
// EXT-X-STREAM-INF (removed in protocol version 6, RFC 8216 7: "The
// PROGRAM-ID attribute of the EXT-X-STREAM-INF and the EXT-X-I-FRAME-STREAM-INF
// tags was removed in protocol compatibility version 6") and has no CHANNELS
// attribute for EXT-X-MEDIA.
func RenderMultivariant(m Multivariant) ([]byte, error) {
	if err := checkMultivariant(m); err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("#EXTM3U\n#EXT-X-VERSION:7\n")
	if m.Independent {
		b.WriteString("#EXT-X-INDEPENDENT-SEGMENTS\n")
	}
	for _, r := range m.Renditions {
		writeMedia(&b, r)
	}
	for _, v := range m.Variants {
		writeStreamInf(&b, v)
	}
	return []byte(b.String()), nil
}

func checkMultivariant(m Multivariant) error {
	for _, r := range m.Renditions {
		if r.Type == "" || r.GroupID == "" || r.Name == "" {
			return fmt.Errorf("rendition %+v: TYPE, GROUP-ID and NAME required: %w", r, ErrInvalidPlaylist)
		}
		if !quotable(r.GroupID, r.Name, r.Language, r.URI, r.Channels) || !enumerated(r.Type) {
			return fmt.Errorf("rendition %q: attribute with a quote, comma or line break: %w", r.Name, ErrInvalidPlaylist)
		}
	}
	for _, v := range m.Variants {
		if v.Bandwidth == 0 || v.URI == "" {
			return fmt.Errorf("variant %q: BANDWIDTH and URI required: %w", v.URI, ErrInvalidPlaylist)
		}
		if !quotable(v.Codecs, v.Audio) || strings.ContainsAny(v.URI, "\r\n") {
			return fmt.Errorf("variant %q: attribute with a quote or line break: %w", v.URI, ErrInvalidPlaylist)
		}
	}
	return nil
}

// quotable: RFC 8216 4.2 "quoted-string: ... MUST NOT include a double quote,
// carriage return or line feed".
func quotable(vals ...string) bool {
	for _, v := range vals {
		if strings.ContainsAny(v, "\"\r\n") {
			return false
		}
	}
	return true
}

func enumerated(v string) bool { return !strings.ContainsAny(v, "\",\r\n ") }

// writeMedia writes an EXT-X-MEDIA tag (RFC 8216 4.3.4.1). CHANNELS is
// written for audio whenever known: 4.3.4.1 "Every EXT-X-MEDIA tag with TYPE
// AUDIO SHOULD have a CHANNELS attribute" (the HLS authoring spec makes it
// required).
func writeMedia(b *strings.Builder, r Rendition) {
	fmt.Fprintf(b, `#EXT-X-MEDIA:TYPE=%s,GROUP-ID="%s",NAME="%s"`, r.Type, r.GroupID, r.Name)
	if r.Language != "" {
		fmt.Fprintf(b, `,LANGUAGE="%s"`, r.Language)
	}
	b.WriteString(",DEFAULT=" + yesNo(r.Default))
	b.WriteString(",AUTOSELECT=" + yesNo(r.AutoSelect || r.Default))
	if r.Channels != "" {
		fmt.Fprintf(b, `,CHANNELS="%s"`, r.Channels)
	}
	if r.URI != "" {
		fmt.Fprintf(b, `,URI="%s"`, r.URI)
	}
	b.WriteByte('\n')
}

// writeStreamInf writes an EXT-X-STREAM-INF tag and its URI line (4.3.4.2).
func writeStreamInf(b *strings.Builder, v Variant) {
	fmt.Fprintf(b, "#EXT-X-STREAM-INF:BANDWIDTH=%d", v.Bandwidth)
	if v.AverageBandwidth != 0 {
		fmt.Fprintf(b, ",AVERAGE-BANDWIDTH=%d", v.AverageBandwidth)
	}
	if v.Codecs != "" {
		fmt.Fprintf(b, `,CODECS="%s"`, v.Codecs)
	}
	if v.Width > 0 && v.Height > 0 {
		fmt.Fprintf(b, ",RESOLUTION=%dx%d", v.Width, v.Height)
	}
	if v.FrameRate > 0 {
		b.WriteString(",FRAME-RATE=" + strconv.FormatFloat(v.FrameRate, 'f', 3, 64))
	}
	if v.Audio != "" {
		fmt.Fprintf(b, `,AUDIO="%s"`, v.Audio)
	}
	b.WriteString("\n" + v.URI + "\n")
}

func yesNo(b bool) string {
	if b {
		return "YES"
	}
	return "NO"
}
