package audience

import (
	"encoding/json"
	"errors"
	"fmt"
	"hlsorigin/origin"
	"math/rand"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

func tallies(v PollView) []int {
	out := make([]int, len(v.Options))
	for i, o := range v.Options {
		out[i] = o.Votes
	}
	return out
}

func mustVote(t *testing.T, ch testChannel, v Viewer, opt string) PollView {
	t.Helper()
	pv, err := ch.Vote(v, opt)
	if err != nil {
		t.Fatalf("vote %s by %s: %v", opt, v.ID, err)
	}
	return pv
}

// TestPollVotesExactUnderConcurrency: 10,000 votes from 2,000 viewers (each
// votes 5 times, re-voting), cast by 50 goroutines at once, plus 100
// viewers racing two votes of their own: the tallies are exactly the
// viewers' final votes, with no double count; after reopening the store
// (poll still open) the tallies, voters and own votes are the same, voting
// goes on, and the closed result (winner included) survives another reopen.
func TestPollVotesExactUnderConcurrency(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	o := openTest(t, dir, c)
	ch := newTestChannel(t, o, "poll")
	if err := ch.SetPollOptions([]string{"sing", "tell a joke", "red envelope", "dance"}); err != nil {
		t.Fatal(err)
	}
	p, err := ch.Pause(origin.PauseRequest{})
	if err != nil {
		t.Fatal(err)
	}
	const viewers, rounds, workers = 2000, 5, 50
	vs := make([]Viewer, viewers)
	final := make([]int, viewers) // 0-based option of each viewer's last vote
	plan := make([][]int, viewers)
	rng := rand.New(rand.NewSource(6))
	for i := range vs {
		vs[i] = Viewer{ID: fmt.Sprintf("%024x", i+1)}
		for range rounds {
			plan[i] = append(plan[i], rng.Intn(4))
		}
		final[i] = plan[i][rounds-1]
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers+200)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				for i := w; i < viewers; i += workers {
					if _, err := ch.Vote(vs[i], strconv.Itoa(plan[i][r]+1)); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	// 100 more viewers each send two different votes at once: one of them
	// wins (the later seq), never both.
	racers := make([]Viewer, 100)
	for i := range racers {
		racers[i] = Viewer{ID: fmt.Sprintf("ff%022x", i)}
		for _, opt := range []string{"1", "2"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := ch.Vote(racers[i], opt); err != nil {
					errs <- err
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("vote: %v", err)
	}
	want := make([]int, 4)
	for _, f := range final {
		want[f]++
	}
	for _, r := range racers {
		pv, err := ch.Poll("", r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if pv.YourVote != "1" && pv.YourVote != "2" {
			t.Fatalf("racer %s: your_vote %q", r.ID, pv.YourVote)
		}
		n, _ := strconv.Atoi(pv.YourVote)
		want[n-1]++
	}
	pv, _ := ch.Poll("", "")
	if got := tallies(pv); !slices.Equal(got, want) || pv.Total != viewers+len(racers) || pv.State != "open" {
		t.Fatalf("tallies %v (total %d, %s), want %v (total %d)", got, pv.Total, pv.State, want, viewers+len(racers))
	}
	for _, i := range []int{0, 777, 1999} {
		if pv, _ := ch.Poll(p.ID, vs[i].ID); pv.YourVote != strconv.Itoa(final[i]+1) {
			t.Errorf("viewer %d: your_vote %q, want %d", i, pv.YourVote, final[i]+1)
		}
	}

	// Restart while the poll is open: replayed from the vote log.
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	o = openTest(t, dir, c)
	ch, _ = o.Channel("poll")
	pv, err = ch.Poll("", vs[777].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := tallies(pv); !slices.Equal(got, want) || pv.State != "open" || pv.YourVote != strconv.Itoa(final[777]+1) {
		t.Fatalf("after reopen: %v %s your_vote %q, want %v open %d", got, pv.State, pv.YourVote, want, final[777]+1)
	}
	// Voting goes on after the restart: viewer 0 switches to option 4
	// (or to 3 if it was on 4).
	to := 3
	if final[0] == 3 {
		to = 2
	}
	want[final[0]]--
	want[to]++
	mustVote(t, ch, vs[0], strconv.Itoa(to+1))
	c.Advance(30 * time.Second)
	if _, err := ch.Resume(nil); err != nil {
		t.Fatal(err)
	}
	res, ok := ch.PollOf(p.ID)
	if !ok || res.State != "closed" || !res.Durable || !slices.Equal(tallies(res), want) || res.Winner == nil {
		t.Fatalf("result %+v, want closed durable %v with a winner", res, want)
	}
	best := slices.Max(want)
	if res.Winner.Votes != best {
		t.Errorf("winner %+v has not the most votes (%d)", res.Winner, best)
	}
	if _, err := ch.Vote(vs[1], "1"); !errors.Is(err, origin.ErrConflict) {
		t.Errorf("vote after close: %v, want conflict", err)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	o = openTest(t, dir, c)
	defer o.Close()
	ch, _ = o.Channel("poll")
	again, ok := ch.PollOf(p.ID)
	if !ok || again.State != "closed" || !slices.Equal(tallies(again), want) || again.Winner == nil || again.Winner.ID != res.Winner.ID {
		t.Fatalf("after reopen: %+v, want %v winner %s", again, want, res.Winner.ID)
	}
}

// TestPollTieBreak: on equal counts the option that reached its final count
// first wins, counting decrements (a viewer leaving an option changes it).
func TestPollTieBreak(t *testing.T) {
	c := newClock()
	o := openTest(t, t.TempDir(), c)
	defer o.Close()
	ch := newTestChannel(t, o, "tie")
	v := func(i int) Viewer { return Viewer{ID: fmt.Sprintf("%024x", i)} }
	run := func(steps [][2]int) PollView {
		t.Helper()
		c.Advance(time.Minute)
		if _, err := ch.Pause(origin.PauseRequest{PollOptions: []string{"A", "B", "C"}}); err != nil {
			t.Fatal(err)
		}
		for _, s := range steps {
			mustVote(t, ch, v(s[0]), strconv.Itoa(s[1]))
		}
		c.Advance(time.Minute)
		p, err := ch.Resume(nil)
		if err != nil {
			t.Fatal(err)
		}
		res, _ := ch.PollOf(p.ID)
		return res
	}
	// A=2 from seq 4 on, B=2 from seq 5 on: A wins.
	res := run([][2]int{{1, 1}, {2, 2}, {3, 2}, {3, 1}, {4, 2}, {5, 3}, {5, 3}})
	if got := tallies(res); !slices.Equal(got, []int{2, 2, 1}) || res.Winner == nil || res.Winner.Label != "A" {
		t.Errorf("tie 1: %v winner %+v, want [2 2 1] A", got, res.Winner)
	}
	// A reached 2 at seq 2 but went to 3 and back down to 2 at seq 6;
	// B holds 2 since seq 5: B wins.
	res = run([][2]int{{1, 1}, {2, 1}, {3, 1}, {4, 2}, {5, 2}, {3, 3}})
	if got := tallies(res); !slices.Equal(got, []int{2, 2, 1}) || res.Winner == nil || res.Winner.Label != "B" {
		t.Errorf("tie 2: %v winner %+v, want [2 2 1] B", got, res.Winner)
	}
	// No votes: no winner.
	if res = run(nil); res.Winner != nil || res.Total != 0 {
		t.Errorf("empty poll: %+v", res)
	}
}

// TestPollOptionsAndLifecycle: options are validated (nothing changes on
// refusal), the channel's options persist, a pause body overrides them,
// a poll opens only with a new pause, votes need an open poll and a valid
// option, and the events are poll (open, tallies) and poll_result.
func TestPollOptionsAndLifecycle(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	o := openTest(t, dir, c)
	ch := newTestChannel(t, o, "opts")
	if !slices.Equal(ch.PollOptions(), DefaultPollOptions) {
		t.Fatalf("default options %v", ch.PollOptions())
	}
	for _, bad := range [][]string{{"one"}, {"a", "b", "c", "d", "e", "f"}, {"a", " "}, {"a", "A"},
		{"a", "b\x00"}, {"a", string(make([]rune, 41))}, {"a", "\xff"}} {
		if err := ch.SetPollOptions(bad); !errors.Is(err, origin.ErrInvalid) {
			t.Errorf("options %q: %v, want invalid", bad, err)
		}
		if _, err := ch.Pause(origin.PauseRequest{PollOptions: bad}); !errors.Is(err, origin.ErrInvalid) {
			t.Errorf("pause with options %q: %v, want invalid", bad, err)
		}
	}
	if _, ok := ch.Paused(); ok {
		t.Fatal("a refused pause paused the channel")
	}
	if _, err := ch.Vote(Viewer{ID: "a"}, "1"); !errors.Is(err, origin.ErrConflict) {
		t.Errorf("vote without a poll: %v", err)
	}
	if err := ch.SetPollOptions([]string{" 唱歌 ", "讲笑话"}); err != nil {
		t.Fatal(err)
	}
	o.Close()
	o = openTest(t, dir, c)
	defer o.Close()
	ch, _ = o.Channel("opts")
	if got := ch.PollOptions(); !slices.Equal(got, []string{"唱歌", "讲笑话"}) {
		t.Fatalf("options after reopen: %q", got)
	}
	_, _, sub := ch.Subscribe(0)
	defer sub.Cancel()
	p, err := ch.Pause(origin.PauseRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := ch.Pause(origin.PauseRequest{PollOptions: []string{"x", "y"}}); again.ID != p.ID {
		t.Fatal("second pause is not idempotent")
	}
	pv, err := ch.Poll("", "")
	if err != nil || pv.ID != p.ID || pv.Options[0].Label != "唱歌" || len(pv.Options) != 2 {
		t.Fatalf("poll %+v %v", pv, err)
	}
	for _, bad := range []string{"0", "3", "01", "a", "", "1.0"} {
		if _, err := ch.Vote(Viewer{ID: "v"}, bad); !errors.Is(err, origin.ErrInvalid) {
			t.Errorf("option %q: %v, want invalid", bad, err)
		}
	}
	mustVote(t, ch, Viewer{ID: "v"}, "2")
	c.Advance(time.Minute)
	if _, err := ch.Resume(nil); err != nil {
		t.Fatal(err)
	}
	var types []string
	var last PollView
	deadline := time.After(30 * time.Second)
	for !slices.Contains(types, "poll_result") {
		select {
		case ev := <-sub.C:
			types = append(types, ev.Type)
			if ev.Type == "poll_result" {
				json.Unmarshal(ev.Data, &last)
			}
		case <-deadline:
			t.Fatalf("events %v: no poll_result", types)
		}
	}
	if types[0] != "paused" || types[1] != "poll" || !slices.Contains(types, "resumed") {
		t.Errorf("events %v", types)
	}
	if last.State != "closed" || last.Winner == nil || last.Winner.Label != "讲笑话" {
		t.Errorf("poll_result %+v", last)
	}
	// The pause body's options win over the channel's.
	c.Advance(time.Minute)
	if _, err := ch.Pause(origin.PauseRequest{PollOptions: []string{"x", "y", "z"}}); err != nil {
		t.Fatal(err)
	}
	if pv, _ := ch.Poll("", ""); len(pv.Options) != 3 || pv.Options[2].Label != "z" || pv.State != "open" {
		t.Errorf("overridden options: %+v", pv)
	}
}

// TestPollMaxDuration: a poll closes by itself after PollMaxDuration, with a
// durable result and a poll_result event; the pause goes on.
func TestPollMaxDuration(t *testing.T) {
	o := openWith(t, origin.Config{DataDir: t.TempDir()})
	o.aud.SetPollMaxDuration(300 * time.Millisecond)
	defer o.Close()
	ch := newTestChannel(t, o, "maxdur")
	_, _, sub := ch.Subscribe(0)
	defer sub.Cancel()
	if _, err := ch.Pause(origin.PauseRequest{}); err != nil {
		t.Fatal(err)
	}
	mustVote(t, ch, Viewer{ID: "v1"}, "3")
	deadline := time.After(60 * time.Second)
	for done := false; !done; {
		select {
		case ev := <-sub.C:
			done = ev.Type == "poll_result"
		case <-deadline:
			t.Fatal("no poll_result")
		}
	}
	pv, _ := ch.Poll("", "")
	if pv.State != "closed" || !pv.Durable || pv.Winner == nil || pv.Winner.Label != "red envelope" {
		t.Fatalf("after max duration: %+v", pv)
	}
	if _, ok := ch.Paused(); !ok {
		t.Error("closing the poll resumed the channel")
	}
	if _, err := ch.Vote(Viewer{ID: "v2"}, "1"); !errors.Is(err, origin.ErrConflict) {
		t.Errorf("vote after max duration: %v", err)
	}
}

// TestPollEventsThrottled: a burst of votes yields at most one "poll" event
// per 500 ms (plus the opening one), and the last one shows the final tallies.
func TestPollEventsThrottled(t *testing.T) {
	o := openTest(t, t.TempDir(), newClock())
	defer o.Close()
	ch := newTestChannel(t, o, "throttle")
	_, _, sub := ch.Subscribe(0)
	defer sub.Cancel()
	var mu sync.Mutex
	var polls []PollView
	got := make(chan struct{})
	go func() {
		defer close(got)
		for ev := range sub.C {
			if ev.Type == "poll" {
				var pv PollView
				json.Unmarshal(ev.Data, &pv)
				mu.Lock()
				polls = append(polls, pv)
				mu.Unlock()
			}
		}
	}()
	if _, err := ch.Pause(origin.PauseRequest{}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	const n = 300
	for i := range n {
		mustVote(t, ch, Viewer{ID: fmt.Sprintf("v%d", i)}, strconv.Itoa(i%3+1))
	}
	elapsed := time.Since(start)
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		k := len(polls)
		lastTotal := 0
		if k > 0 {
			lastTotal = polls[k-1].Total
		}
		mu.Unlock()
		if lastTotal == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("last poll event total %d, want %d", lastTotal, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	sub.Cancel()
	<-got
	// Events during the burst plus the trailing one: bounded by the burst's
	// length over the throttle period, whatever the machine's speed.
	limit := 2 + int(elapsed/pollEventEvery) + 1
	if len(polls) > limit {
		t.Errorf("%d poll events for %d votes over %v, want at most %d", len(polls), n, elapsed, limit)
	}
	t.Logf("%d votes in %v -> %d poll events", n, elapsed, len(polls))
}
