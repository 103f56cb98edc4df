package timeline

import (
	"math"
	"sort"
	"time"
)

// MaxPerPlan bounds the segments one Plan generates per rendition (an
// origin that did not run for a long while catches up over several plans).
const MaxPerPlan = 32

// Decide returns the plan for in. It is a pure function of its input.
func Decide(in Input) Plan {
	p := Plan{State: Idle}
	paused := openAt(in.Pauses, in.Now) != nil
	switch {
	case in.Ended:
		p.State = Ended
		return p
	case paused:
		p.State = Paused
	case !in.LastHost.IsZero():
		p.State = Live
	}
	if in.LastHost.IsZero() || len(in.Renditions) == 0 {
		return p
	}
	cad := Cadence(in.Renditions)
	p.Lost = !in.Now.Before(LossAt(in.LastHost, cad, in.Config.lossAfter(in.Renditions)))
	if why, end := endOf(in, cad, paused); end {
		p.State, p.End, p.EndReason = Ended, true, why
		return p
	}
	if !p.Lost {
		return p
	}
	if !paused {
		p.State = Reconnecting
	}
	p.Generate = generate(in, cad)
	return p
}

// LossAt is when the input counts as lost: the next segment was due one
// cadence after the last arrival, and lossAfter more has passed.
func LossAt(lastHost time.Time, cadence float64, lossAfter time.Duration) time.Time {
	return lastHost.Add(seconds(cadence) + lossAfter)
}

func (c Config) lossAfter(rs []Rendition) time.Duration {
	if c.InputLossAfter > 0 {
		return c.InputLossAfter
	}
	return seconds(1.5 * float64(maxTarget(rs)))
}

// endOf decides whether the session ends now. The encoder's end waits
// for every rendition to end (at most half a target duration after the
// first), and is held while the host is paused: a paused session stays
// on the slate until the host resumes or EndAfter passes.
func endOf(in Input, cad float64, paused bool) (EndReason, bool) {
	if in.Config.EndAfter > 0 && !in.Now.Before(in.LastHost.Add(in.Config.EndAfter)) {
		return EndInputLost, true
	}
	if in.EndRequested.IsZero() || paused {
		return "", false
	}
	all := true
	for _, r := range in.Renditions {
		all = all && r.EncoderEnded
	}
	grace := seconds(float64(maxTarget(in.Renditions)) / 2)
	if all || !in.Now.Before(in.EndRequested.Add(grace)) {
		return EndEncoder, true
	}
	return "", false
}

// Cadence is the duration of generated segments: the shortest usual
// segment duration of the renditions (video segments end on frames, audio
// ones a few ms later on AAC frames), at most the smallest target
// duration; the target when no rendition has history.
func Cadence(rs []Rendition) float64 {
	cad, tmin := math.Inf(1), math.Inf(1)
	for _, r := range rs {
		if r.Usual > 0 {
			cad = math.Min(cad, r.Usual)
		}
		if r.Target > 0 {
			tmin = math.Min(tmin, float64(r.Target))
		}
	}
	if cad > tmin {
		cad = tmin
	}
	if math.IsInf(cad, 1) || cad <= 0 {
		cad = 2
	}
	return cad
}

// Usual is the median of recent host segment durations (0 when none).
func Usual(durations []float64) float64 {
	if len(durations) == 0 {
		return 0
	}
	d := append([]float64(nil), durations...)
	sort.Float64s(d)
	return d[len(d)/2]
}

// generate plans, per rendition, the segments from its end up to now
// (plus Lead) on
// one grid shared by every rendition: boundaries at base + k x cadence,
// base being the latest rendition end. Each rendition's first segment
// runs from its own end to the first boundary at least half a cadence
// later, so every rendition reaches the same boundaries at the same time.
func generate(in Input, cad float64) map[string][]Segment {
	base := in.Renditions[0].End
	for _, r := range in.Renditions[1:] {
		if r.End.After(base) {
			base = r.End
		}
	}
	step := seconds(cad)
	out := map[string][]Segment{}
	for _, r := range in.Renditions {
		if segs := fill(r, in, base, step); len(segs) > 0 {
			out[r.Name] = segs
		}
	}
	return out
}

func fill(r Rendition, in Input, base time.Time, step time.Duration) []Segment {
	k := int64(math.Ceil(float64(r.End.Add(step/2).Sub(base)) / float64(step)))
	b := base.Add(time.Duration(k) * step)
	if !b.After(r.End.Add(step / 2)) {
		b = b.Add(step)
	}
	var out []Segment
	cur, media, prev := r.End, r.MediaEnd, r.Slate
	for !b.After(in.Now.Add(max(in.Lead, 0))) && len(out) < MaxPerPlan {
		for _, span := range split(cur, b, r.Target) {
			sl := slateAt(in.Pauses, span[0], span[1])
			d := span[1].Sub(span[0]).Seconds()
			out = append(out, Segment{PDT: span[0], Duration: d, MediaStart: media, Slate: sl, Disc: sl != prev})
			media += d
			prev = sl
		}
		cur, b = b, b.Add(step)
	}
	return out
}

// split returns [from, to) whole, or in two halves when its duration
// rounded to the nearest second exceeds the target.
func split(from, to time.Time, target int) [][2]time.Time {
	if target <= 0 || int(math.Round(to.Sub(from).Seconds())) <= target {
		return [][2]time.Time{{from, to}}
	}
	mid := from.Add(to.Sub(from) / 2)
	return [][2]time.Time{{from, mid}, {mid, to}}
}

// slateAt is the slate of the latest pause overlapping [from, to), else
// the reconnecting slate.
func slateAt(ps []Pause, from, to time.Time) string {
	for i := len(ps) - 1; i >= 0; i-- {
		p := ps[i]
		if p.Start.Before(to) && (p.End == nil || p.End.After(from)) && p.Slate != "" {
			return p.Slate
		}
	}
	return ReconnectingSlate
}

// openAt returns the pause whose interval holds t.
func openAt(ps []Pause, t time.Time) *Pause {
	for i := len(ps) - 1; i >= 0; i-- {
		p := &ps[i]
		if !t.Before(p.Start) && (p.End == nil || t.Before(*p.End)) {
			return p
		}
	}
	return nil
}

func maxTarget(rs []Rendition) int {
	t := 0
	for _, r := range rs {
		t = max(t, r.Target)
	}
	return max(t, 1)
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
