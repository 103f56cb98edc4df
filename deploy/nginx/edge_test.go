// Package nginx tests the shipped edge configuration (hlsorigin-edge.conf)
// with a real nginx in front of a real origin on 127.0.0.1.
package nginx

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"hlsorigin/api"
	"hlsorigin/fixtures"
	"hlsorigin/origin"
	"hlsorigin/origin/demo"
)

const admin = "edge-admin-token-0123456789abcdefghij" // >= 32 characters

type edge struct {
	origin, edge string // base URLs
	host, key    string // host token and stream key of channel "demo"
	dir          string // nginx prefix: access.log, error.log
}

// startEdge runs the origin (demo channel publishing the muxed fixture in
// real time, -trusted-proxies 127.0.0.1/32, connection limits on) and
// nginx with the shipped config in front of it.
func startEdge(t *testing.T) *edge {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("nginx not installed (make deps-test installs it)")
		}
		t.Skip("nginx not installed (make deps-test installs it)")
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	o, err := origin.Open(origin.Config{DataDir: t.TempDir(), Logger: quiet}, origin.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	srv, err := api.New(o, api.Options{AdminToken: admin, Logger: quiet, MaxConns: 4096, MaxConnsPerIP: 512,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	if err != nil {
		t.Fatal(err)
	}
	oln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(oln)
	t.Cleanup(func() { srv.Shutdown(5 * time.Second) })
	ch, cr, err := o.CreateChannel("demo", "edge")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := demo.New(fixtures.Muxed(), "demo")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); pub.Run(ctx, ch, 0) }()
	t.Cleanup(func() { cancel(); <-done })

	// nginx: the shipped server config, with the upstream, port and cache
	// directory of this test, inside a minimal main config.
	dir, err := os.MkdirTemp("", "edge")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil { // nginx workers run unprivileged
		t.Fatal(err)
	}
	port := freePort(t)
	conf, err := os.ReadFile("hlsorigin-edge.conf")
	if err != nil {
		t.Fatal(err)
	}
	s := string(conf)
	for old, repl := range map[string]string{
		"server 127.0.0.1:8080;":                   "server " + oln.Addr().String() + ";",
		"listen 80;":                               "listen 127.0.0.1:" + strconv.Itoa(port) + ";",
		"/var/cache/nginx/hlsorigin":               filepath.Join(dir, "cache"),
		"/var/log/nginx/hlsorigin-edge.access.log": filepath.Join(dir, "access.log"),
	} {
		if !strings.Contains(s, old) {
			t.Fatalf("shipped config lacks %q", old)
		}
		s = strings.Replace(s, old, repl, 1)
	}
	if err := os.WriteFile(filepath.Join(dir, "edge.conf"), []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	main := fmt.Sprintf(`worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path %[1]s/cb; proxy_temp_path %[1]s/px; fastcgi_temp_path %[1]s/fc;
  uwsgi_temp_path %[1]s/uw; scgi_temp_path %[1]s/sc;
  include %[1]s/edge.conf;
}
`, dir)
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-t", "-c", filepath.Join(dir, "nginx.conf"), "-p", dir).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-c", filepath.Join(dir, "nginx.conf"), "-p", dir, "-g", "daemon off;")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt) // fast shutdown
		waited := make(chan struct{})
		go func() { cmd.Wait(); close(waited) }()
		select {
		case <-waited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-waited
		}
	})
	e := &edge{origin: "http://" + oln.Addr().String(), edge: "http://127.0.0.1:" + strconv.Itoa(port), host: cr.HostToken,
		key: cr.StreamKey, dir: dir}
	// Ready when the edge serves the live media playlist.
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(e.edge + "/live/demo/demo/index.m3u8")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return e
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("edge not serving the live playlist: %v\n%s", err, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

type got struct {
	status int
	hdr    http.Header
	body   string
}

func get(t *testing.T, url string) got {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return got{resp.StatusCode, resp.Header, string(b)}
}

// lastSegment returns the URI of the newest segment of a media playlist.
func lastSegment(t *testing.T, pl string) string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(pl), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" && !strings.HasPrefix(l, "#") {
			return l
		}
	}
	t.Fatalf("no segment in\n%s", pl)
	return ""
}

