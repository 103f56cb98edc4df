package timeline

import "time"

// DateRange is an EXT-X-DATERANGE of a pause (the manifest package renders
// it; the fields are the same).
type DateRange struct {
	ID, Class string
	Start     time.Time
	End       *time.Time
	Attrs     map[string]string // X- client attributes, written as quoted strings
}

// slateRun is a run of consecutive slate segments.
type slateRun struct {
	start, end time.Time
	closed     bool // a live segment follows it
}

func slateRuns(segs []SegmentInfo) []slateRun {
	var out []slateRun
	for i, s := range segs {
		if s.Kind != "slate" {
			if n := len(out); n > 0 && i > 0 && segs[i-1].Kind == "slate" {
				out[n-1].closed = true
			}
			continue
		}
		end := s.PDT.Add(time.Duration(s.Duration * float64(time.Second)))
		if i > 0 && segs[i-1].Kind == "slate" {
			out[len(out)-1].end = end
			continue
		}
		out = append(out, slateRun{start: s.PDT, end: end})
	}
	return out
}

// runSlack: a slate run starts at the cut, which may precede the pause
// call by up to a segment (the cut is made early, never late).
const runSlack = 10 * time.Second

// SlateRanges marks each pause by the slate run it produced in segs. A
// pause that withdrew published media (Exposed) starts at the exposed
// instant, where its gap begins, and is listed even before a slate
// segment follows the gap.
func SlateRanges(segs []SegmentInfo, pauses []PauseInfo) []DateRange {
	runs := slateRuns(segs)
	out := make([]DateRange, 0, len(pauses))
	next := 0
	for _, p := range pauses {
		for next < len(runs) && runs[next].start.Before(p.StartedAt.Add(-runSlack)) {
			next++
		}
		var run *slateRun
		if next < len(runs) && (p.EndedAt == nil || runs[next].start.Before(*p.EndedAt)) {
			run = &runs[next]
			next++
		}
		if run == nil && p.Exposed == nil {
			continue // not served (yet): a pause before the first slate segment, or retained no longer
		}
		d := DateRange{ID: "pause-" + p.ID, Class: "com.hlsorigin.pause",
			Attrs: map[string]string{"X-PAUSE-ID": p.ID, "X-SLATE": p.Slate.ID}}
		if run != nil {
			d.Start = run.start
			if run.closed && p.EndedAt != nil {
				end := run.end
				d.End = &end
			}
		}
		if e := p.Exposed; e != nil {
			d.Start = e.From
			d.Attrs["X-EXPOSED-FROM"] = e.From.UTC().Format(time.RFC3339Nano)
			d.Attrs["X-EXPOSED-UNTIL"] = e.Until.UTC().Format(time.RFC3339Nano)
		}
		out = append(out, d)
	}
	return out
}
