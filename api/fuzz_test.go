package api

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"

	"hlsorigin/fixtures"
	"hlsorigin/origin"
)

// Fuzz targets for the JSON bodies of the REST API, driving the real fiber
// app (app.Test) over a real origin: whatever the body, the answer is a
// 2xx or a 4xx JSON {error, code}, never a 5xx (a panic would surface as
// the recover middleware's 500), and a refused body changes nothing.
// Seeds: f.Add below plus testdata/fuzz/<target>/. Run one with e.g.
// go test ./api -run '^$' -fuzz FuzzPauseResumeBody -fuzztime 1m.

// fuzzServer is one server per fuzz target: the muxed fixture in channel
// "c", rate limits off, quiet logs.
func fuzzServer(f *testing.F) *fixtureServer {
	f.Helper()
	o, err := origin.Open(origin.Config{DataDir: f.TempDir(), Logger: quietLog()}, origin.Hooks{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { o.Close() })
	s, err := New(o, Options{AdminToken: testAdmin, RateLimits: NoRateLimits(), Logger: quietLog()})
	if err != nil {
		f.Fatal(err)
	}
	fs := &fixtureServer{s: s, o: o}
	ch, cr, err := o.CreateChannel("c", "cooking")
	if err != nil {
		f.Fatal(err)
	}
	fs.key, fs.host = cr.StreamKey, cr.HostToken
	m := fixtures.Muxed()
	for _, in := range []struct {
		name string
		b    []byte
	}{{m.InitName, m.Init}, {m.SegmentNames[0], m.Segments[0]}, {m.SegmentNames[1], m.Segments[1]},
		{m.SegmentNames[2], m.Segments[2]}, {m.PlaylistName, m.Playlist}} {
		if err := ch.Ingest(in.name, in.b); err != nil {
			f.Fatal(err)
		}
	}
	return fs
}

var quiet = sync.OnceValue(func() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))
})

func quietLog() *slog.Logger { return quiet() }

// call sends one request through app.Test and checks the answer's shape.
func (fs *fixtureServer) fuzzCall(t *testing.T, method, path, token string, body []byte) (int, []byte) {
	t.Helper()
	r := httptest.NewRequest(method, path, bytes.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+token)
	resp, err := fs.s.App().Test(r, 10000)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 500 {
		t.Fatalf("%s %s with body %q: %d %s", method, path, body, resp.StatusCode, b)
	}
	if resp.StatusCode >= 400 {
		var e apiError
		if err := json.Unmarshal(b, &e); err != nil || e.Code == "" || e.Error == "" {
			t.Fatalf("%s %s: %d answer is not JSON {error, code}: %q", method, path, resp.StatusCode, b)
		}
	}
	return resp.StatusCode, b
}

func FuzzCreateChannelBody(f *testing.F) {
	for _, s := range []string{`{"id":"a","title":"t"}`, `{"id":"x_y-9"}`, `{"id":"../x"}`, `{"id":"A"}`,
		`{"id":"` + strings.Repeat("a", 65) + `"}`, `{"id":"c"}`, `{"id":1}`, `{"id":"a","title":null}`, `[]`, `null`, ``,
		`{"id":"a\u0000"}`, `{"id":"%2e%2e"}`, `{"id":"ok","title":"` + strings.Repeat("é", 101) + `"}`} {
		f.Add([]byte(s))
	}
	fs := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		before := len(fs.o.Channels())
		st, b := fs.fuzzCall(t, "POST", "/api/v1/channels", testAdmin, body)
		switch st {
		case 201:
			var cr createChannelResp
			if err := json.Unmarshal(b, &cr); err != nil || !origin.ValidChannelID(cr.ID) || cr.StreamKey == "" || cr.HostToken == "" {
				t.Fatalf("created %q from %q", b, body)
			}
			if len(fs.o.Channels()) != before+1 {
				t.Fatal("201 without a new channel")
			}
		case 400, 409:
			if len(fs.o.Channels()) != before {
				t.Fatalf("%d and a new channel from %q", st, body)
			}
		default:
			t.Fatalf("create %q: unexpected %d %s", body, st, b)
		}
	})
}

func FuzzPatchChannelBody(f *testing.F) {
	for _, s := range []string{`{"title":"new"}`, `{}`, `{"title":null}`, `{"title":1}`, `{"title":"` + strings.Repeat("x", 201) + `"}`,
		`{"id":"other"}`, `{"title":"a","title":"b"}`, `nul`, ``, `{"title":"\ud800"}`,
		`{"poll_options":["唱歌","dance"]}`, `{"title":"t","poll_options":["a"]}`, `{"poll_options":[]}`, `{"poll_options":["a","A"]}`} {
		f.Add([]byte(s))
	}
	fs := fuzzServer(f)
	ch, _ := fs.o.Channel("c")
	f.Fuzz(func(t *testing.T, body []byte) {
		before, beforeOpts := ch.Title(), ch.PollOptions()
		st, b := fs.fuzzCall(t, "PATCH", "/api/v1/channels/c", fs.host, body)
		switch st {
		case 200:
			var v ChannelView
			if err := json.Unmarshal(b, &v); err != nil || v.Title != ch.Title() || len(v.Title) > 200 {
				t.Fatalf("patch %q answered %s, title now %q", body, b, ch.Title())
			}
		case 400:
			if ch.Title() != before || !slices.Equal(ch.PollOptions(), beforeOpts) {
				t.Fatalf("a refused patch %q changed the title or the poll options", body)
			}
		default:
			t.Fatalf("patch %q: unexpected %d %s", body, st, b)
		}
	})
}

