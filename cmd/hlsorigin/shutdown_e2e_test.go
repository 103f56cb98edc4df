package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// shutdownSegments is how many fixture segments the channel holds before
// the signal: enough that its replay MP4 (~100 kB a segment, 8 MB) outgrows
// the loopback socket buffers (at most 4 MB to send, and a receive window
// that stays small while the client does not read), so the download is
// really still being written when the signal arrives.
const shutdownSegments = 80

// shutdownFixture is a running binary with channel "graceful" holding
// shutdownSegments segments, and what its replay MP4 holds.
type shutdownFixture struct {
	p    *proc
	cr   channelCreds
	cc   *crashClient
	addr string
	mp4  []byte
}

func newShutdownFixture(t *testing.T, dir string, extra ...string) *shutdownFixture {
	t.Helper()
	f := &shutdownFixture{p: startProc(t, dir, extra...), cc: newCrashClient(t)}
	f.addr = strings.TrimPrefix(f.p.base, "http://")
	f.p.mustCall(t, "POST", "/api/v1/channels", adminToken, []byte(`{"id":"graceful"}`), 201, &f.cr)
	m := f.cc.m
	put := func(name string, body []byte) {
		t.Helper()
		f.p.mustCall(t, "PUT", "/ingest/graceful/"+name, f.cr.StreamKey, body, 201, nil)
	}
	playlist := func(n int) []byte {
		var b strings.Builder
		lo := max(0, n-6)
		fmt.Fprintf(&b, "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:%d\n#EXT-X-MAP:URI=%q\n", lo, m.InitName)
		for k := lo; k < n; k++ {
			fmt.Fprintf(&b, "#EXTINF:2.000000,\nseg%d.m4s\n", k)
		}
		return []byte(b.String())
	}
	put(m.InitName, m.Init)
	for k := 0; k < shutdownSegments; k++ {
		put(fmt.Sprintf("seg%d.m4s", k), f.cc.segment(k).body)
		put(m.PlaylistName, playlist(k+1))
	}
	f.mp4 = f.p.mustCall(t, "GET", "/replay/graceful.mp4", "", nil, 200, nil)
	if len(f.mp4) < 6<<20 {
		t.Fatalf("replay MP4 is %d bytes: too small to stay in flight", len(f.mp4))
	}
	return f
}

// dial opens a raw connection to the server.
func (f *shutdownFixture) dial(t *testing.T) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.DialTimeout("tcp", f.addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(90 * time.Second))
	return c, bufio.NewReader(c)
}

// startDownload starts a replay MP4 download and reads its headers and
// first 4 kB, then stops reading.
func (f *shutdownFixture) startDownload(t *testing.T) (*http.Response, []byte) {
	t.Helper()
	c, r := f.dial(t)
	fmt.Fprintf(c, "GET /replay/graceful.mp4 HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(r, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("replay download: %v %v", resp, err)
	}
	got := make([]byte, 4096)
	if _, err := io.ReadFull(resp.Body, got); err != nil {
		t.Fatal(err)
	}
	return resp, got
}

// startPut starts PUTting segment shutdownSegments, chunked, and sends half
// of it. Expect: 100-continue tells when the server has read the headers:
// from then on the request is in flight (its keep-alive connection is no
// longer idle, which a shutdown would close).
func (f *shutdownFixture) startPut(t *testing.T) (finish func() (int, string, error), seg []byte) {
	t.Helper()
	seg = f.cc.segment(shutdownSegments).body
	half := len(seg) / 2
	c, r := f.dial(t)
	fmt.Fprintf(c, "PUT /ingest/graceful/seg%d.m4s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n",
		shutdownSegments, f.cr.StreamKey)
	if cont, err := http.ReadResponse(r, nil); err != nil || cont.StatusCode != 100 {
		t.Fatalf("segment PUT: want 100 Continue, got %v %v", cont, err)
	}
	fmt.Fprintf(c, "%x\r\n%s\r\n", half, seg[:half])
	return func() (int, string, error) {
		fmt.Fprintf(c, "%x\r\n%s\r\n0\r\n\r\n", len(seg)-half, seg[half:])
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			return 0, "", err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b), nil
	}, seg
}

