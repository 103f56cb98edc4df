package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"hlsorigin/origin"
	"hlsorigin/slate"
	"hlsorigin/slatelib"
)

func uploadInput(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../slate/testdata/upload/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// multipartBody builds an upload form; file nil leaves the part out.
func multipartBody(t *testing.T, file []byte, fields map[string]string) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if file != nil {
		fw, err := w.CreateFormFile("file", "slate.mp4")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(file)
	}
	w.Close()
	return b.Bytes(), w.FormDataContentType()
}

type uploadResp struct {
	ID, Status, Reason string
	Error, Code        string
}

func (fs *fixtureServer) upload(t *testing.T, path, token string, file []byte, fields map[string]string) (int, uploadResp) {
	t.Helper()
	body, ctype := multipartBody(t, file, fields)
	resp := fs.raw(t, "POST", path, token, body, map[string]string{"Content-Type": ctype})
	var out uploadResp
	decode(t, resp, &out)
	return resp.StatusCode, out
}

// storedSlates counts slate records (metadata and media) in the store.
func storedSlates(t *testing.T, o *origin.Origin) (metas, media int) {
	t.Helper()
	for kind, n := range map[string]*int{"m": &metas, "v": &media} {
		if err := o.Store().Records("sl", []string{kind}, func([]string, []byte) bool { *n++; return true }); err != nil {
			t.Fatal(err)
		}
	}
	return metas, media
}

func listSlates(t *testing.T, fs *fixtureServer, path, token string) []slatelib.Meta {
	t.Helper()
	resp := fs.req(t, "GET", path, token, "")
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	var out []slatelib.Meta
	decode(t, resp, &out)
	return out
}

// TestSlateUploadRefusals: malformed or unfit uploads get a 4xx JSON error
// and nothing is stored (the lists and the store are unchanged).
func TestSlateUploadRefusals(t *testing.T) {
	fs := newFixtureServer(t)
	if err := fs.s.lib.Configure(slatelib.Config{MaxUploadBytes: 64 << 10}); err != nil {
		t.Fatal(err)
	}
	big := append(uploadInput(t, "progressive_aac.mp4"), make([]byte, 70<<10)...)
	cases := []struct {
		name   string
		file   []byte
		fields map[string]string
		status int
		code   string
		says   string
	}{
		{"not an MP4", []byte("<html>not a video</html>"), nil, 400, "bad_media", "not an MP4"},
		{"HEVC", uploadInput(t, "hevc.mp4"), nil, 400, "bad_media", "H.264"},
		{"audio only", uploadInput(t, "audio_only.mp4"), nil, 400, "bad_media", "no video track"},
		{"no IDR first", uploadInput(t, "no_idr_first.mp4"), nil, 400, "bad_media", "IDR"},
		{"B-frames", uploadInput(t, "bframes.mp4"), nil, 400, "bad_media", "B-frames"},
		{"truncated", uploadInput(t, "progressive_aac.mp4")[:9000], nil, 400, "bad_media", ""},
		{"too large", big, nil, 413, "too_large", "at most"},
		{"high profile on a main channel", uploadInput(t, "high.mp4"), nil, 422, "unprocessable", "main"},
		{"no file part", nil, map[string]string{"title": "x"}, 400, "invalid", "file"},
		{"title too long", uploadInput(t, "high.mp4"), map[string]string{"title": strings.Repeat("长", 101)}, 400, "invalid", "title"},
	}
	presets := len(listSlates(t, fs, "/api/v1/slates", ""))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, out := fs.upload(t, "/api/v1/channels/c/slates", fs.host, tc.file, tc.fields)
			if st != tc.status || out.Code != tc.code || !strings.Contains(out.Error, tc.says) {
				t.Errorf("got %d %+v, want %d %s %q", st, out, tc.status, tc.code, tc.says)
			}
			if n := len(listSlates(t, fs, "/api/v1/channels/c/slates", fs.host)); n != 0 {
				t.Errorf("%d host slates listed after a refused upload", n)
			}
			if m, v := storedSlates(t, fs.o); m != 0 || v != 0 {
				t.Errorf("store holds %d slate records and %d media after a refused upload", m, v)
			}
		})
	}
	// The same refusals for a system preset.
	for _, tc := range cases[:4] {
		if st, out := fs.upload(t, "/api/v1/slates", testAdmin, tc.file, nil); st != tc.status {
			t.Errorf("preset %s: %d %+v", tc.name, st, out)
		}
	}
	if n := len(listSlates(t, fs, "/api/v1/slates", "")); n != presets {
		t.Errorf("presets %d -> %d after refused uploads", presets, n)
	}
	if m, v := storedSlates(t, fs.o); m != 0 || v != 0 {
		t.Errorf("store holds %d/%d slate records after refused preset uploads", m, v)
	}
	// Auth.
	if st, _ := fs.upload(t, "/api/v1/slates", fs.host, uploadInput(t, "high.mp4"), nil); st != 401 {
		t.Errorf("preset upload with a host token: %d, want 401", st)
	}
	if st, _ := fs.upload(t, "/api/v1/channels/c/slates", "", uploadInput(t, "high.mp4"), nil); st != 401 {
		t.Errorf("host upload without a token: %d, want 401", st)
	}
	if st, _ := fs.upload(t, "/api/v1/channels/c/slates", "wrong", uploadInput(t, "high.mp4"), nil); st != 403 {
		t.Errorf("host upload with a wrong token: %d, want 403", st)
	}
}

