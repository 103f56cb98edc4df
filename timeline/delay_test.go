package timeline

import (
	"math/rand/v2"
	"testing"
	"time"
)

var dly0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func dlyAt(s float64) time.Time { return dly0.Add(time.Duration(s * float64(time.Second))) }

// dlySegs are 2 s host segments captured from t=0, each arriving 0.5 s
// after it ends.
func dlySegs(n int) []Stored {
	out := make([]Stored, n)
	for i := range out {
		out[i] = Stored{Seq: uint64(i), PDT: dlyAt(float64(2 * i)), Arrived: dlyAt(float64(2*i) + 2.5),
			Duration: 2 * time.Second, Host: true}
	}
	return out
}

const dlyMargin = 250 * time.Millisecond

func TestListable(t *testing.T) {
	end := dlyAt(100)
	for _, tc := range []struct {
		desc   string
		segs   func() []Stored
		listed int
		delay  time.Duration
		now    float64
		hides  []Hide
		want   int
	}{
		{desc: "no delay lists what arrived", segs: func() []Stored { return dlySegs(5) }, now: 6.5, want: 3},
		{desc: "delay 6s", segs: func() []Stored { return dlySegs(5) }, delay: 6 * time.Second, now: 12.5, want: 3},
		{desc: "never takes back", segs: func() []Stored { return dlySegs(5) }, listed: 4, delay: time.Hour, now: 0, want: 4},
		{desc: "listed beyond the end", segs: func() []Stored { return dlySegs(2) }, listed: 9, now: 0, want: 2},
		{desc: "zero arrival is due", segs: func() []Stored {
			s := dlySegs(3)
			for i := range s {
				s[i].Arrived = time.Time{}
			}
			return s
		}, delay: time.Hour, now: 0, want: 3},
		{desc: "blocked segment stops the listing", segs: func() []Stored { return dlySegs(5) }, now: 100,
			hides: []Hide{{ID: "p", At: dlyAt(5), Received: dlyAt(7)}}, want: 2},
		{desc: "a segment stored after the pause is not blocked", segs: func() []Stored { return dlySegs(5) }, now: 100,
			hides: []Hide{{ID: "p", At: dlyAt(5), Received: dlyAt(2)}}, want: 5},
		{desc: "re-spliced segments pass", segs: func() []Stored {
			s := dlySegs(5)
			for i := 2; i < 4; i++ {
				s[i].CutBy = "p"
			}
			return s
		}, now: 100, hides: []Hide{{ID: "p", At: dlyAt(5), End: &end, Received: dlyAt(9)}}, want: 5},
		{desc: "withdrawn and slate segments pass", segs: func() []Stored {
			s := dlySegs(5)
			s[2].Withdrawn, s[3].Host = true, false
			return s
		}, now: 100, hides: []Hide{{ID: "p", At: dlyAt(5), Received: dlyAt(9)}}, want: 5},
		{desc: "an old pause record (no receipt) blocks nothing", segs: func() []Stored { return dlySegs(5) }, now: 100,
			hides: []Hide{{ID: "p", At: dlyAt(5)}}, want: 5},
	} {
		got := Listable(tc.segs(), tc.listed, tc.delay, dlyAt(tc.now), tc.hides, dlyMargin)
		if got != tc.want {
			t.Errorf("%s: listable %d, want %d", tc.desc, got, tc.want)
		}
	}
}

func TestHides(t *testing.T) {
	end := dlyAt(10)
	s := Stored{PDT: dlyAt(4), Arrived: dlyAt(6.5), Duration: 2 * time.Second, Host: true}
	late := s
	late.Arrived = dlyAt(9) // the encoder fell behind: captured up to 9 - 2 = 7..9
	ahead := s
	ahead.Arrived = dlyAt(5) // sent faster than real time: captured by 5, whatever the PDT says
	old := s
	old.Arrived = time.Time{} // no arrival recorded: the PDT
	for _, tc := range []struct {
		desc string
		h    Hide
		s    Stored
		want bool
	}{
		{"pause after the segment", Hide{At: dlyAt(7)}, s, false},
		{"pause inside the margin of its end", Hide{At: dlyAt(6.1)}, s, true},
		{"pause inside", Hide{At: dlyAt(5)}, s, true},
		{"pause before", Hide{At: dlyAt(1)}, s, true},
		{"ended before it", Hide{At: dlyAt(1), End: dlyPtr(dlyAt(4))}, s, false},
		{"ended inside", Hide{At: dlyAt(1), End: dlyPtr(dlyAt(5))}, s, true},
		{"late arrival maps later", Hide{At: dlyAt(8)}, late, true},
		{"ended at 10, late segment", Hide{At: dlyAt(1), End: &end}, late, true},
		{"PDT ahead of arrival: arrival bounds capture", Hide{At: dlyAt(5.5)}, ahead, false},
		{"PDT ahead of arrival, pause before its arrival", Hide{At: dlyAt(4.5)}, ahead, true},
		{"no arrival: the PDT", Hide{At: dlyAt(5.9)}, old, true},
		{"no arrival: after its PDT end and the margin", Hide{At: dlyAt(6.3)}, old, false},
	} {
		if got := Hides(tc.h, tc.s, dlyMargin); got != tc.want {
			t.Errorf("%s: hides %v, want %v", tc.desc, got, tc.want)
		}
	}
}

