package timeline

import (
	"math"
	"testing"
	"time"
)

func TestCut(t *testing.T) {
	end := at(25)
	ps := []Pause{{Start: at(11.5), End: &end}}
	cases := []struct {
		desc          string
		start, dur    float64
		late, early   time.Time
		pm, rm        float64
		wantFrom      float64
		wantTo        float64
		wantIdx       int
		wantFromInfty bool
	}{
		{desc: "exact clock: the cut at the pause instant", start: 100, dur: 2, late: at(10), early: at(10), wantFrom: 101.5, wantTo: 115, wantIdx: 0},
		{desc: "arrival mapping: margins", start: 100, dur: 2, late: at(10.2), early: at(9.8), pm: 0.25, rm: 3, wantFrom: 101.05, wantTo: 118.2, wantIdx: 0},
		{desc: "segment inside the pause", start: 104, dur: 2, late: at(14), early: at(14), wantFromInfty: true, wantTo: 115, wantIdx: 0},
		{desc: "segment before the pause", start: 96, dur: 2, late: at(6), early: at(6), wantIdx: -1},
		{desc: "segment after the resume", start: 116, dur: 2, late: at(26), early: at(26), wantIdx: -1},
	}
	for _, c := range cases {
		from, to, i := Cut(c.start, c.dur, c.late, c.early, ps, c.pm, c.rm)
		if i != c.wantIdx {
			t.Errorf("%s: pause %d, want %d", c.desc, i, c.wantIdx)
			continue
		}
		if i < 0 {
			continue
		}
		if c.wantFromInfty != math.IsInf(from, -1) || (!c.wantFromInfty && math.Abs(from-c.wantFrom) > 1e-9) || math.Abs(to-c.wantTo) > 1e-9 {
			t.Errorf("%s: cut %v..%v, want %v..%v", c.desc, from, to, c.wantFrom, c.wantTo)
		}
	}
}