// TestSlateUploadAndPause: an admin preset and a host slate are stored and
// listed; a pause shows the requested slate, a blocked one falls back to
// the default and says why; the match endpoint explains the ranking.
func TestSlateUploadAndPause(t *testing.T) {
	fs := newFixtureServer(t)
	if err := fs.s.lib.Configure(slatelib.Config{Blocklist: []string{"casino", "赌博"}}); err != nil {
		t.Fatal(err)
	}
	st, preset := fs.upload(t, "/api/v1/slates", testAdmin, uploadInput(t, "high.mp4"),
		map[string]string{"title": "Chess", "tags": "chess, 象棋, board games", "description": "Chess streams"})
	if st != 201 || preset.Status != "approved" {
		t.Fatalf("preset upload: %d %+v", st, preset)
	}
	ps := listSlates(t, fs, "/api/v1/slates", "")
	if len(ps) != 7 || ps[len(ps)-1].ID != preset.ID || len(ps[len(ps)-1].Tags) != 3 {
		t.Errorf("presets: %+v", ps)
	}
	st, mine := fs.upload(t, "/api/v1/channels/c/slates", fs.host, uploadInput(t, "slate_426x240.mp4"),
		map[string]string{"title": "My break", "tags": "brb"})
	if st != 201 || mine.Status != "approved" || mine.Reason != "" {
		t.Fatalf("host upload: %d %+v", st, mine)
	}
	st, blocked := fs.upload(t, "/api/v1/channels/c/slates", fs.host, uploadInput(t, "slate_426x240.mp4"),
		map[string]string{"title": "周末赌博之夜", "tags": "fun"})
	if st != 201 || blocked.Status != "rejected" || !strings.Contains(blocked.Reason, "赌博") {
		t.Fatalf("blocked upload: %d %+v", st, blocked)
	}
	if hs := listSlates(t, fs, "/api/v1/channels/c/slates", fs.host); len(hs) != 2 {
		t.Errorf("host slates: %+v", hs)
	}
	if m, v := storedSlates(t, fs.o); m != 3 || v != 2 {
		t.Errorf("store: %d slate records, %d media; want 3 and 2 (no media for the rejected one)", m, v)
	}

	type pauseResp struct {
		Pause struct{ Slate origin.SlateChoice } `json:"pause"`
	}
	pause := func(slateID string) origin.SlateChoice {
		t.Helper()
		resp := fs.req(t, "POST", "/api/v1/channels/c/pause", fs.host, `{"slate":"`+slateID+`"}`)
		var pr pauseResp
		decode(t, resp, &pr)
		if resp.StatusCode != 200 {
			t.Fatalf("pause: %d", resp.StatusCode)
		}
		if r := fs.req(t, "POST", "/api/v1/channels/c/resume", fs.host, ""); r.StatusCode != 200 {
			t.Fatalf("resume: %d", r.StatusCode)
		}
		return pr.Pause.Slate
	}
	if got := pause(mine.ID); got.ID != mine.ID || got.Reason != "requested" {
		t.Errorf("pause with own slate: %+v", got)
	}
	if got := pause(blocked.ID); got.ID != "default" || got.Reason != `requested slate "`+blocked.ID+`" rejected: blocked term "赌博"; default used` {
		t.Errorf("pause with a rejected slate: %+v", got)
	}
	// Channel default, then the explanation.
	if r := fs.req(t, "PUT", "/api/v1/channels/c/slates/default", fs.host, `{"id":"`+blocked.ID+`"}`); r.StatusCode != 409 {
		t.Errorf("rejected slate as default: %d, want 409", r.StatusCode)
	}
	if r := fs.req(t, "PUT", "/api/v1/channels/c/slates/default", fs.host, `{"id":"`+mine.ID+`"}`); r.StatusCode != 200 {
		t.Errorf("default: %d", r.StatusCode)
	}
	if got := pause(""); got.ID != mine.ID || got.Reason != "channel default" {
		t.Errorf("pause with the channel default: %+v", got)
	}
	fs.req(t, "PUT", "/api/v1/channels/c/slates/default", fs.host, `{"id":""}`)
	if r := fs.req(t, "PUT", "/api/v1/channels/c/tags", fs.host, `{"tags":["象棋","chess"]}`); r.StatusCode != 200 {
		t.Errorf("tags: %d", r.StatusCode)
	}
	resp := fs.req(t, "GET", "/api/v1/channels/c/slates/match", "", "")
	var exp slatelib.MatchExplanation
	decode(t, resp, &exp)
	if exp.Ranking[0].ID != preset.ID || exp.Choice.ID != preset.ID || len(exp.Terms) == 0 || exp.Ranking[0].Score < 0.15 {
		t.Errorf("match: %+v", exp)
	}
	if got := pause(""); got.ID != preset.ID || !strings.HasPrefix(got.Reason, "matched "+preset.ID) {
		t.Errorf("pause matched by tags: %+v", got)
	}
}

