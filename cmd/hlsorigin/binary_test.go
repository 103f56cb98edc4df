package main

import (
	"bufio"
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
	"syscall"
	"testing"
	"time"
)

// The crash and shutdown tests run the real binary as a subprocess.

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

// buildBinary builds cmd/hlsorigin once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "hlsorigin-bin")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "hlsorigin")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-o", binPath, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// proc is the binary running over a data directory.
type proc struct {
	cmd    *exec.Cmd
	base   string
	stderr *syncBuffer
	done   chan struct{}
	err    error // exit status, once done is closed
}

// startProc starts the binary on a free loopback port and waits until it listens.
func startProc(t *testing.T, dataDir string, extra ...string) *proc {
	t.Helper()
	return startProcVia(t, nil, dataDir, extra...)
}

// startProcVia starts the binary under a launcher that execs it (such as
// "prlimit --nofile=1024:1024"), so the pid stays the binary's.
func startProcVia(t *testing.T, launcher []string, dataDir string, extra ...string) *proc {
	t.Helper()
	args := append([]string{"-addr", "127.0.0.1:0", "-data", dataDir, "-admin-token", adminToken,
		"-log-level", "warn", "-min-free-bytes", "-1", "-rate-limits=false"}, extra...)
	argv := append(append(append([]string(nil), launcher...), buildBinary(t)), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	p := &proc{cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = p.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if _, rest, ok := strings.Cut(sc.Text(), "listening on "); ok {
				listening <- strings.Fields(rest)[0]
			}
		}
		io.Copy(io.Discard, out)
	}()
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.kill() })
	select {
	case p.base = <-listening:
		return p
	case <-p.done:
		t.Fatalf("hlsorigin exited: %v\n%s", p.err, p.stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("hlsorigin did not start:\n%s", p.stderr.String())
	}
	return nil
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// signal sends sig and waits up to timeout for the exit; it returns the
// exit code (-1: still running after timeout, then killed).
func (p *proc) signal(sig os.Signal, timeout time.Duration) int {
	p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		p.kill()
		return -1
	}
}

var httpc = &http.Client{Timeout: 30 * time.Second}

// call performs a request against the process; out receives a JSON answer.
func (p *proc) call(method, path, token string, body []byte, out any) (int, []byte, error) {
	req, err := http.NewRequest(method, p.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := httpc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, err
	}
	if out != nil && resp.StatusCode < 300 && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, b, err
		}
	}
	return resp.StatusCode, b, nil
}

// mustCall is call that fails the test on a transport error or another status.
func (p *proc) mustCall(t *testing.T, method, path, token string, body []byte, want int, out any) []byte {
	t.Helper()
	st, b, err := p.call(method, path, token, body, out)
	if err != nil || st != want {
		t.Fatalf("%s %s: %d %s %v, want %d\n%s", method, path, st, b, err, want, p.stderr.String())
	}
	return b
}