func FuzzPauseResumeBody(f *testing.F) {
	seeds := [][2]string{{``, ``}, {`{}`, `{}`}, {`{"audio":"mute"}`, `{"at":"2030-01-01T00:00:00Z"}`},
		{`{"at":"2000-01-01T00:00:00Z","slate":"default"}`, ``}, {`{"audio":"loud"}`, `{"at":1}`},
		{`{"at":"0001-01-01T00:00:00Z"}`, `{"at":"9999-12-31T23:59:59Z"}`}, {`{"slate":"../../etc"}`, `[]`},
		{`{"at":"2026-13-45T99:00:00Z"}`, `{"at":null}`}, {`{"x":1}`, `{"at":"x"}`},
		{`{"poll_options":["sing","dance"]}`, ``}, {`{"poll_options":["one"]}`, ``}}
	for _, s := range seeds {
		f.Add([]byte(s[0]), []byte(s[1]))
	}
	fs := fuzzServer(f)
	ch, _ := fs.o.Channel("c")
	f.Fuzz(func(t *testing.T, pauseBody, resumeBody []byte) {
		wasPaused := ch.State() == "paused"
		n := len(ch.Pauses())
		st, b := fs.fuzzCall(t, "POST", "/api/v1/channels/c/pause", fs.host, pauseBody)
		switch st {
		case 200:
			if ch.State() != "paused" {
				t.Fatalf("pause %q answered 200 %s, state %s", pauseBody, b, ch.State())
			}
		case 400:
			if ch.State() == "paused" != wasPaused || len(ch.Pauses()) != n {
				t.Fatalf("a refused pause %q changed the state", pauseBody)
			}
		default:
			t.Fatalf("pause %q: unexpected %d %s", pauseBody, st, b)
		}
		paused, n := ch.State() == "paused", len(ch.Pauses())
		st, b = fs.fuzzCall(t, "POST", "/api/v1/channels/c/resume", fs.host, resumeBody)
		switch st {
		case 200:
			if p := ch.Pauses(); len(p) == 0 || p[len(p)-1].EndedAt == nil {
				t.Fatalf("resume %q answered 200 %s with the pause still open", resumeBody, b)
			}
		case 400, 409:
			if ch.State() == "paused" != paused || len(ch.Pauses()) != n {
				t.Fatalf("a refused resume %q changed the state", resumeBody)
			}
		default:
			t.Fatalf("resume %q: unexpected %d %s", resumeBody, st, b)
		}
		// the live playlists stay valid whatever the pause times were
		if st, _ := fs.fuzzCall(t, "GET", "/live/c/index/index.m3u8", "", nil); st != 200 {
			t.Fatalf("playlist after pause %q / resume %q: %d", pauseBody, resumeBody, st)
		}
	})
}

func FuzzRotateBody(f *testing.F) {
	for _, s := range []string{`{"what":"both"}`, `{"what":"stream_key"}`, `{"what":"host_token"}`, `{"what":""}`,
		`{"what":"BOTH"}`, `{}`, ``, `{"what":["both"]}`, `{"what":"both"}{"what":"both"}`} {
		f.Add([]byte(s))
	}
	fs := fuzzServer(f)
	ch, _ := fs.o.Channel("c")
	f.Fuzz(func(t *testing.T, body []byte) {
		st, b := fs.fuzzCall(t, "POST", "/api/v1/channels/c/rotate", testAdmin, body)
		switch st {
		case 200:
			var r rotateResp
			if err := json.Unmarshal(b, &r); err != nil || (r.StreamKey == "" && r.HostToken == "") {
				t.Fatalf("rotate %q answered %s", body, b)
			}
			if r.StreamKey != "" {
				fs.key = r.StreamKey
			}
			if r.HostToken != "" {
				fs.host = r.HostToken
			}
		case 400:
		default:
			t.Fatalf("rotate %q: unexpected %d %s", body, st, b)
		}
		if ch.CheckStreamKey(fs.key) != nil || ch.CheckHostToken(fs.host) != nil {
			t.Fatalf("after rotate %q the last issued credentials fail", body)
		}
	})
}

// TestPanicAnswers500JSON: a panic in a handler never reaches the client
// as a dropped connection: the recover middleware logs it and answers
// 500 JSON {error, code:"internal"} without the panic's detail.
func TestPanicAnswers500JSON(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	o, err := origin.Open(origin.Config{DataDir: t.TempDir()}, origin.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	log := slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))
	s, err := New(o, Options{AdminToken: testAdmin, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	s.App().Get("/api/v1/test-panic", func(*fiber.Ctx) error { panic("secret detail") })
	resp, err := s.App().Test(httptest.NewRequest("GET", "/api/v1/test-panic", nil), 10000)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	var e apiError
	if resp.StatusCode != 500 || json.Unmarshal(b, &e) != nil || e.Code != "internal" || strings.Contains(string(b), "secret") {
		t.Errorf("panic answered %d %s, want 500 JSON code internal without detail", resp.StatusCode, b)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), "panic in handler") || !strings.Contains(logs.String(), "secret detail") {
		t.Errorf("panic not logged:\n%s", logs.String())
	}
	// the server keeps serving
	if resp, err := s.App().Test(httptest.NewRequest("GET", "/healthz", nil), 10000); err != nil || resp.StatusCode != 200 {
		t.Errorf("healthz after a panic: %v %v", resp, err)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
