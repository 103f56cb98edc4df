package timeline

import (
	"math"
	"math/rand"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func at(s float64) time.Time { return t0.Add(seconds(s)) }

// muxed is one rendition whose last 2 s segment ended at end (arrived then).
func muxed(end float64) []Rendition {
	return []Rendition{{Name: "v", End: at(end), MediaEnd: 100, Usual: 2, Target: 3}}
}

func TestDecideTable(t *testing.T) {
	resumed := at(20)
	cases := []struct {
		desc      string
		in        Input
		wantState State
		wantLost  bool
		wantEnd   EndReason
		wantGen   int // segments generated for "v"
		wantSlate string
	}{
		{desc: "nothing ever arrived", in: Input{Now: at(100), Renditions: muxed(0)}, wantState: Idle},
		{desc: "nothing arrived, paused", in: Input{Now: at(100), Renditions: muxed(0), Pauses: []Pause{{Start: at(1)}}}, wantState: Paused},
		{desc: "live, next segment not yet overdue", in: Input{Now: at(16.4), LastHost: at(10), Renditions: muxed(10)}, wantState: Live},
		// due at 12, lost 4.5 s (1.5 x target 3) later: 16.5; boundaries 12, 14, 16
		{desc: "lost: backfill up to now", in: Input{Now: at(16.5), LastHost: at(10), Renditions: muxed(10)},
			wantState: Reconnecting, wantLost: true, wantGen: 3, wantSlate: ReconnectingSlate},
		{desc: "explicit input-loss-after", in: Input{Now: at(13), LastHost: at(10), Renditions: muxed(10), Config: Config{InputLossAfter: time.Second}},
			wantState: Reconnecting, wantLost: true, wantGen: 1, wantSlate: ReconnectingSlate},
		{desc: "paused and lost: the pause's slate", in: Input{Now: at(17), LastHost: at(10), Renditions: muxed(10), Pauses: []Pause{{Start: at(5), Slate: "food"}}},
			wantState: Paused, wantLost: true, wantGen: 3, wantSlate: "food"},
		{desc: "resumed while lost: reconnecting slate after the resume", in: Input{Now: at(25), LastHost: at(10), Renditions: muxed(10),
			Pauses: []Pause{{Start: at(5), End: &resumed, Slate: "food"}}}, wantState: Reconnecting, wantLost: true, wantGen: 7, wantSlate: ReconnectingSlate},
		{desc: "lost for end-after: ended", in: Input{Now: at(610), LastHost: at(10), Renditions: muxed(10), Config: Config{EndAfter: 10 * time.Minute}},
			wantState: Ended, wantLost: true, wantEnd: EndInputLost},
		{desc: "encoder ended every rendition", in: Input{Now: at(10.1), LastHost: at(10), EndRequested: at(10),
			Renditions: []Rendition{{Name: "v", End: at(10), Usual: 2, Target: 3, EncoderEnded: true}}}, wantState: Ended, wantEnd: EndEncoder},
		{desc: "encoder ended one of two renditions: wait", in: Input{Now: at(11), LastHost: at(10), EndRequested: at(10),
			Renditions: []Rendition{{Name: "v", End: at(10), Usual: 2, Target: 3, EncoderEnded: true}, {Name: "a", End: at(10), Usual: 2, Target: 3}}},
			wantState: Live},
		{desc: "encoder ended one of two renditions: half a target later, ended", in: Input{Now: at(11.5), LastHost: at(10), EndRequested: at(10),
			Renditions: []Rendition{{Name: "v", End: at(10), Usual: 2, Target: 3, EncoderEnded: true}, {Name: "a", End: at(10), Usual: 2, Target: 3}}},
			wantState: Ended, wantEnd: EndEncoder},
		{desc: "encoder ended while paused: held", in: Input{Now: at(12), LastHost: at(10), EndRequested: at(10), Pauses: []Pause{{Start: at(9)}},
			Renditions: []Rendition{{Name: "v", End: at(10), Usual: 2, Target: 3, EncoderEnded: true}}}, wantState: Paused},
		{desc: "PDT ahead of arrivals by 4 s: the cadence of arrivals", in: Input{Now: at(16.5), LastHost: at(10), Lead: 4 * time.Second, Renditions: muxed(14)},
			wantState: Reconnecting, wantLost: true, wantGen: 3, wantSlate: ReconnectingSlate},
		{desc: "already ended", in: Input{Now: at(30), LastHost: at(10), Ended: true, Renditions: muxed(10)}, wantState: Ended},
	}
	for _, c := range cases {
		p := Decide(c.in)
		if p.State != c.wantState || p.Lost != c.wantLost || p.EndReason != c.wantEnd || p.End != (c.wantEnd != "") {
			t.Errorf("%s: state %s lost %v end %v %q, want %s %v %q", c.desc, p.State, p.Lost, p.End, p.EndReason, c.wantState, c.wantLost, c.wantEnd)
		}
		gen := p.Generate["v"]
		if len(gen) != c.wantGen {
			t.Errorf("%s: %d segments generated, want %d: %+v", c.desc, len(gen), c.wantGen, gen)
			continue
		}
		if n := len(gen); n > 0 && gen[n-1].Slate != c.wantSlate {
			t.Errorf("%s: last slate %q, want %q", c.desc, gen[n-1].Slate, c.wantSlate)
		}
	}
}

func TestDecideSlateChangeIsDiscontinuity(t *testing.T) {
	resumed := at(19)
	p := Decide(Input{Now: at(24), LastHost: at(10), Renditions: muxed(10), Pauses: []Pause{{Start: at(5), End: &resumed, Slate: "food"}}})
	var discs []float64
	for _, s := range p.Generate["v"] {
		if s.Disc {
			discs = append(discs, s.PDT.Sub(t0).Seconds())
		}
	}
	// 10 (host -> food), 20 (food -> reconnecting: the first segment starting after the resume)
	if len(discs) != 2 || discs[0] != 10 || discs[1] != 20 {
		t.Errorf("discontinuities at %v, want [10 20]", discs)
	}
}

func TestCadence(t *testing.T) {
	for _, c := range []struct {
		rs   []Rendition
		want float64
	}{
		{[]Rendition{{Usual: 2.005, Target: 3}, {Usual: 2, Target: 3}}, 2},
		{[]Rendition{{Usual: 4, Target: 3}}, 3},
		{[]Rendition{{Target: 4}}, 4},
		{nil, 2},
	} {
		if got := Cadence(c.rs); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("Cadence(%+v) = %v, want %v", c.rs, got, c.want)
		}
	}
	if u := Usual([]float64{2, 2, 1.2, 2.1, 2}); u != 2 {
		t.Errorf("Usual = %v, want 2", u)
	}
}