// moderator is a real HTTP moderation service on 127.0.0.1.
type moderator struct {
	srv     *httptest.Server
	mu      sync.Mutex
	mode    string // allow | deny | slow | error | junk
	fetched [][]byte
	seen    []slatelib.ModerationRequest
}

func newModerator(t *testing.T) *moderator {
	m := &moderator{mode: "allow"}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req slatelib.ModerationRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, "bad request", 400)
			return
		}
		m.mu.Lock()
		mode := m.mode
		m.seen = append(m.seen, req)
		m.mu.Unlock()
		// Really fetch the media, as a moderation service would.
		resp, err := http.Get(req.MediaURL)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				m.mu.Lock()
				m.fetched = append(m.fetched, b)
				m.mu.Unlock()
			}
		}
		switch mode {
		case "allow":
			fmt.Fprint(w, `{"allowed": true, "reason": "looks fine"}`)
		case "deny":
			fmt.Fprint(w, `{"allowed": false, "reason": "nudity"}`)
		case "slow":
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			fmt.Fprint(w, `{"allowed": true}`)
		case "error":
			http.Error(w, "overloaded", 503)
		case "junk":
			fmt.Fprint(w, `<html>ok</html>`)
		}
	}))
	t.Cleanup(m.srv.Close)
	return m
}

// listenServer serves fs on a real 127.0.0.1 port (the moderation service
// fetches media from it) and returns its base URL.
func listenServer(t *testing.T, fs *fixtureServer) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go fs.s.App().Listener(ln)
	t.Cleanup(func() { fs.s.Shutdown(5 * time.Second) })
	return "http://" + ln.Addr().String()
}

