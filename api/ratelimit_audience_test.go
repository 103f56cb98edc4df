package api

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"hlsorigin/audience"
)

// TestRateLimitedAudience: viewer token issue and chat posts answer 429
// JSON with Retry-After once a client's burst is spent; the refused
// request issues no token, stores no message, sends no event and writes
// nothing to the store. Other addresses keep their own budget, and the
// client is served again after the refill.
func TestRateLimitedAudience(t *testing.T) {
	fs, clk := rateServer(t, map[string]RateLimit{
		LimitViewers: {PerSecond: 1, Burst: 3},
		LimitChat:    {PerSecond: 0.5, Burst: 2},
	})
	addr, other := fs.listen(t), clientFrom("127.0.0.2")
	ch, _ := fs.o.Channel("c")
	_, _, sub := ch.Subscribe(0)
	defer sub.Cancel()

	limited := func(what, method, path, token, body string, maxWait int) {
		t.Helper()
		before := fs.digest(t)
		chats := len(fs.s.Audience().RecentChat(ch, 0))
		r := fs.raw(t, method, path, token, []byte(body), nil)
		b, _ := io.ReadAll(r.Body)
		if r.StatusCode != 429 {
			t.Fatalf("%s after the burst: %d %s, want 429", what, r.StatusCode, b)
		}
		var e struct {
			Error, Code string
			ViewerToken string `json:"viewer_token"`
		}
		if json.Unmarshal(b, &e) != nil || e.Code != "rate_limited" || e.Error == "" || e.ViewerToken != "" {
			t.Errorf("%s 429 body is not JSON {error, code:rate_limited}: %s", what, b)
		}
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s 429 Content-Type %q", what, ct)
		}
		if ra, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || ra < 1 || ra > maxWait {
			t.Errorf("%s Retry-After %q, want 1..%d", what, r.Header.Get("Retry-After"), maxWait)
		}
		if after := fs.digest(t); after != before {
			t.Errorf("%s: a refused request changed the store", what)
		}
		if n := len(fs.s.Audience().RecentChat(ch, 0)); n != chats {
			t.Errorf("%s: a refused request changed the chat (%d -> %d messages)", what, chats, n)
		}
		// from another address (a real TCP connection from 127.0.0.2): its own bucket
		req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if resp, err := other.Do(req); err != nil {
			t.Errorf("%s from another address: %v", what, err)
		} else if resp.Body.Close(); resp.StatusCode != 201 {
			t.Errorf("%s from another address: %d, want 201", what, resp.StatusCode)
		}
	}

	// viewer tokens: 3, then 429, then one more after a second
	var tok string
	for i := 0; i < 3; i++ {
		tok = fs.viewerToken(t)
	}
	limited("viewer token", "POST", "/api/v1/viewers", "", "", 1)
	clk.Add(990 * time.Millisecond)
	if st, _ := fs.status(t, "POST", "/api/v1/viewers", "", ""); st != 429 {
		t.Errorf("viewer token before the refill: %d, want 429", st)
	}
	clk.Add(20 * time.Millisecond)
	fs.viewerToken(t)

	// chat: 2 messages, then 429 (whatever the token: the limit comes
	// before authentication), then one more after 2 s
	post := func(text string) (int, []byte) {
		return fs.status(t, "POST", "/api/v1/channels/c/chat", tok, `{"text":"`+text+`"}`)
	}
	for _, text := range []string{"one", "two"} {
		if st, b := post(text); st != 201 {
			t.Fatalf("chat %q: %d %s", text, st, b)
		}
	}
	limited("chat", "POST", "/api/v1/channels/c/chat", tok, `{"text":"three"}`, 2)
	if st, _ := fs.status(t, "POST", "/api/v1/channels/c/chat", "forged", `{"text":"x"}`); st != 429 {
		t.Errorf("chat with a forged token over the limit: %d, want 429", st)
	}
	clk.Add(1990 * time.Millisecond)
	if st, _ := post("early"); st != 429 {
		t.Errorf("chat before the refill: %d, want 429", st)
	}
	clk.Add(20 * time.Millisecond)
	if st, b := post("four"); st != 201 {
		t.Fatalf("chat after the refill: %d %s", st, b)
	}

	var texts []string
	for _, m := range fs.s.Audience().RecentChat(ch, 0) {
		texts = append(texts, m.Text)
	}
	// "three" from 127.0.0.2 was allowed (its own bucket)
	if got := strings.Join(texts, ","); got != "one,two,three,four" {
		t.Errorf("chat holds %q, want one,two,three,four", got)
	}
	var events []string
	for len(sub.C) > 0 {
		ev := <-sub.C
		if ev.Type == "chat" {
			var m audience.ChatMessage
			json.Unmarshal(ev.Data, &m)
			events = append(events, m.Text)
		}
	}
	if got := strings.Join(events, ","); got != "one,two,three,four" {
		t.Errorf("chat events %q, want one,two,three,four (none for refused posts)", got)
	}
	// reading chat is never limited
	for i := 0; i < 30; i++ {
		if st, _ := fs.status(t, "GET", "/api/v1/channels/c/chat", "", ""); st != 200 {
			t.Fatalf("GET chat: %d", st)
		}
	}
}