// TestDecideProperties drives a simulated clock through random channels
// (renditions ending at slightly different instants, pauses starting and
// ending, ticks at random intervals), applies each plan as the origin
// would, and checks the guarantees of the package doc on the result.
func TestDecideProperties(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for iter := 0; iter < 400; iter++ {
		simulate(t, rng, iter)
		if t.Failed() {
			return
		}
	}
}

type simSeg struct {
	pdt      time.Time
	dur      float64
	media    float64
	disc     bool
	gen      bool
	slate    string
	planTime time.Time
}

func simulate(t *testing.T, rng *rand.Rand, iter int) {
	target := 2 + rng.Intn(5)
	usual := float64(target) / (1 + rng.Float64()*0.6) // 1..1.6 below the target, as encoders cut
	nr := 1 + rng.Intn(4)
	last := at(100)
	lead := time.Duration(0)
	if iter%2 == 1 { // renditions' PDT ahead of the arrivals
		lead = time.Duration(rng.Intn(4000)) * time.Millisecond
	}
	segs := map[string][]simSeg{}
	var rs []Rendition
	for i := 0; i < nr; i++ {
		name := string(rune('a' + i))
		end := last.Add(lead - time.Duration(rng.Intn(80))*time.Millisecond)
		media := rng.Float64() * 1000
		segs[name] = []simSeg{{pdt: end.Add(-seconds(usual)), dur: usual, media: media - usual}}
		rs = append(rs, Rendition{Name: name, End: end, MediaEnd: media, Usual: usual, Target: target})
	}
	var pauses []Pause
	if rng.Intn(2) == 0 {
		pauses = append(pauses, Pause{Start: last.Add(seconds(rng.Float64() * 20)), Slate: "brb"})
		if rng.Intn(2) == 0 {
			e := pauses[0].Start.Add(seconds(rng.Float64() * 20))
			pauses[0].End = &e
		}
	}
	cfg := Config{EndAfter: time.Duration(30+rng.Intn(60)) * time.Second}
	now := last
	ended := false
	for step := 0; step < 400 && !ended; step++ {
		now = now.Add(time.Duration(rng.Intn(1500)) * time.Millisecond)
		p := Decide(Input{Now: now, LastHost: last, Lead: lead, Renditions: rs, Pauses: pauses, Config: cfg})
		if p.End {
			ended = true
			if now.Before(last.Add(cfg.EndAfter)) {
				t.Fatalf("iter %d: ended at %v, before end-after", iter, now.Sub(last))
			}
		}
		if p.Lost != !now.Before(LossAt(last, Cadence(rs), seconds(1.5*float64(target)))) {
			t.Fatalf("iter %d: lost %v at %v after the last arrival", iter, p.Lost, now.Sub(last))
		}
		for i := range rs {
			r := &rs[i]
			for _, g := range p.Generate[r.Name] {
				segs[r.Name] = append(segs[r.Name], simSeg{pdt: g.PDT, dur: g.Duration, media: g.MediaStart, disc: g.Disc, gen: true, slate: g.Slate, planTime: now.Add(lead)})
				r.End, r.MediaEnd, r.Slate = g.PDT.Add(seconds(g.Duration)), g.MediaStart+g.Duration, g.Slate
			}
		}
	}
	checkSim(t, iter, segs, pauses, target, usual)
}

