package hlscheck

import (
	"bytes"
	"fmt"
	"strings"
)

// Checker validates successive reloads of one live media playlist.
type Checker struct {
	// MinWindowFactor: once the stream has published more than this many
	// target durations of media, a live window must hold at least that
	// much (RFC 8216 6.2.2 asks for three). Default 3.
	MinWindowFactor float64

	prev      *media
	uris      map[uint64]string // media sequence number -> URI seen
	discAt    map[uint64]uint64 // media sequence number -> its discontinuity sequence number
	published float64           // media seconds ever listed
	lastSeq   uint64
	seen      bool
	reloads   int
}

// NewChecker returns a checker with the RFC defaults.
func NewChecker() *Checker {
	return &Checker{MinWindowFactor: 3, uris: map[uint64]string{}, discAt: map[uint64]uint64{}}
}

// Check validates one reload.
func (c *Checker) Check(b []byte) error {
	m, err := parseMedia(b)
	if err != nil {
		return err
	}
	if err := checkSnapshot(m); err != nil {
		return err
	}
	if !m.hasSeq {
		return fmt.Errorf("4.3.3.2: EXT-X-MEDIA-SEQUENCE missing (this origin always writes it)")
	}
	if err := c.against(m); err != nil {
		return err
	}
	c.record(m)
	return nil
}

// against compares a reload with everything seen before.
func (c *Checker) against(m *media) error {
	p := c.prev
	if p == nil {
		return nil
	}
	if p.ended && !bytesEqualMedia(p, m) {
		return fmt.Errorf("6.2.1: the playlist changed after EXT-X-ENDLIST")
	}
	// 6.2.1: "The EXT-X-TARGETDURATION value MUST NOT change."
	if m.target != p.target {
		return fmt.Errorf("6.2.1: EXT-X-TARGETDURATION changed %d -> %d", p.target, m.target)
	}
	if m.seq < p.seq {
		return fmt.Errorf("6.2.1: EXT-X-MEDIA-SEQUENCE went back %d -> %d", p.seq, m.seq)
	}
	if m.discSeq < p.discSeq {
		return fmt.Errorf("6.2.1: EXT-X-DISCONTINUITY-SEQUENCE went back %d -> %d", p.discSeq, m.discSeq)
	}
	disc := m.discSeq
	for i, s := range m.segments {
		seq := m.seq + uint64(i)
		if s.disc {
			disc++
		}
		// 6.2.1: "the URI of the Media Segment with a given Media Sequence Number MUST NOT change".
		if u, ok := c.uris[seq]; ok && u != s.uri {
			return fmt.Errorf("6.2.1: media sequence %d was %s, now %s", seq, u, s.uri)
		}
		// 6.2.2: the discontinuity sequence number of a segment never changes.
		if d, ok := c.discAt[seq]; ok && d != disc {
			return fmt.Errorf("6.2.2: segment %d had discontinuity sequence %d, now %d", seq, d, disc)
		}
	}
	if m.seq > c.lastSeq+1 && c.seen {
		return fmt.Errorf("6.2.2: segments %d..%d were never listed", c.lastSeq+1, m.seq-1)
	}
	return c.window(m)
}

// window: "the server MUST NOT remove a Media Segment from a Playlist file
// without an EXT-X-ENDLIST tag if that would produce a Playlist whose
// duration is less than three times the target duration" (6.2.2).
func (c *Checker) window(m *media) error {
	if m.ended || c.MinWindowFactor <= 0 || m.seq == 0 {
		return nil
	}
	total := 0.0
	for _, s := range m.segments {
		total += s.duration
	}
	want := c.MinWindowFactor * float64(m.target)
	if c.published >= want+float64(m.target) && total < want {
		return fmt.Errorf("6.2.2: live window holds %.3f s < %.1f x target %d", total, c.MinWindowFactor, m.target)
	}
	return nil
}

func (c *Checker) record(m *media) {
	disc := m.discSeq
	for i, s := range m.segments {
		seq := m.seq + uint64(i)
		if s.disc {
			disc++
		}
		if _, ok := c.uris[seq]; !ok {
			c.published += s.duration
		}
		c.uris[seq] = s.uri
		c.discAt[seq] = disc
		if seq > c.lastSeq || !c.seen {
			c.lastSeq = seq
		}
		c.seen = true
	}
	c.prev = m
	c.reloads++
}

func bytesEqualMedia(a, b *media) bool {
	return a.seq == b.seq && len(a.segments) == len(b.segments)
}

func splitLines(b []byte) []string {
	var out []string
	for _, l := range bytes.Split(b, []byte("\n")) {
		if s := strings.TrimSpace(string(l)); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func cut(line string) (string, string, bool) { return strings.Cut(line, ":") }
