package main

import (
	"encoding/json"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestVotesSurviveKill9: viewers vote over HTTP into the real binary,
// which is SIGKILLed while votes are in flight. After a restart every
// answered vote counts: a viewer whose votes were all answered has exactly
// its last answered vote; a viewer with a vote in flight at the kill has
// either its last answered vote or the one in flight (which may have been
// committed before its answer was lost). The tallies are the sum of the
// viewers' votes, and the host can still close the poll with a durable result.
func TestVotesSurviveKill9(t *testing.T) {
	dir := t.TempDir()
	p := startProc(t, dir)
	var cr channelCreds
	p.mustCall(t, "POST", "/api/v1/channels", adminToken, []byte(`{"id":"votes","title":"votes"}`), 201, &cr)
	p.mustCall(t, "POST", "/api/v1/channels/votes/pause", cr.HostToken, nil, 200, nil)
	const viewers, workers = 200, 16
	toks := make([]string, viewers)
	for i := range toks {
		var v struct {
			Token string `json:"viewer_token"`
		}
		p.mustCall(t, "POST", "/api/v1/viewers", "", nil, 201, &v)
		toks[i] = v.Token
	}
	type state struct {
		answered string // last answered option ("" none)
		inFlight string // option sent without an answer (the kill)
	}
	states := make([]state, viewers)
	var answered atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 0; round < 1000; round++ {
				for i := w; i < viewers; i += workers {
					opt := strconv.Itoa((i+round)%3 + 1)
					st, _, err := p.call("POST", "/api/v1/channels/votes/poll/vote", toks[i], []byte(`{"option":"`+opt+`"}`), nil)
					if err != nil || st != 200 {
						states[i].inFlight = opt
						return
					}
					states[i].answered = opt
					answered.Add(1)
				}
			}
		}()
	}
	deadline := time.Now().Add(2 * time.Minute)
	for answered.Load() < 1500 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	p.kill()
	wg.Wait()
	n := answered.Load()
	if n < 1500 {
		t.Fatalf("only %d votes answered before the deadline", n)
	}

	p = startProc(t, dir)
	var poll struct {
		State    string `json:"state"`
		Total    int    `json:"total"`
		YourVote string `json:"your_vote"`
		Options  []struct {
			Votes int `json:"votes"`
		} `json:"options"`
	}
	counts := make([]int, 3)
	voters, uncertain := 0, 0
	for i, s := range states {
		p.mustCall(t, "GET", "/api/v1/channels/votes/poll", toks[i], nil, 200, &poll)
		switch {
		case s.inFlight != "":
			uncertain++
			if poll.YourVote != s.answered && poll.YourVote != s.inFlight {
				t.Errorf("viewer %d: after the kill votes %q, want its answered %q or in-flight %q", i, poll.YourVote, s.answered, s.inFlight)
			}
		case poll.YourVote != s.answered:
			t.Errorf("viewer %d: after the kill votes %q, want its last answered vote %q", i, poll.YourVote, s.answered)
		}
		if poll.YourVote != "" {
			k, _ := strconv.Atoi(poll.YourVote)
			counts[k-1]++
			voters++
		}
	}
	if poll.State != "open" || poll.Total != voters {
		t.Fatalf("poll after restart: %s, %d voters, want open with %d", poll.State, poll.Total, voters)
	}
	for k, o := range poll.Options {
		if o.Votes != counts[k] {
			t.Errorf("option %d: %d votes, viewers say %d", k+1, o.Votes, counts[k])
		}
	}
	var resumed struct {
		Poll struct {
			State   string `json:"state"`
			Total   int    `json:"total"`
			Durable bool   `json:"durable"`
		} `json:"poll"`
	}
	p.mustCall(t, "POST", "/api/v1/channels/votes/resume", cr.HostToken, nil, 200, &resumed)
	if resumed.Poll.State != "closed" || !resumed.Poll.Durable || resumed.Poll.Total != voters {
		t.Errorf("resume after restart: %+v", resumed.Poll)
	}
	b, _ := json.Marshal(counts)
	t.Logf("%d votes answered before SIGKILL; after restart %d voters %s, %d viewers had a vote in flight", n, voters, b, uncertain)
}
