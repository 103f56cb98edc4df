package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

type pollResp struct {
	ID      string `json:"id"`
	PauseID string `json:"pause_id"`
	State   string `json:"state"`
	Options []struct {
		ID    string `json:"id"`
		Label string `json:"label"`
		Votes int    `json:"votes"`
	} `json:"options"`
	Total  int `json:"total"`
	Winner *struct {
		ID    string `json:"id"`
		Label string `json:"label"`
		Votes int    `json:"votes"`
	} `json:"winner"`
	Durable  bool   `json:"durable"`
	YourVote string `json:"your_vote"`
}

// TestPollRefusals: every bad vote, pause body and channel patch answers a
// 4xx JSON error and changes nothing.
func TestPollRefusals(t *testing.T) {
	fs := newFixtureServer(t)
	tok := fs.viewerToken(t)
	forged := tok[:len(tok)-2] + "AA"
	if forged == tok {
		forged = tok[:len(tok)-2] + "BB"
	}
	check := func(name, method, path, token, body string, want int) {
		t.Helper()
		resp := fs.req(t, method, path, token, body)
		if resp.StatusCode != want || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s: %d %s, want %d JSON", name, resp.StatusCode, resp.Header.Get("Content-Type"), want)
		}
	}
	check("poll before any pause", "GET", "/api/v1/channels/c/poll", "", "", 404)
	check("vote without a poll", "POST", "/api/v1/channels/c/poll/vote", tok, `{"option":"1"}`, 409)
	for _, b := range []string{`{"poll_options":["one"]}`, `{"poll_options":["a","b","c","d","e","f"]}`,
		`{"poll_options":["a","A"]}`, `{"poll_options":["a",""]}`, `{"poll_options":"sing"}`} {
		check("pause "+b, "POST", "/api/v1/channels/c/pause", fs.host, b, 400)
		check("patch "+b, "PATCH", "/api/v1/channels/c", fs.host, `{"title":"changed",`+b[1:], 400)
	}
	var ch ChannelView
	decode(t, fs.req(t, "GET", "/api/v1/channels/c", "", ""), &ch)
	if ch.State == "paused" || ch.Title != "cooking" || len(ch.PollOptions) != 3 || ch.PollOptions[0] != "sing" {
		t.Fatalf("refused requests changed the channel: %+v", ch)
	}
	check("patch options without host token", "PATCH", "/api/v1/channels/c", tok, `{"poll_options":["a","b"]}`, 403)
	if resp := fs.req(t, "POST", "/api/v1/channels/c/pause", fs.host, `{"poll_options":["唱歌","讲笑话"]}`); resp.StatusCode != 200 {
		t.Fatalf("pause: %d", resp.StatusCode)
	}
	for _, c := range []struct {
		name, token, body string
		want              int
	}{
		{"no token", "", `{"option":"1"}`, 401},
		{"forged token", forged, `{"option":"1"}`, 401},
		{"host token", fs.host, `{"option":"1"}`, 401},
		{"no option", tok, `{}`, 400},
		{"option 0", tok, `{"option":"0"}`, 400},
		{"option 3 of 2", tok, `{"option":3}`, 400},
		{"label instead of id", tok, `{"option":"唱歌"}`, 400},
		{"option object", tok, `{"option":{}}`, 400},
		{"unknown field", tok, `{"option":"1","x":1}`, 400},
		{"not JSON", tok, `1`, 400},
	} {
		check("vote: "+c.name, "POST", "/api/v1/channels/c/poll/vote", c.token, c.body, c.want)
	}
	check("vote on unknown channel", "POST", "/api/v1/channels/nope/poll/vote", tok, `{"option":"1"}`, 404)
	check("poll with a forged token", "GET", "/api/v1/channels/c/poll", forged, "", 401)
	check("poll of an unknown pause", "GET", "/api/v1/channels/c/poll?pause=p1", "", "", 404)
	var pv pollResp
	decode(t, fs.req(t, "GET", "/api/v1/channels/c/poll", tok, ""), &pv)
	if pv.State != "open" || pv.Total != 0 || pv.YourVote != "" || len(pv.Options) != 2 || pv.Options[1].Label != "讲笑话" {
		t.Fatalf("refused votes counted or options wrong: %+v", pv)
	}
}