func TestEdgeCachesSegmentsAndPlaylists(t *testing.T) {
	e := startEdge(t)
	media := "/live/demo/demo/index.m3u8"
	pl := get(t, e.origin+media)
	seg := "/live/demo/demo/" + lastSegment(t, pl.body)

	// Segments: MISS, then HIT, same bytes as the origin, CORS and ETag kept.
	first := get(t, e.edge+seg)
	second := get(t, e.edge+seg)
	direct := get(t, e.origin+seg)
	if first.status != 200 || second.status != 200 || first.body != direct.body || second.body != direct.body {
		t.Fatalf("segment via edge: %d/%d, %d/%d bytes, origin %d bytes", first.status, second.status, len(first.body), len(second.body), len(direct.body))
	}
	if c := first.hdr.Get("X-Cache-Status"); c != "MISS" {
		t.Errorf("first segment GET: X-Cache-Status %q, want MISS", c)
	}
	if c := second.hdr.Get("X-Cache-Status"); c != "HIT" {
		t.Errorf("second segment GET: X-Cache-Status %q, want HIT", c)
	}
	if second.hdr.Get("Access-Control-Allow-Origin") != "*" || second.hdr.Get("ETag") != direct.hdr.Get("ETag") ||
		!strings.Contains(second.hdr.Get("Cache-Control"), "immutable") {
		t.Errorf("cached segment headers: %v", second.hdr)
	}
	init := get(t, e.edge+"/live/demo/demo/init-1.mp4")
	if init2 := get(t, e.edge+"/live/demo/demo/init-1.mp4"); init.status != 200 || init2.hdr.Get("X-Cache-Status") != "HIT" {
		t.Errorf("init via edge: %d, second %q", init.status, init2.hdr.Get("X-Cache-Status"))
	}

	// A segment that does not exist yet: 404 with a short max-age, cached
	// only briefly (and the JSON error passes through).
	nf := get(t, e.edge+"/live/demo/demo/999999.m4s")
	if nf.status != 404 || nf.hdr.Get("Cache-Control") != "public, max-age=1" || !strings.Contains(nf.body, `"code"`) {
		t.Errorf("missing segment via edge: %d %q %s", nf.status, nf.hdr.Get("Cache-Control"), nf.body)
	}

	// Playlists: served from cache within max-age, refetched after it.
	maxAge := maxAgeOf(t, pl.hdr.Get("Cache-Control"))
	var hit got
	for i := 0; i < 50; i++ { // a HIT needs two GETs within max-age
		get(t, e.edge+media)
		if hit = get(t, e.edge+media); hit.hdr.Get("X-Cache-Status") == "HIT" {
			break
		}
	}
	if hit.hdr.Get("X-Cache-Status") != "HIT" {
		t.Fatalf("live playlist never a HIT within max-age=%d: %q", maxAge, hit.hdr.Get("X-Cache-Status"))
	}
	if hit.hdr.Get("Cache-Control") != pl.hdr.Get("Cache-Control") || hit.hdr.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("cached playlist headers: %v", hit.hdr)
	}
	// nginx keeps expiry in whole seconds: an entry lives max-age to
	// max-age+1 s.
	time.Sleep(time.Duration(maxAge+1)*time.Second + 200*time.Millisecond)
	after := get(t, e.edge+media)
	switch after.hdr.Get("X-Cache-Status") {
	case "EXPIRED", "REVALIDATED", "MISS":
	default:
		t.Errorf("playlist after max-age=%d: X-Cache-Status %q, want it refetched", maxAge, after.hdr.Get("X-Cache-Status"))
	}
	// Over time the edge follows the live window: a newer segment shows up.
	deadline := time.Now().Add(20 * time.Second)
	for lastSegment(t, get(t, e.edge+media).body) == lastSegment(t, pl.body) {
		if time.Now().After(deadline) {
			t.Fatal("edge playlist never moved past", lastSegment(t, pl.body))
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Ingest is not reachable through the edge.
	if r := get(t, e.edge+"/ingest/demo/x.m4s"); r.status != 403 {
		t.Errorf("ingest via edge: %d", r.status)
	}
}

func maxAgeOf(t *testing.T, cc string) int {
	t.Helper()
	i := strings.Index(cc, "max-age=")
	if i < 0 {
		t.Fatalf("Cache-Control %q without max-age", cc)
	}
	n, err := strconv.Atoi(strings.SplitN(cc[i+8:], ",", 2)[0])
	if err != nil || n < 1 {
		t.Fatalf("Cache-Control %q", cc)
	}
	return n
}

// A pause shows through the edge within one target duration of the origin
// listing it: the edge's media playlist carries the EXT-X-DATERANGE. The
// origin lists the date range with the first slate segment (its START-DATE
// is that segment's first instant), which arrives within a segment duration
// of the pause call; the edge may add at most its cache lifetime.
func TestEdgeShowsPauseWithinTargetDuration(t *testing.T) {
	e := startEdge(t)
	media := "/live/demo/demo/index.m3u8"
	pl := get(t, e.edge+media)
	if strings.Contains(pl.body, "#EXT-X-DATERANGE") {
		t.Fatalf("date range before any pause:\n%s", pl.body)
	}
	target := 0
	for _, l := range strings.Split(pl.body, "\n") {
		if v, ok := strings.CutPrefix(l, "#EXT-X-TARGETDURATION:"); ok {
			target, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	if target < 1 {
		t.Fatalf("no target duration in\n%s", pl.body)
	}
	for i := 0; i < 3; i++ { // keep the playlist in the edge cache
		get(t, e.edge+media)
	}
	req, _ := http.NewRequest(http.MethodPost, e.origin+"/api/v1/channels/demo/pause", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+e.host)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("pause: %d", resp.StatusCode)
	}
	returned := time.Now()
	limit := time.Duration(target) * time.Second
	var listed time.Time
	var seen time.Duration
	for {
		if listed.IsZero() && strings.Contains(get(t, e.origin+media).body, "#EXT-X-DATERANGE") {
			listed = time.Now()
		}
		r := get(t, e.edge+media)
		if strings.Contains(r.body, "#EXT-X-DATERANGE") {
			if listed.IsZero() {
				listed = time.Now()
			}
			seen = time.Since(listed)
			break
		}
		if time.Since(returned) > 6*limit {
			t.Fatalf("pause not visible through the edge %s after the call:\n%s", time.Since(returned), r.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("pause listed by the origin %s after the call returned, visible at the edge %s later (target duration %s)",
		listed.Sub(returned), seen, limit)
	if seen > limit {
		t.Errorf("pause visible at the edge %s after the origin listed it, more than one target duration (%s)", seen, limit)
	}
}
