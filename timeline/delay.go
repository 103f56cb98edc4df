package timeline

import "time"

// Stored is what the publish-delay and withdrawal decisions need of one
// stored segment of a rendition.
type Stored struct {
	Seq      uint64
	PDT      time.Time     // wall clock of its first sample (EXT-X-PROGRAM-DATE-TIME)
	Arrived  time.Time     // server receipt; zero (older archives): due at once
	Duration time.Duration // its EXTINF
	// Host: it carries host video (live media of a video rendition, not a
	// slate segment).
	Host      bool
	Withdrawn bool   // taken off every URL after it was published
	CutBy     string // the hide interval that already re-spliced it ("" none)
}

// Hide is a pause as these decisions see it: host video from At on is
// hidden until End (nil: still open). Received is when the origin learnt
// of it: segments stored before that were committed without its cut.
type Hide struct {
	ID       string
	At       time.Time
	End      *time.Time
	Received time.Time // zero: every stored segment already honours it
}

// latest is the latest plausible wall-clock span of s: media is captured
// before it arrives, so it ends at its arrival at the latest (whatever
// its program date time says: an encoder sending faster than real time,
// or stamping from a clock ahead); without an arrival, its program date
// time. earliest is the earlier of that and its program date time.
// Mapping the pause through the latest span and the resume through the
// earliest start errs towards hiding more, never less.
func (s Stored) latest() (from, to time.Time) {
	from = s.PDT
	if !s.Arrived.IsZero() {
		from = s.Arrived.Add(-s.Duration)
	}
	return from, from.Add(s.Duration)
}

func (s Stored) earliest() time.Time {
	if obs := s.Arrived.Add(-s.Duration); !s.Arrived.IsZero() && obs.Before(s.PDT) {
		return obs
	}
	return s.PDT
}

// Hides reports whether h may hide host video of s: s may end after
// h.At - margin and start before h.End.
func Hides(h Hide, s Stored, margin time.Duration) bool {
	_, end := s.latest()
	if !end.After(h.At.Add(-margin)) {
		return false
	}
	return h.End == nil || s.earliest().Before(*h.End)
}

// Blocked returns the hide interval that s must be re-spliced for before
// it may be listed: s holds host video, was stored before (or as) the origin learnt
// of the interval (so its commit did not cut it), and the interval may
// hide part of it.
func Blocked(s Stored, hides []Hide, margin time.Duration) (Hide, bool) {
	if !s.Host || s.Withdrawn {
		return Hide{}, false
	}
	for _, h := range hides {
		if h.Received.IsZero() || s.CutBy == h.ID || s.Arrived.After(h.Received) {
			continue
		}
		if Hides(h, s, margin) {
			return h, true
		}
	}
	return Hide{}, false
}

// Listable returns how many leading segments of segs may be listed at
// now: listed (already listed, never taken back) at least, then each
// segment in order whose arrival is delay old or more and that is not
// blocked. A blocked or not yet due segment stops the listing: a playlist
// only grows at its end.
func Listable(segs []Stored, listed int, delay time.Duration, now time.Time, hides []Hide, margin time.Duration) int {
	n := min(max(listed, 0), len(segs))
	for n < len(segs) {
		s := segs[n]
		if s.Arrived.Add(delay).After(now) {
			break
		}
		if _, blocked := Blocked(s, hides, margin); blocked {
			break
		}
		n++
	}
	return n
}

// NextDue is when the first unlisted segment (index listed) becomes due,
// false when every segment is listed.
func NextDue(segs []Stored, listed int, delay time.Duration) (time.Time, bool) {
	if listed < 0 || listed >= len(segs) {
		return time.Time{}, false
	}
	return segs[listed].Arrived.Add(delay), true
}

// Interval is a wall-clock span.
type Interval struct {
	From  time.Time `json:"from"`
	Until time.Time `json:"until"`
}

// Withdraw picks, among the listed segments segs[:listed], those whose host
// video h may hide: they were published before the origin knew of h and
// must be taken off every URL. It returns their indexes and the exposed
// interval: from h.At until the latest end of a picked segment (nil when
// none was picked).
func Withdraw(segs []Stored, listed int, h Hide, margin time.Duration) ([]int, *Interval) {
	var idx []int
	var until time.Time
	for i := 0; i < min(listed, len(segs)); i++ {
		s := segs[i]
		if !s.Host || s.Withdrawn || !Hides(h, s, margin) {
			continue
		}
		idx = append(idx, i)
		if _, end := s.latest(); end.After(until) {
			until = end
		}
	}
	if len(idx) == 0 {
		return nil, nil
	}
	from := h.At
	if until.Before(from) {
		from = until
	}
	return idx, &Interval{From: from, Until: until}
}

// Merge widens a to cover b (either may be nil).
func Merge(a, b *Interval) *Interval {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	out := *a
	if b.From.Before(out.From) {
		out.From = b.From
	}
	if b.Until.After(out.Until) {
		out.Until = b.Until
	}
	return &out
}
