package api

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"hlsorigin/audience"
	"hlsorigin/origin"
)

func TestAdminTokenAtLeast32(t *testing.T) {
	o, err := origin.Open(origin.Config{DataDir: t.TempDir()}, origin.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if _, err := New(o, Options{AdminToken: "x"}); err == nil || !strings.Contains(err.Error(), "at least 32") {
		t.Errorf("admin token x: %v", err)
	}
	if _, err := New(o, Options{AdminToken: strings.Repeat("a", 31)}); err == nil {
		t.Error("31-character admin token accepted")
	}
}

// issue takes a viewer token with body and returns the token and status.
func (fs *fixtureServer) issue(t *testing.T, body string) (string, int, string) {
	t.Helper()
	st, b := fs.status(t, "POST", "/api/v1/viewers", "", body)
	var v struct {
		ViewerToken string `json:"viewer_token"`
		Channel     string `json:"channel"`
	}
	json.Unmarshal(b, &v)
	return v.ViewerToken, st, v.Channel
}

func TestViewerTokenBoundToChannel(t *testing.T) {
	fs := newFixtureServerWith(t, Options{AdminToken: testAdmin, RateLimits: NoRateLimits()})
	if st, b := fs.status(t, "POST", "/api/v1/channels", testAdmin, `{"id":"d"}`); st != 201 {
		t.Fatalf("create d: %d %s", st, b)
	}
	bound, st, ch := fs.issue(t, `{"channel":"c"}`)
	if st != 201 || ch != "c" || !strings.HasPrefix(bound, "v2.") {
		t.Fatalf("bound token: %d %q %q", st, bound, ch)
	}
	for _, tc := range []struct {
		body string
		want int
	}{{`{}`, 201}, {``, 201}, {`{"channel":"nope"}`, 404}, {`{"channel":"C!"}`, 400}, {`{"chan":"c"}`, 400}, {`{} {}`, 400}} {
		if _, st, _ := fs.issue(t, tc.body); st != tc.want {
			t.Errorf("POST /api/v1/viewers %q: %d, want %d", tc.body, st, tc.want)
		}
	}
	unbound, _, _ := fs.issue(t, `{}`)
	if st, b := fs.status(t, "POST", "/api/v1/channels/c/chat", bound, `{"text":"hi"}`); st != 201 {
		t.Errorf("bound token on its channel: %d %s", st, b)
	}
	if st, b := fs.status(t, "POST", "/api/v1/channels/d/chat", bound, `{"text":"hi"}`); st != 403 {
		t.Errorf("bound token on another channel: %d %s, want 403", st, b)
	}
	if st, b := fs.status(t, "POST", "/api/v1/channels/d/chat", unbound, `{"text":"hi"}`); st != 201 {
		t.Errorf("unbound token: %d %s", st, b)
	}
	// A v2 token with its channel swapped fails the signature.
	if st, _ := fs.status(t, "POST", "/api/v1/channels/d/chat", strings.Replace(bound, "v2.", "v1.", 1), `{"text":"hi"}`); st != 401 {
		t.Errorf("altered token: %d, want 401", st)
	}
}

func TestViewerTokenCORS(t *testing.T) {
	for _, tc := range []struct {
		allowed []string
		origin  string
		want    string
	}{
		{nil, "https://evil.example", ""},
		{[]string{"https://ok.example"}, "https://evil.example", ""},
		{[]string{"https://ok.example"}, "https://ok.example", "https://ok.example"},
	} {
		fs := newFixtureServerWith(t, Options{AdminToken: testAdmin, AllowedOrigins: tc.allowed})
		req := httptest.NewRequest("POST", "/api/v1/viewers", strings.NewReader(`{"channel":"c"}`))
		req.Header.Set("Origin", tc.origin)
		resp, err := fs.s.App().Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 201 || resp.Header.Get("Access-Control-Allow-Origin") != tc.want {
			t.Errorf("allowed %v, Origin %s: %d, Access-Control-Allow-Origin %q, want %q", tc.allowed, tc.origin,
				resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"), tc.want)
		}
	}
	// Reads stay open to every site; host writes never get CORS.
	fs := newFixtureServer(t)
	for _, r := range []struct{ method, path, token, want string }{
		{"GET", "/api/v1/channels/c", "", "*"},
		{"POST", "/api/v1/channels/c/pause", fs.host, ""},
	} {
		req := httptest.NewRequest(r.method, r.path, nil)
		req.Header.Set("Origin", "https://evil.example")
		if r.token != "" {
			req.Header.Set("Authorization", "Bearer "+r.token)
		}
		resp, _ := fs.s.App().Test(req, -1)
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != r.want {
			t.Errorf("%s %s: Access-Control-Allow-Origin %q, want %q", r.method, r.path, got, r.want)
		}
	}
}

// One address may bring at most MaxVotersPerIP voters into a poll;
// re-votes of a counted viewer and other addresses are not held back.
func TestVotersPerAddressCap(t *testing.T) {
	fs := newFixtureServerWith(t, Options{AdminToken: testAdmin, RateLimits: NoRateLimits(), MaxVotersPerIP: 3})
	addr := fs.listen(t)
	if st, b := fs.status(t, "POST", "/api/v1/channels/c/pause", fs.host, `{}`); st != 200 {
		t.Fatalf("pause: %d %s", st, b)
	}
	vote := func(src, tok, opt string) int {
		req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/channels/c/poll/vote", strings.NewReader(`{"option":"`+opt+`"}`))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := clientFrom(src).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	var toks []string
	for i := 0; i < 5; i++ {
		tok, _, _ := fs.issue(t, `{"channel":"c"}`)
		toks = append(toks, tok)
	}
	for i := 0; i < 3; i++ {
		if st := vote("127.0.0.2", toks[i], "1"); st != 200 {
			t.Fatalf("voter %d from one address: %d", i, st)
		}
	}
	if st := vote("127.0.0.2", toks[3], "1"); st != 429 {
		t.Errorf("4th voter from one address: %d, want 429", st)
	}
	if st := vote("127.0.0.2", toks[0], "2"); st != 200 {
		t.Errorf("re-vote of a counted viewer: %d, want 200", st)
	}
	if st := vote("127.0.0.3", toks[4], "2"); st != 200 {
		t.Errorf("a voter from another address: %d, want 200", st)
	}
	ch, _ := fs.o.Channel("c")
	pv, _ := fs.s.Audience().Poll(ch, "", "")
	if pv.Total != 4 || pv.Options[0].Votes != 2 || pv.Options[1].Votes != 2 {
		t.Errorf("tally %+v, want 4 voters: 2 and 2", pv.Options)
	}
}

// Refused credentials are limited on every route, per address: the host
// PATCH route has no rate limit of its own.
func TestFailedAuthLimitedEverywhere(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	fs := newFixtureServerWith(t, Options{AdminToken: testAdmin, Now: clk.Now})
	addr := fs.listen(t)
	patch := func(src, tok string) int {
		req, _ := http.NewRequest("PATCH", "http://"+addr+"/api/v1/channels/c", strings.NewReader(`{"title":"t"}`))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := clientFrom(src).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	limited := 0
	for i := 0; i < 30; i++ {
		if patch("127.0.0.2", "wrong") == 429 {
			limited++
		}
	}
	if limited != 10 {
		t.Errorf("30 wrong host tokens: %d answered 429, want 10 (20 then 1/s)", limited)
	}
	if st := patch("127.0.0.2", fs.host); st != 429 {
		t.Errorf("right token from the exhausted address: %d, want 429", st)
	}
	if st := patch("127.0.0.3", fs.host); st != 200 {
		t.Errorf("right token from another address: %d, want 200", st)
	}
	clk.Add(2 * time.Second)
	if st := patch("127.0.0.2", fs.host); st != 200 {
		t.Errorf("right token after the bucket refilled: %d, want 200", st)
	}
	// Anonymous requests are never held back by it.
	for i := 0; i < 25; i++ {
		patch("127.0.0.4", "wrong")
	}
	if st, _ := fs.status(t, "GET", "/api/v1/channels/c", "", ""); st != 200 {
		t.Errorf("anonymous read: %d", st)
	}
}

var inlineScript = regexp.MustCompile(`<script(\s[^>]*)?>\s*[^<\s]`)

func TestPagesSecurityHeaders(t *testing.T) {
	fs := newFixtureServer(t)
	for _, page := range []string{"/watch/c", "/host/c"} {
		resp := fs.req(t, "GET", page, "", "")
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		csp := resp.Header.Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", page, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP %q allows inline code", page, csp)
		}
		if resp.Header.Get("X-Frame-Options") != "DENY" || resp.Header.Get("X-Content-Type-Options") != "nosniff" ||
			resp.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: headers %v", page, resp.Header)
		}
		if inlineScript.Match(b) || strings.Contains(string(b), " style=") || regexp.MustCompile(` on[a-z]+=`).Match(b) {
			t.Errorf("%s holds inline script or style, which the CSP blocks", page)
		}
		for _, js := range regexp.MustCompile(`src="(/web/[^"]+)"`).FindAllStringSubmatch(string(b), -1) {
			if st, _ := fs.status(t, "GET", js[1], "", ""); st != 200 {
				t.Errorf("%s: script %s: %d", page, js[1], st)
			}
		}
	}
}

// Below -min-free-bytes a pause holds and its answer says why the poll
// did not open.
func TestPauseOnLowDiskSaysWhyNoPoll(t *testing.T) {
	dir := t.TempDir()
	fs := newFixtureServerCfg(t, origin.Config{DataDir: dir}, Options{AdminToken: testAdmin})
	host := fs.host
	if err := fs.o.Close(); err != nil {
		t.Fatal(err)
	}
	full := newFixtureServerCfgOnly(t, origin.Config{DataDir: dir, MinFreeBytes: 1 << 62}, Options{AdminToken: testAdmin})
	st, b := full.status(t, "POST", "/api/v1/channels/c/pause", host, "")
	var ans struct {
		State     string `json:"state"`
		PollError string `json:"poll_error"`
		Pause     struct {
			Poll *audience.PollView `json:"poll"`
		} `json:"pause"`
	}
	if st != 200 || json.Unmarshal(b, &ans) != nil || ans.State != "paused" {
		t.Fatalf("pause on a low disk: %d %s", st, b)
	}
	if ans.Pause.Poll != nil || !strings.Contains(ans.PollError, "disk full") {
		t.Errorf("pause answer without the poll's reason: %s", b)
	}
	// With room, the answer carries the open poll and no poll_error.
	ok := newFixtureServer(t)
	st, b = ok.status(t, "POST", "/api/v1/channels/c/pause", ok.host, "")
	ans.PollError, ans.Pause.Poll = "", nil
	if json.Unmarshal(b, &ans); st != 200 || ans.PollError != "" || ans.Pause.Poll == nil || ans.Pause.Poll.State != "open" {
		t.Errorf("pause with room: %d %s", st, b)
	}
}