func checkSim(t *testing.T, iter int, segs map[string][]simSeg, pauses []Pause, target int, usual float64) {
	t.Helper()
	var ref []simSeg
	for name, ss := range segs {
		var gen []simSeg
		for i := 1; i < len(ss); i++ {
			prev, s := ss[i-1], ss[i]
			prevEnd := prev.pdt.Add(seconds(prev.dur))
			if d := s.pdt.Sub(prevEnd); d < -time.Microsecond || d > time.Microsecond {
				t.Fatalf("iter %d %s seg %d: PDT %v after the previous end (gap or overlap)", iter, name, i, d)
			}
			if math.Abs(s.media-(prev.media+prev.dur)) > 1e-6 {
				t.Fatalf("iter %d %s seg %d: media %v, previous ends at %v", iter, name, i, s.media, prev.media+prev.dur)
			}
			if int(math.Round(s.dur)) > target || s.dur <= 0 {
				t.Fatalf("iter %d %s seg %d: duration %v, target %d", iter, name, i, s.dur, target)
			}
			if s.pdt.Add(seconds(s.dur)).After(s.planTime) {
				t.Fatalf("iter %d %s seg %d: planned at %v, ends later", iter, name, i, s.planTime)
			}
			if s.disc != (s.slate != prev.slate) {
				t.Fatalf("iter %d %s seg %d: disc %v, slate %q after %q", iter, name, i, s.disc, s.slate, prev.slate)
			}
			if want := slateAt(pauses, s.pdt, s.pdt.Add(seconds(s.dur))); s.slate != want {
				t.Fatalf("iter %d %s seg %d: slate %q, want %q", iter, name, i, s.slate, want)
			}
			if i > 1 && math.Abs(s.dur-usual) > 1e-6 && i < len(ss)-0 && !splitOK(s.dur, usual, target) {
				t.Fatalf("iter %d %s seg %d: duration %v, cadence %v", iter, name, i, s.dur, usual)
			}
			gen = append(gen, s)
		}
		if ref == nil {
			ref = gen
			continue
		}
		// Same instants in every rendition: after each rendition's first
		// segment, the same boundaries and discontinuities.
		if len(gen) != len(ref) {
			t.Fatalf("iter %d: %s has %d generated segments, another rendition %d", iter, name, len(gen), len(ref))
		}
		for i := 1; i < len(gen); i++ {
			if d := gen[i].pdt.Sub(ref[i].pdt); d < -time.Microsecond || d > time.Microsecond || gen[i].disc != ref[i].disc {
				t.Fatalf("iter %d %s seg %d: PDT %v disc %v, other rendition %v %v", iter, name, i, gen[i].pdt, gen[i].disc, ref[i].pdt, ref[i].disc)
			}
		}
	}
}

// splitOK accepts the halves of a first segment too long for the target.
func splitOK(d, usual float64, target int) bool {
	return d < usual && int(math.Round(2*d)) > target-1
}