func TestSlateModerationWebhook(t *testing.T) {
	fs := newFixtureServer(t)
	base := listenServer(t, fs)
	mod := newModerator(t)
	down, _ := net.Listen("tcp", "127.0.0.1:0")
	downURL := "http://" + down.Addr().String() + "/moderate"
	down.Close() // nothing listens there any more
	configure := func(url string) {
		t.Helper()
		if err := fs.s.lib.Configure(slatelib.Config{ModerationURL: url, ModerationTimeout: 700 * time.Millisecond,
			PublicURL: base}); err != nil {
			t.Fatal(err)
		}
	}
	file := uploadInput(t, "slate_426x240.mp4")
	want, err := slate.PrepareUpload(file, slate.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		mode, url, status, reason string
		fetch                     bool
	}{
		{"allow", mod.srv.URL, "approved", "looks fine", true},
		{"deny", mod.srv.URL, "rejected", "nudity", true},
		{"slow", mod.srv.URL, "rejected", "moderation unavailable: no answer within 700ms", true},
		{"error", mod.srv.URL, "rejected", "moderation unavailable: HTTP 503", true},
		{"junk", mod.srv.URL, "rejected", "moderation unavailable: answer is not", true},
		{"down", downURL, "rejected", "moderation unavailable: ", false},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			mod.mu.Lock()
			mod.mode, mod.fetched, mod.seen = tc.mode, nil, nil
			mod.mu.Unlock()
			configure(tc.url)
			st, out := fs.upload(t, "/api/v1/channels/c/slates", fs.host, file, map[string]string{"title": "t " + tc.mode, "tags": "a,b"})
			if st != 201 || out.Status != tc.status || !strings.HasPrefix(out.Reason, tc.reason) {
				t.Fatalf("got %d %+v, want %s %q", st, out, tc.status, tc.reason)
			}
			mod.mu.Lock()
			fetched, seen := mod.fetched, mod.seen
			mod.mu.Unlock()
			if tc.fetch {
				if len(seen) != 1 || seen[0].Slate.ID != out.ID || seen[0].Slate.Title != "t "+tc.mode || len(seen[0].Slate.Tags) != 2 ||
					!strings.HasPrefix(seen[0].MediaURL, base+"/api/v1/slates/"+out.ID+"/media?token=") {
					t.Errorf("moderation request: %+v", seen)
				}
				if len(fetched) != 1 || !bytes.Equal(fetched[0], want.CMAF) {
					t.Errorf("moderation fetched %d media files (want the stored slate, %d bytes)", len(fetched), len(want.CMAF))
				}
			}
			// Only an approved slate keeps its media and can be shown.
			resp := fs.req(t, "GET", "/api/v1/slates/"+out.ID+"/media", testAdmin, "")
			if (resp.StatusCode == 200) != (tc.status == "approved") {
				t.Errorf("media of a %s slate: %d", tc.status, resp.StatusCode)
			}
			resp = fs.req(t, "POST", "/api/v1/channels/c/pause", fs.host, `{"slate":"`+out.ID+`"}`)
			var pr struct {
				Pause struct{ Slate origin.SlateChoice } `json:"pause"`
			}
			decode(t, resp, &pr)
			fs.req(t, "POST", "/api/v1/channels/c/resume", fs.host, "")
			if tc.status == "approved" && pr.Pause.Slate.ID != out.ID || tc.status != "approved" &&
				(pr.Pause.Slate.ID != "default" || !strings.Contains(pr.Pause.Slate.Reason, "rejected: "+tc.reason)) {
				t.Errorf("pause: %+v", pr.Pause.Slate)
			}
		})
	}
	// The media URL needs its signed token.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, q := range []string{"", "?token=123.abcd", "?token=garbage"} {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/slates/default/media"+q, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("media%s: %d, want 401", q, resp.StatusCode)
		}
	}
}
