package hlscheck

import (
	"fmt"
	"sort"
	"time"
)

// CheckVariant checks the media playlists of one variant against each
// other: its video renditions and the demuxed audio renditions they play
// with, fetched at about the same moment. RFC 8216 6.2.4: "the
// EXT-X-TARGETDURATION ... MUST be the same" and content with the same
// discontinuity sequence number must correspond, so
//
//   - every playlist has the same EXT-X-TARGETDURATION;
//   - every playlist carries EXT-X-PROGRAM-DATE-TIME (to align them);
//   - where two playlists cover the same wall-clock time (by more than
//     tol), their segments there have the same discontinuity sequence
//     number: the same EXT-X-DISCONTINUITY points, within tol, with the
//     same EXT-X-DISCONTINUITY-SEQUENCE numbering.
//
// playlists maps a name (for messages) to the playlist bytes. Each one
// must also pass CheckMedia.
func CheckVariant(playlists map[string][]byte, tol time.Duration) error {
	names := make([]string, 0, len(playlists))
	for n := range playlists {
		names = append(names, n)
	}
	sort.Strings(names)
	tl := make([][]timed, len(names))
	var target int
	for i, n := range names {
		m, err := parseMedia(playlists[n])
		if err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
		if i == 0 {
			target = m.target
		}
		if m.target != target {
			return fmt.Errorf("6.2.4: EXT-X-TARGETDURATION %d in %s, %d in %s", target, names[0], m.target, n)
		}
		if tl[i], err = timeline(m); err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
	}
	for i := range names {
		for j := i + 1; j < len(names); j++ {
			if err := alignedDiscs(tl[i], tl[j], tol); err != nil {
				return fmt.Errorf("6.2.4: %s and %s: %w", names[i], names[j], err)
			}
		}
	}
	return nil
}

// timed is a segment placed on the wall clock, with its discontinuity
// sequence number.
type timed struct {
	from, to time.Time
	disc     uint64
	uri      string
}

// timeline places every segment of m on the wall clock: its own
// EXT-X-PROGRAM-DATE-TIME, else the previous segment's end.
func timeline(m *media) ([]timed, error) {
	if len(m.segments) == 0 {
		return nil, nil
	}
	if m.segments[0].pdt.IsZero() {
		return nil, fmt.Errorf("4.3.2.6: the first segment has no EXT-X-PROGRAM-DATE-TIME (needed to align renditions)")
	}
	out := make([]timed, 0, len(m.segments))
	disc := m.discSeq
	var at time.Time
	for _, s := range m.segments {
		if s.disc {
			disc++
		}
		if !s.pdt.IsZero() {
			at = s.pdt
		}
		end := at.Add(time.Duration(s.duration * float64(time.Second)))
		out = append(out, timed{from: at, to: end, disc: disc, uri: s.uri})
		at = end
	}
	return out, nil
}

// alignedDiscs: segments of a and b that overlap by more than tol have the
// same discontinuity sequence number.
func alignedDiscs(a, b []timed, tol time.Duration) error {
	for _, x := range a {
		for _, y := range b {
			lo, hi := later(x.from, y.from), earlier(x.to, y.to)
			if hi.Sub(lo) <= tol || x.disc == y.disc {
				continue
			}
			return fmt.Errorf("%s (discontinuity %d, %s) and %s (discontinuity %d, %s) overlap for %v",
				x.uri, x.disc, x.from.Format("15:04:05.000"), y.uri, y.disc, y.from.Format("15:04:05.000"), hi.Sub(lo).Round(time.Millisecond))
		}
	}
	return nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