// TestPollOverHTTP: options set by PATCH, poll opened by pause, votes and
// re-votes by viewer tokens (string or number ids), own vote in GET, live
// poll/poll_result/chat events, the result in the resume answer and in the
// pause list, and the vote rate limit.
func TestPollOverHTTP(t *testing.T) {
	fs := newFixtureServerWith(t, Options{AdminToken: testAdmin,
		RateLimits: map[string]RateLimit{LimitVote: {PerSecond: 0.01, Burst: 5}}})
	base := "http://" + fs.listen(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	evs := openSSE(t, ctx, base+"/api/v1/channels/c/events", "")
	next(t, evs, "sync")

	var ch ChannelView
	decode(t, fs.req(t, "PATCH", "/api/v1/channels/c", fs.host, `{"poll_options":["sing","dance","red envelope"]}`), &ch)
	if len(ch.PollOptions) != 3 || ch.PollOptions[1] != "dance" {
		t.Fatalf("patched options: %v", ch.PollOptions)
	}
	var paused struct {
		Pause PauseView `json:"pause"`
	}
	decode(t, fs.req(t, "POST", "/api/v1/channels/c/pause", fs.host, ""), &paused)
	var open pollResp
	if err := json.Unmarshal([]byte(next(t, evs, "poll").data), &open); err != nil || open.ID != paused.Pause.ID || open.State != "open" || len(open.Options) != 3 {
		t.Fatalf("poll event on open: %+v %v", open, err)
	}
	a, b, c := fs.viewerToken(t), fs.viewerToken(t), fs.viewerToken(t)
	vote := func(tok, body string, want int) pollResp {
		t.Helper()
		resp := fs.req(t, "POST", "/api/v1/channels/c/poll/vote", tok, body)
		var pv pollResp
		if resp.StatusCode != want {
			t.Fatalf("vote %s: %d, want %d", body, resp.StatusCode, want)
		}
		decode(t, resp, &pv)
		return pv
	}
	vote(a, `{"option":"1"}`, 200)
	vote(b, `{"option":2}`, 200)
	vote(c, `{"option":"2"}`, 200)
	if pv := vote(a, `{"option":"3"}`, 200); pv.YourVote != "3" || pv.Total != 3 {
		t.Fatalf("re-vote answer %+v", pv)
	}
	vote(c, `{"option":"3"}`, 200) // dance 1 (since vote 5), red envelope 2
	// Five votes from this address used the burst: the next is refused.
	resp := fs.req(t, "POST", "/api/v1/channels/c/poll/vote", b, `{"option":"1"}`)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("vote over the limit: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	var pv pollResp
	decode(t, fs.req(t, "GET", "/api/v1/channels/c/poll", b, ""), &pv)
	if pv.YourVote != "2" || pv.Options[0].Votes != 0 || pv.Options[1].Votes != 1 || pv.Options[2].Votes != 2 {
		t.Fatalf("poll seen by b: %+v", pv)
	}
	for {
		var live pollResp
		json.Unmarshal([]byte(next(t, evs, "poll").data), &live)
		if live.Total == 3 && live.Options[2].Votes == 2 {
			break // throttled tally events catch up with the last vote
		}
	}
	fs.req(t, "POST", "/api/v1/channels/c/chat", a, `{"text":"唱歌!"}`)
	if ev := next(t, evs, "chat"); !strings.Contains(ev.data, "唱歌!") {
		t.Errorf("chat event %s", ev.data)
	}

	var resumed struct {
		State string    `json:"state"`
		Poll  *pollResp `json:"poll"`
	}
	decode(t, fs.req(t, "POST", "/api/v1/channels/c/resume", fs.host, ""), &resumed)
	if resumed.Poll == nil || resumed.Poll.State != "closed" || !resumed.Poll.Durable || resumed.Poll.Winner == nil ||
		resumed.Poll.Winner.Label != "red envelope" || resumed.Poll.Winner.Votes != 2 {
		t.Fatalf("resume answer poll %+v", resumed.Poll)
	}
	var result pollResp
	if err := json.Unmarshal([]byte(next(t, evs, "poll_result").data), &result); err != nil || result.Winner == nil || result.Winner.ID != "3" {
		t.Fatalf("poll_result event %+v %v", result, err)
	}
	var pauses []PauseView
	decode(t, fs.req(t, "GET", "/api/v1/channels/c/pauses", "", ""), &pauses)
	if len(pauses) != 1 || pauses[0].Poll == nil || pauses[0].Poll.Winner == nil || pauses[0].Poll.Winner.Label != "red envelope" {
		t.Fatalf("pauses %+v", pauses)
	}
	// An idempotent resume states the same poll.
	decode(t, fs.req(t, "POST", "/api/v1/channels/c/resume", fs.host, ""), &resumed)
	if resumed.Poll == nil || resumed.Poll.ID != paused.Pause.ID {
		t.Errorf("second resume poll %+v", resumed.Poll)
	}
	if resp := fs.req(t, "POST", "/api/v1/channels/c/poll/vote", c, `{"option":"1"}`); resp.StatusCode != 429 && resp.StatusCode != 409 {
		t.Errorf("vote after close: %d", resp.StatusCode)
	}
	// Back to the default options.
	decode(t, fs.req(t, "PATCH", "/api/v1/channels/c", fs.host, `{"poll_options":[]}`), &ch)
	if len(ch.PollOptions) != 3 || ch.PollOptions[2] != "red envelope" || ch.PollOptions[1] != "tell a joke" {
		t.Errorf("reset options: %v", ch.PollOptions)
	}
	_ = http.StatusOK
}
