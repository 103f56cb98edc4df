package api

import (
	"bytes"
	"encoding/json"
	iofs "io/fs"
	"os"
	"path/filepath"
	"testing"

	"hlsorigin/fixtures"
	"hlsorigin/origin"
)

type rotated struct {
	ID        string `json:"id"`
	StreamKey string `json:"stream_key"`
	HostToken string `json:"host_token"`
}

func (fs *fixtureServer) rotate(t *testing.T, token, body string, want int) rotated {
	t.Helper()
	st, b := fs.status(t, "POST", "/api/v1/channels/c/rotate", token, body)
	if st != want {
		t.Fatalf("rotate %s: %d %s, want %d", body, st, b, want)
	}
	var r rotated
	if st == 200 {
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// ingestOK reports whether key may ingest (an init PUT: 201, else 401).
func (fs *fixtureServer) ingestOK(t *testing.T, key string) bool {
	t.Helper()
	st, b := fs.status(t, "PUT", "/ingest/c/"+fixtures.Muxed().InitName, key, string(fixtures.Muxed().Init))
	if st != 201 && st != 401 {
		t.Fatalf("ingest: %d %s", st, b)
	}
	return st == 201
}

// hostOK reports whether tok is accepted as the host token (PATCH title).
func (fs *fixtureServer) hostOK(t *testing.T, tok string) bool {
	t.Helper()
	st, b := fs.status(t, "PATCH", "/api/v1/channels/c", tok, `{"title":"cooking"}`)
	if st != 200 && st != 403 && st != 401 {
		t.Fatalf("patch: %d %s", st, b)
	}
	return st == 200
}

func (fs *fixtureServer) digest(t *testing.T) string {
	t.Helper()
	d, err := fs.o.Store().Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestAuthRotateCredentials: POST /api/v1/channels/{id}/rotate with the host
// or admin token replaces the stream key, the host token or both; the new
// secrets are returned once and the old ones stop working at once.
func TestAuthRotateCredentials(t *testing.T) {
	fs := newFixtureServerWith(t, Options{AdminToken: testAdmin, RateLimits: NoRateLimits()})
	oldKey, oldHost := fs.key, fs.host

	r := fs.rotate(t, fs.host, `{"what":"stream_key"}`, 200)
	if r.StreamKey == "" || r.HostToken != "" || r.StreamKey == oldKey || r.ID != "c" {
		t.Fatalf("rotate stream_key answered %+v", r)
	}
	if fs.ingestOK(t, oldKey) || !fs.ingestOK(t, r.StreamKey) || !fs.hostOK(t, oldHost) {
		t.Fatal("after rotating the stream key: old key must fail, new key and host token work")
	}
	fs.key = r.StreamKey

	r = fs.rotate(t, fs.host, `{"what":"host_token"}`, 200)
	if r.HostToken == "" || r.StreamKey != "" || r.HostToken == oldHost {
		t.Fatalf("rotate host_token answered %+v", r)
	}
	if fs.hostOK(t, oldHost) || !fs.hostOK(t, r.HostToken) || !fs.ingestOK(t, fs.key) {
		t.Fatal("after rotating the host token: old token must fail, new token and stream key work")
	}
	if st, _ := fs.status(t, "POST", "/api/v1/channels/c/rotate", oldHost, `{"what":"both"}`); st != 403 {
		t.Fatalf("rotate with the old host token: %d, want 403", st)
	}
	fs.host = r.HostToken

	r = fs.rotate(t, testAdmin, `{"what":"both"}`, 200) // the admin may rotate too
	if r.HostToken == "" || r.StreamKey == "" {
		t.Fatalf("rotate both answered %+v", r)
	}
	if fs.hostOK(t, fs.host) || fs.ingestOK(t, fs.key) || !fs.hostOK(t, r.HostToken) || !fs.ingestOK(t, r.StreamKey) {
		t.Fatal("after rotating both: old ones must fail, new ones work")
	}
	fs.key, fs.host = r.StreamKey, r.HostToken

	// refused rotations change nothing
	before := fs.digest(t)
	for _, tc := range []struct {
		token, body string
		want        int
	}{
		{"", `{"what":"both"}`, 401},
		{"wrong", `{"what":"both"}`, 403},
		{fs.key, `{"what":"both"}`, 403}, // the stream key is not a host token
		{fs.host, `{"what":"password"}`, 400},
		{fs.host, `{}`, 400},
		{fs.host, ``, 400},
		{fs.host, `{"what":"both","x":1}`, 400},
		{fs.host, `{"what":`, 400},
	} {
		st, b := fs.status(t, "POST", "/api/v1/channels/c/rotate", tc.token, tc.body)
		if st != tc.want || !bytes.Contains(b, []byte(`"code"`)) {
			t.Errorf("rotate %q with %q: %d %s, want %d JSON", tc.body, tc.token, st, b, tc.want)
		}
	}
	if st, _ := fs.status(t, "POST", "/api/v1/channels/nope/rotate", testAdmin, `{"what":"both"}`); st != 404 {
		t.Errorf("rotate unknown channel: %d", st)
	}
	if fs.digest(t) != before || !fs.hostOK(t, fs.host) || !fs.ingestOK(t, fs.key) {
		t.Error("a refused rotation changed the store or the credentials")
	}
}

// TestAuthRotationSurvivesRestart: rotated credentials are durable; the old
// ones stay dead after a restart.
func TestAuthRotationSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	o, err := origin.Open(origin.Config{DataDir: dir}, origin.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	ch, old, err := o.CreateChannel("c", "")
	if err != nil {
		t.Fatal(err)
	}
	nw, err := ch.Rotate(origin.RotateBoth)
	if err != nil {
		t.Fatal(err)
	}
	o.Close()
	o, err = origin.Open(origin.Config{DataDir: dir}, origin.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	ch, _ = o.Channel("c")
	if ch.CheckStreamKey(old.StreamKey) == nil || ch.CheckHostToken(old.HostToken) == nil {
		t.Error("old credentials work after a restart")
	}
	if ch.CheckStreamKey(nw.StreamKey) != nil || ch.CheckHostToken(nw.HostToken) != nil {
		t.Error("new credentials fail after a restart")
	}
}

// TestAuthSecretsNotAtRest: stream keys, host tokens (old and rotated) and the
// admin token never appear in any file of the data directory, even with
// the key given in the ingest path; only their SHA-256 hashes are stored.
func TestAuthSecretsNotAtRest(t *testing.T) {
	dir := t.TempDir()
	fs := newFixtureServerCfg(t, origin.Config{DataDir: dir}, Options{AdminToken: testAdmin})
	secrets := map[string]string{"admin token": testAdmin, "stream key": fs.key, "host token": fs.host}
	m := fixtures.Muxed()
	// ingest with the key in the path, pause, resume, rotate
	fs.put(t, "/ingest/c/"+fs.key+"/"+m.InitName, "", m.Init, 201)
	if st, b := fs.status(t, "POST", "/api/v1/channels/c/pause", fs.host, ""); st != 200 {
		t.Fatalf("pause: %d %s", st, b)
	}
	fs.status(t, "POST", "/api/v1/channels/c/resume", fs.host, "")
	r := fs.rotate(t, fs.host, `{"what":"both"}`, 200)
	secrets["rotated stream key"], secrets["rotated host token"] = r.StreamKey, r.HostToken
	if err := fs.o.Close(); err != nil { // sync everything to the files
		t.Fatal(err)
	}
	files := 0
	err := filepath.WalkDir(dir, func(p string, d iofs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files++
		for what, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s found in %s", what, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 3 {
		t.Fatalf("only %d files under %s: nothing was stored", files, dir)
	}
}

// TestAuthWrongCredentialsChangeNothing: every mutating route refuses missing
// or wrong credentials with 401/403 JSON and the store stays byte-identical.
func TestAuthWrongCredentialsChangeNothing(t *testing.T) {
	fs := newFixtureServer(t)
	m := fixtures.Muxed()
	before := fs.digest(t)
	pl := fs.playlistBytes(t)
	cases := []struct {
		method, path, token, body string
	}{
		{"POST", "/api/v1/channels", "", `{"id":"x"}`},
		{"POST", "/api/v1/channels", fs.host, `{"id":"x"}`},
		{"POST", "/api/v1/channels", fs.key, `{"id":"x"}`},
		{"PATCH", "/api/v1/channels/c", "", `{"title":"pwned"}`},
		{"PATCH", "/api/v1/channels/c", fs.key, `{"title":"pwned"}`},
		{"PATCH", "/api/v1/channels/c", fs.host + "x", `{"title":"pwned"}`},
		{"POST", "/api/v1/channels/c/pause", "", ``},
		{"POST", "/api/v1/channels/c/pause", fs.key, ``},
		{"POST", "/api/v1/channels/c/pause", "Bearer", ``},
		{"POST", "/api/v1/channels/c/resume", testAdmin + "x", ``},
		{"POST", "/api/v1/channels/c/resume", testAdmin[1:], ``},
		{"POST", "/api/v1/channels/c/rotate", fs.key, `{"what":"both"}`},
		{"PUT", "/ingest/c/seg9.m4s", "", string(m.Segments[0])},
		{"PUT", "/ingest/c/seg9.m4s", fs.host, string(m.Segments[0])},
		{"PUT", "/ingest/c/" + fs.host + "/seg9.m4s", "", string(m.Segments[0])},
		{"PUT", "/ingest/c/" + otherLastChar(fs.key) + "/seg9.m4s", "", string(m.Segments[0])},
		{"PUT", "/ingest/c/index.m3u8", testAdmin, string(m.Playlist)},
		{"DELETE", "/ingest/c/seg0.m4s", "", ``},
	}
	for _, tc := range cases {
		st, b := fs.status(t, tc.method, tc.path, tc.token, tc.body)
		var e apiError
		if (st != 401 && st != 403) || json.Unmarshal(b, &e) != nil || e.Code == "" {
			t.Errorf("%s %s with %q: %d %s, want 401/403 JSON", tc.method, tc.path, tc.token, st, b)
		}
	}
	if fs.digest(t) != before {
		t.Error("a refused request changed the store")
	}
	if !bytes.Equal(fs.playlistBytes(t), pl) {
		t.Error("a refused request changed the live playlist")
	}
	ch, _ := fs.o.Channel("c")
	if ch.Title() != "cooking" || ch.State() == "paused" || len(fs.o.Channels()) != 1 {
		t.Errorf("a refused request changed the channel: title %q state %s channels %v", ch.Title(), ch.State(), fs.o.Channels())
	}
}

func (fs *fixtureServer) playlistBytes(t *testing.T) []byte {
	t.Helper()
	st, b := fs.status(t, "GET", "/live/c/index/index.m3u8", "", "")
	if st != 200 {
		t.Fatalf("playlist: %d", st)
	}
	return b
}

// otherLastChar is tok with its last character changed (a key ending in
// "A" with "A" appended again would still be the key).
func otherLastChar(tok string) string {
	if tok[len(tok)-1] == 'A' {
		return tok[:len(tok)-1] + "B"
	}
	return tok[:len(tok)-1] + "A"
}