// signalAndWaitClosed signals the process and waits until it refuses new
// connections (the shutdown has begun).
func (f *shutdownFixture) signalAndWaitClosed(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := f.p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", f.addr, time.Second)
		if err != nil {
			return
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting connections 20 s after the signal")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitExit waits for the process to exit and returns its exit code.
func (f *shutdownFixture) waitExit(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case <-f.p.done:
		return f.p.cmd.ProcessState.ExitCode()
	case <-time.After(within):
		t.Fatalf("did not exit within %v of the signal\n%s", within, f.p.stderr.String())
		return -1
	}
}

// checkRestart restarts over dir and checks the acknowledged segment.
func checkRestart(t *testing.T, dir string, seg []byte) {
	t.Helper()
	p2 := startProc(t, dir)
	path := fmt.Sprintf("/live/graceful/index/%d.m4s", shutdownSegments)
	if b := p2.mustCall(t, "GET", path, "", nil, 200, nil); !bytes.Equal(b, seg) {
		t.Errorf("after restart segment %d has %d bytes, want the %d acknowledged", shutdownSegments, len(b), len(seg))
	}
	if code := p2.signal(os.Interrupt, 30*time.Second); code != 0 {
		t.Errorf("idle server: exit code %d after SIGINT, want 0", code)
	}
}

// TestGracefulShutdown: SIGTERM or SIGINT while an encoder is still
// sending a segment's chunked body and a viewer is slowly downloading the
// replay MP4. The server stops accepting connections, lets both requests
// finish (201, and every byte of the MP4 although the viewer stalls for
// 2 s), syncs and closes the store and exits 0; after a restart the
// acknowledged segment is served.
func TestGracefulShutdown(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			f := newShutdownFixture(t, dir)
			dresp, got := f.startDownload(t)
			finish, seg := f.startPut(t)
			sent := time.Now()
			f.signalAndWaitClosed(t, sig)
			alive := func(what string) {
				t.Helper()
				select {
				case <-f.p.done:
					t.Fatalf("exited while %s was in flight: %v\n%s", what, f.p.err, f.p.stderr.String())
				default:
				}
			}
			alive("a segment PUT")
			st, b, err := finish()
			if err != nil || st != 201 {
				t.Fatalf("in-flight PUT after %v: %d %s %v\n%s", sig, st, b, err, f.p.stderr.String())
			}
			t.Logf("in-flight PUT finished %v after %v", time.Since(sent).Round(time.Millisecond), sig)

			// More than the socket buffers hold is still unread: the server
			// is still writing the MP4. A viewer that stalls 2 s keeps it up.
			select {
			case <-f.p.done:
				t.Fatalf("exited while a replay download was in flight: %v\n%s", f.p.err, f.p.stderr.String())
			case <-time.After(2 * time.Second):
			}
			rest, err := io.ReadAll(dresp.Body)
			if err != nil {
				t.Fatalf("in-flight download after %v: %v after %d bytes\n%s", sig, err, len(got)+len(rest), f.p.stderr.String())
			}
			got = append(got, rest...)
			if !bytes.Equal(got, f.mp4) {
				t.Fatalf("in-flight download after %v: %d bytes, not the %d of the replay", sig, len(got), len(f.mp4))
			}
			t.Logf("in-flight download of %d bytes finished %v after %v", len(got), time.Since(sent).Round(time.Millisecond), sig)

			if code := f.waitExit(t, 30*time.Second); code != 0 {
				t.Fatalf("exit code %d after %v, want 0\n%s", code, sig, f.p.stderr.String())
			}
			if strings.Contains(f.p.stderr.String(), "level=ERROR") {
				t.Errorf("errors while shutting down:\n%s", f.p.stderr.String())
			}
			checkRestart(t, dir, seg)
		})
	}
}

// TestShutdownTimeout: a viewer that never reads does not hold the server
// up past -shutdown-timeout. The acknowledged segment PUT finished in time
// is still synced (the store is closed after the cut), and the exit code
// says requests were cut off.
func TestShutdownTimeout(t *testing.T) {
	dir := t.TempDir()
	f := newShutdownFixture(t, dir, "-shutdown-timeout", "1s")
	f.startDownload(t) // never read further
	finish, seg := f.startPut(t)
	sent := time.Now()
	f.signalAndWaitClosed(t, syscall.SIGTERM)
	if st, b, err := finish(); err != nil || st != 201 {
		t.Fatalf("in-flight PUT: %d %s %v\n%s", st, b, err, f.p.stderr.String())
	}
	code := f.waitExit(t, 30*time.Second)
	t.Logf("exited %v after SIGTERM with a stalled download, code %d", time.Since(sent).Round(time.Millisecond), code)
	if code != 1 || !strings.Contains(f.p.stderr.String(), "cut off") {
		t.Fatalf("exit code %d, want 1 with a message on the cut requests\n%s", code, f.p.stderr.String())
	}
	checkRestart(t, dir, seg)
}

// TestShutdownWithDemo: with the demo publisher and maintenance running,
// SIGTERM stops them before the store closes: exit 0, no error logged, and
// the published segments are there after a restart.
func TestShutdownWithDemo(t *testing.T) {
	dir := t.TempDir()
	p := startProc(t, dir, "-demo", "-log-level", "info")
	deadline := time.Now().Add(30 * time.Second)
	var pl []byte
	for {
		st, b, err := p.call("GET", "/live/demo/demo/index.m3u8", "", nil, nil)
		if err == nil && st == 200 && bytes.Contains(b, []byte(".m4s")) {
			pl = b
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo channel not live after 30 s: %d %s %v\n%s", st, b, err, p.stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code := p.signal(syscall.SIGTERM, 30*time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGTERM with the demo running, want 0\n%s", code, p.stderr.String())
	}
	if strings.Contains(p.stderr.String(), "level=ERROR") || strings.Contains(p.stderr.String(), "level=WARN") {
		t.Errorf("errors while shutting down:\n%s", p.stderr.String())
	}
	first := uriRe.FindSubmatch(pl)
	if first == nil {
		t.Fatalf("no segment in the demo playlist:\n%s", pl)
	}
	p2 := startProc(t, dir)
	p2.mustCall(t, "GET", "/live/demo/demo/"+string(first[1])+".m4s", "", nil, 200, nil)
	if code := p2.signal(syscall.SIGTERM, 30*time.Second); code != 0 {
		t.Errorf("restarted server: exit code %d after SIGTERM, want 0", code)
	}
}