func dlyPtr(t time.Time) *time.Time { return &t }

func TestWithdraw(t *testing.T) {
	segs := dlySegs(6)
	segs[4].Host = false // a slate segment: no host video
	for _, tc := range []struct {
		desc      string
		listed    int
		at        float64
		wantIdx   []int
		wantFrom  float64
		wantUntil float64
		none      bool
	}{
		{desc: "nothing published after at", listed: 2, at: 5, none: true},
		{desc: "the published tail", listed: 6, at: 5, wantIdx: []int{2, 3, 5}, wantFrom: 5, wantUntil: 12.5},
		{desc: "at just past the margin of a late end", listed: 4, at: 4.8, wantIdx: []int{2, 3}, wantFrom: 4.8, wantUntil: 8.5},
		{desc: "before everything", listed: 3, at: -1, wantIdx: []int{0, 1, 2}, wantFrom: -1, wantUntil: 6.5},
	} {
		idx, iv := Withdraw(segs, tc.listed, Hide{ID: "p", At: dlyAt(tc.at)}, dlyMargin)
		if tc.none {
			if idx != nil || iv != nil {
				t.Errorf("%s: withdraw %v %v, want none", tc.desc, idx, iv)
			}
			continue
		}
		if len(idx) != len(tc.wantIdx) {
			t.Fatalf("%s: withdraw %v, want %v", tc.desc, idx, tc.wantIdx)
		}
		for i := range idx {
			if idx[i] != tc.wantIdx[i] {
				t.Errorf("%s: withdraw %v, want %v", tc.desc, idx, tc.wantIdx)
			}
		}
		if iv == nil || !iv.From.Equal(dlyAt(tc.wantFrom)) || !iv.Until.Equal(dlyAt(tc.wantUntil)) {
			t.Errorf("%s: exposed %v, want %v..%v", tc.desc, iv, tc.wantFrom, tc.wantUntil)
		}
	}
}

func TestNextDueAndMerge(t *testing.T) {
	segs := dlySegs(3)
	if d, ok := NextDue(segs, 1, 6*time.Second); !ok || !d.Equal(dlyAt(10.5)) {
		t.Errorf("next due %v %v", d, ok)
	}
	if _, ok := NextDue(segs, 3, time.Second); ok {
		t.Error("all listed: nothing due")
	}
	a := &Interval{From: dlyAt(5), Until: dlyAt(8)}
	b := &Interval{From: dlyAt(4), Until: dlyAt(7)}
	if m := Merge(a, b); !m.From.Equal(dlyAt(4)) || !m.Until.Equal(dlyAt(8)) {
		t.Errorf("merge %v", m)
	}
	if Merge(nil, b) != b || Merge(a, nil) != a || Merge(nil, nil) != nil {
		t.Error("merge with nil")
	}
}

// TestDelayProperties: over random timelines, Listable lists a prefix in
// which every segment is due and unblocked (and never fewer than before),
// and Withdraw picks exactly the listed host segments the pause hides,
// inside the exposed interval.
func TestDelayProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for iter := 0; iter < 2000; iter++ {
		segs := dlySegs(1 + rng.IntN(12))
		for i := range segs {
			segs[i].Arrived = segs[i].Arrived.Add(time.Duration(rng.IntN(3000)) * time.Millisecond)
			segs[i].Host = rng.IntN(5) > 0
		}
		h := Hide{ID: "p", At: dlyAt(rng.Float64() * 24), Received: dlyAt(rng.Float64() * 30)}
		delay := time.Duration(rng.IntN(8)) * time.Second
		now := dlyAt(rng.Float64() * 40)
		prev := rng.IntN(len(segs) + 1)
		n := Listable(segs, prev, delay, now, []Hide{h}, 0)
		if n < prev || n > len(segs) {
			t.Fatalf("iter %d: listable %d from %d of %d", iter, n, prev, len(segs))
		}
		for i := prev; i < n; i++ {
			if _, b := Blocked(segs[i], []Hide{h}, 0); b || segs[i].Arrived.Add(delay).After(now) {
				t.Fatalf("iter %d: segment %d listed while blocked %v or not due", iter, i, b)
			}
		}
		idx, iv := Withdraw(segs, n, h, 0)
		picked := map[int]bool{}
		for _, i := range idx {
			picked[i] = true
			_, end := segs[i].latest()
			if iv == nil || end.After(iv.Until) || iv.From.After(h.At) {
				t.Fatalf("iter %d: segment %d outside the exposed interval %v", iter, i, iv)
			}
		}
		for i := 0; i < n; i++ {
			if want := segs[i].Host && Hides(h, segs[i], 0); want != picked[i] {
				t.Fatalf("iter %d: segment %d picked %v, hidden host %v", iter, i, picked[i], want)
			}
		}
		if (iv == nil) != (len(idx) == 0) {
			t.Fatalf("iter %d: exposed %v with %d picked", iter, iv, len(idx))
		}
	}
}
