package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// needTool skips without the tool locally; in CI (make test installs it) a
// missing tool is a failure.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not installed (make test installs it)", name)
		}
		t.Skipf("%s not installed: run make test", name)
	}
	return p
}

// needBrowser requires what the headless browser tests drive: ffmpeg (the
// publisher), node with web/node_modules/playwright-core, and Debian
// chromium. It returns chromium's path and the web/ directory.
func needBrowser(t *testing.T) (chromium, web string) {
	t.Helper()
	needTool(t, "ffmpeg")
	needTool(t, "node")
	chromium = needTool(t, "chromium")
	web, _ = filepath.Abs("../../web")
	if _, err := os.Stat(filepath.Join(web, "node_modules", "playwright-core")); err != nil {
		needTool(t, "web/node_modules/playwright-core") // make test runs npm ci in web/
	}
	return chromium, web
}

// syncBuffer collects run()'s stdout across goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// server is one run() of the origin on 127.0.0.1.
type server struct {
	base   string
	admin  string
	cancel context.CancelFunc
	done   chan error
	out    *syncBuffer
}

const adminToken = "test-admin-token-0123456789abcdefghij" // >= 32 characters

// startServer runs the origin on a free loopback port over dataDir.
func startServer(t *testing.T, dataDir string, extra ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{admin: adminToken, cancel: cancel, done: make(chan error, 1), out: &syncBuffer{}}
	args := append([]string{"-addr", "127.0.0.1:0", "-data", dataDir, "-admin-token", adminToken, "-log-level", "warn"}, extra...)
	go func() { s.done <- run(ctx, args, s.out) }()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if i := strings.Index(s.out.String(), "listening on "); i >= 0 {
			rest := s.out.String()[i+len("listening on "):]
			s.base = strings.Fields(rest)[0]
			t.Cleanup(func() { s.stop(t) })
			return s
		}
		select {
		case err := <-s.done:
			t.Fatalf("server exited: %v\n%s", err, s.out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("server did not start:\n%s", s.out.String())
	return nil
}

func (s *server) stop(t *testing.T) {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("server stopped with error: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("server did not stop within 30s")
	}
}

// do performs a request and decodes a JSON answer into out (when non-nil).
func (s *server) do(t *testing.T, method, path, token string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, path, data, err)
		}
	}
	return resp.StatusCode
}

// get fetches a URL path and returns status and body.
func (s *server) get(t *testing.T, path string) (int, []byte, http.Header) {
	t.Helper()
	resp, err := http.Get(s.base + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, b, resp.Header
}

type channelCreds struct {
	ID        string `json:"id"`
	StreamKey string `json:"stream_key"`
	HostToken string `json:"host_token"`
}

func (s *server) createChannel(t *testing.T, id string) channelCreds {
	t.Helper()
	var cr channelCreds
	if st := s.do(t, "POST", "/api/v1/channels", s.admin, map[string]string{"id": id, "title": id}, &cr); st != 201 {
		t.Fatalf("create channel %s: status %d", id, st)
	}
	return cr
}

// ffmpegCmd builds an ffmpeg command with a deadline and captured stderr.
func ffmpegCmd(ctx context.Context, args ...string) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.CommandContext(ctx, "ffmpeg", append([]string{"-hide_banner", "-nostdin", "-loglevel", "error"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	return cmd, &stderr
}

// publishArgs returns ffmpeg arguments that encode a live test source
// (30 fps, 2 s GOP, AAC) and PUT HLS fMP4 to url. maps selects outputs.
func publishArgs(seconds int, url, key string, layout string) []string {
	src := []string{"-re", "-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=640x360:rate=30:duration=%d", seconds),
		"-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=440:sample_rate=48000:duration=%d", seconds)}
	enc := []string{"-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "60", "-keyint_min", "60",
		"-sc_threshold", "0", "-bf", "0", "-b:v", "400k", "-c:a", "aac", "-b:a", "64k", "-ar", "48000"}
	hls := []string{"-f", "hls", "-hls_time", "2", "-hls_list_size", "6", "-hls_segment_type", "fmp4", "-method", "PUT"}
	if key != "" {
		hls = append(hls, "-headers", "Authorization: Bearer "+key+"\r\n")
	}
	var maps []string
	switch layout {
	case "muxed":
		maps = []string{"-map", "0:v", "-map", "1:a"}
	case "abr": // three renditions, each with muxed audio
		maps = []string{"-filter_complex", "[0:v]split=3[v0][v1][v2];[v1]scale=426:240[v1o];[v2]scale=256:144[v2o]",
			"-map", "[v0]", "-map", "[v1o]", "-map", "[v2o]", "-map", "1:a", "-map", "1:a", "-map", "1:a"}
		hls = append(hls, "-var_stream_map", "v:0,a:0 v:1,a:1 v:2,a:2", "-master_pl_name", "master.m3u8")
	case "demuxed": // two video renditions sharing one audio rendition
		maps = []string{"-filter_complex", "[0:v]split=2[v0][v1];[v1]scale=320:180[v1o]",
			"-map", "[v0]", "-map", "[v1o]", "-map", "1:a"}
		hls = append(hls, "-var_stream_map", "a:0,agroup:aud v:0,agroup:aud v:1,agroup:aud", "-master_pl_name", "master.m3u8")
	}
	out := append(append(append(src, maps...), enc...), hls...)
	return append(out, url)
}
