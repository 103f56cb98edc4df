package api

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func (fs *fixtureServer) viewerToken(t *testing.T) string {
	t.Helper()
	resp := fs.req(t, "POST", "/api/v1/viewers", "", "")
	if resp.StatusCode != 201 {
		t.Fatalf("issue viewer: %d", resp.StatusCode)
	}
	var v struct {
		ViewerToken string `json:"viewer_token"`
		ViewerID    string `json:"viewer_id"`
	}
	decode(t, resp, &v)
	if !strings.HasPrefix(v.ViewerToken, "v1.") || len(v.ViewerID) != 24 {
		t.Fatalf("viewer token %+v", v)
	}
	return v.ViewerToken
}

func TestViewerTokensAndChat(t *testing.T) {
	fs := newFixtureServer(t)
	tok := fs.viewerToken(t)
	other := fs.viewerToken(t)
	if tok == other {
		t.Fatal("two viewers got the same token")
	}
	forged := tok[:len(tok)-2] + "AA"
	if forged == tok {
		forged = tok[:len(tok)-2] + "BB"
	}
	for _, c := range []struct {
		name, token, body string
		want              int
	}{
		{"no token", "", `{"text":"hi"}`, 401},
		{"forged signature", forged, `{"text":"hi"}`, 401},
		{"host token is not a viewer token", fs.host, `{"text":"hi"}`, 401},
		{"empty text", tok, `{"text":"   "}`, 400},
		{"too long", tok, `{"text":"` + strings.Repeat("长", 281) + `"}`, 400},
		{"unknown field", tok, `{"text":"hi","x":1}`, 400},
		{"not JSON", tok, `hi`, 400},
	} {
		resp := fs.req(t, "POST", "/api/v1/channels/c/chat", c.token, c.body)
		if resp.StatusCode != c.want || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s: %d %s, want %d JSON", c.name, resp.StatusCode, resp.Header.Get("Content-Type"), c.want)
		}
	}
	var list []map[string]any
	decode(t, fs.req(t, "GET", "/api/v1/channels/c/chat", "", ""), &list)
	if len(list) != 0 {
		t.Fatalf("refused messages were kept: %v", list)
	}
	for _, text := range []string{"我们在玩塞尔达", "boss fight next"} {
		if resp := fs.req(t, "POST", "/api/v1/channels/c/chat", tok, `{"text":"`+text+`"}`); resp.StatusCode != 201 {
			t.Fatalf("chat %q: %d", text, resp.StatusCode)
		}
	}
	if resp := fs.req(t, "POST", "/api/v1/channels/nope/chat", tok, `{"text":"x"}`); resp.StatusCode != 404 {
		t.Errorf("chat on an unknown channel: %d", resp.StatusCode)
	}
	decode(t, fs.req(t, "GET", "/api/v1/channels/c/chat?limit=1", "", ""), &list)
	if len(list) != 1 || list[0]["text"] != "boss fight next" {
		t.Errorf("latest chat: %v", list)
	}
	ch, _ := fs.o.Channel("c")
	if got := fs.s.Audience().RecentChat(ch, 0); len(got) != 2 || got[0].Text != "我们在玩塞尔达" {
		t.Errorf("recent chat: %+v", got)
	}
}

// sseEvent is one parsed Server-Sent Event.
type sseEvent struct{ id, typ, data string }

// readSSE parses events from r until it ends, sending each on out.
func readSSE(r *bufio.Reader, out chan<- sseEvent) {
	defer close(out)
	var ev sseEvent
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "":
			if ev.typ != "" || ev.data != "" {
				out <- ev
			}
			ev = sseEvent{}
		case strings.HasPrefix(line, "id: "):
			ev.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			ev.typ = line[7:]
		case strings.HasPrefix(line, "data: "):
			ev.data = line[6:]
		}
	}
}

func openSSE(t *testing.T, ctx context.Context, url, lastID string) <-chan sseEvent {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream; charset=utf-8" {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := make(chan sseEvent, 64)
	go func() { defer resp.Body.Close(); readSSE(bufio.NewReader(resp.Body), out) }()
	return out
}

// skipPoll passes events on without the poll ones (a pause opens a poll).
func skipPoll(in <-chan sseEvent) <-chan sseEvent {
	out := make(chan sseEvent, 64)
	go func() {
		defer close(out)
		for ev := range in {
			if ev.typ != "poll" && ev.typ != "poll_result" {
				out <- ev
			}
		}
	}()
	return out
}

func next(t *testing.T, evs <-chan sseEvent, typ string) sseEvent {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-evs:
			if !ok {
				t.Fatalf("stream ended waiting for %q", typ)
			}
			if ev.typ == typ {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %q event", typ)
		}
	}
}

// TestEventStream: a live subscriber gets sync, paused, chat, resumed; a
// reconnect with Last-Event-ID gets exactly what it missed and no sync;
// Shutdown ends open streams.
func TestEventStream(t *testing.T) {
	fs := newFixtureServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go fs.s.app.Listener(ln)
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	evs := openSSE(t, ctx, base+"/api/v1/channels/c/events", "")
	if ev := next(t, evs, "sync"); !strings.Contains(ev.data, `"state":"live"`) {
		t.Errorf("sync: %s", ev.data)
	}
	post := func(path, token, body string) {
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode >= 300 {
			t.Fatalf("POST %s: %v %v", path, err, resp)
		}
		resp.Body.Close()
	}
	tok := fs.viewerToken(t)
	post("/api/v1/channels/c/pause", fs.host, "")
	paused := next(t, evs, "paused")
	if paused.id == "" || !strings.Contains(paused.data, `"started_at"`) {
		t.Errorf("paused event: %+v", paused)
	}
	post("/api/v1/channels/c/chat", tok, `{"text":"brb?"}`)
	chat := next(t, evs, "chat")
	post("/api/v1/channels/c/resume", fs.host, "")
	resumed := next(t, evs, "resumed")
	if !(paused.id < chat.id && chat.id < resumed.id) && len(paused.id) == len(resumed.id) {
		t.Errorf("event ids not increasing: %s %s %s", paused.id, chat.id, resumed.id)
	}

	again := skipPoll(openSSE(t, ctx, base+"/api/v1/channels/c/events", paused.id))
	first := <-again
	if first.typ != "chat" || first.id != chat.id || !strings.Contains(first.data, "brb?") {
		t.Errorf("after Last-Event-ID %s got %+v, want the chat event", paused.id, first)
	}
	if second := <-again; second.typ != "resumed" || second.id != resumed.id {
		t.Errorf("then %+v, want resumed", second)
	}
	stale := openSSE(t, ctx, base+"/api/v1/channels/c/events", "1")
	if ev := <-stale; ev.typ != "sync" {
		t.Errorf("a Last-Event-ID older than the backlog gets %q first, want sync", ev.typ)
	}
	if resp := fs.req(t, "GET", "/api/v1/channels/nope/events", "", ""); resp.StatusCode != 404 {
		t.Errorf("events of an unknown channel: %d", resp.StatusCode)
	}
	bad, _ := http.NewRequest("GET", base+"/api/v1/channels/c/events", nil)
	bad.Header.Set("Last-Event-ID", "x")
	if resp, err := http.DefaultClient.Do(bad); err != nil || resp.StatusCode != 400 {
		t.Errorf("bad Last-Event-ID: %v %v", err, resp)
	}

	done := make(chan error, 1)
	go func() { done <- fs.s.Shutdown(10 * time.Second) }()
	for range again { // drained: the stream ends on shutdown
	}
	if err := <-done; err != nil {
		t.Errorf("shutdown: %v", err)
	}
}
