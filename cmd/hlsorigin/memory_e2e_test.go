package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// memoryBoundMB is the documented bound (README, reliability): the
// origin's resident memory grows by less than this while 16 clients send
// 33 MB bodies at once and 3,000 event-stream clients connect and drop.
const memoryBoundMB = 64

// rssBytes reads VmRSS of a process from /proc.
func rssBytes(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// peakSampler records the highest RSS of pid until stopped.
func peakSampler(t *testing.T, pid int) (stop func() int64) {
	var peak atomic.Int64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
				for _, l := range strings.Split(string(b), "\n") {
					if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
						kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
						if kb<<10 > peak.Load() {
							peak.Store(kb << 10)
						}
					}
				}
			}
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	return func() int64 { close(done); <-finished; return peak.Load() }
}

// bigBody sends a request head and then up to n body bytes (chunked when
// chunked), returning the answer's status (0: the connection was closed or
// reset before an answer could be read).
func bigBody(addr, head string, n int, chunked bool) int {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return -1
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	if chunked {
		head += "Transfer-Encoding: chunked\r\n\r\n"
	} else {
		head += fmt.Sprintf("Content-Length: %d\r\n\r\n", n)
	}
	io.WriteString(c, head)
	answered := make(chan int, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			answered <- 0
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	chunk := strings.Repeat("{", 64<<10)
	for sent := 0; sent < n; sent += len(chunk) {
		var err error
		if chunked {
			_, err = fmt.Fprintf(c, "%x\r\n%s\r\n", len(chunk), chunk)
		} else {
			_, err = io.WriteString(c, chunk)
		}
		if err != nil {
			break
		}
	}
	return <-answered
}

// The memory bound under body and event-stream floods, measured on the
// real binary from /proc.
func TestMemoryUnderBodyAndEventFloods(t *testing.T) {
	p := startProc(t, t.TempDir())
	addr := strings.TrimPrefix(p.base, "http://")
	pid := p.cmd.Process.Pid
	var cr channelCreds
	p.mustCall(t, "POST", "/api/v1/channels", adminToken, []byte(`{"id":"mem"}`), 201, &cr)
	var vt struct {
		ViewerToken string `json:"viewer_token"`
	}
	p.mustCall(t, "POST", "/api/v1/viewers", "", []byte(`{}`), 201, &vt)
	// A full event backlog (~300 kB of chat), for Last-Event-ID: 1 replays.
	msg := []byte(`{"text":"` + strings.Repeat("m", 280) + `"}`)
	for i := 0; i < 1024; i++ {
		p.mustCall(t, "POST", "/api/v1/channels/mem/chat", vt.ViewerToken, msg, 201, nil)
	}
	time.Sleep(time.Second) // let the process settle
	base := rssBytes(t, pid)
	stop := peakSampler(t, pid)

	// 16 x 33 MB bodies at once, on four routes, declared and chunked.
	const big = 33 << 20
	heads := []struct {
		head    string
		chunked bool
	}{
		{"POST /api/v1/viewers HTTP/1.1\r\nHost: x\r\n", false},
		{"POST /api/v1/viewers HTTP/1.1\r\nHost: x\r\n", true},
		{"POST /api/v1/channels/mem/chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + vt.ViewerToken + "\r\n", true},
		{"PUT /ingest/mem/seg0.m4s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\n", true},
	}
	var wg sync.WaitGroup
	statuses := make([]int, 16)
	for i := range statuses {
		h := heads[i%len(heads)]
		wg.Go(func() { statuses[i] = bigBody(addr, h.head, big, h.chunked) })
	}
	wg.Wait()
	for i, st := range statuses {
		if st != 0 && st != 413 && st != 401 {
			t.Errorf("33 MB body %d (%q): %d, want 413/401", i, heads[i%len(heads)].head[:20], st)
		}
	}
	t.Logf("16 x 33 MB bodies: answers %v", statuses)

	// 3,000 event-stream clients connect (with Last-Event-ID: 1) and drop,
	// 100 at a time, from 100 loopback addresses.
	var opened atomic.Int64
	sem := make(chan struct{}, 100)
	for i := 0; i < 3000; i++ {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 3, byte(1+i%100))}}
			c, err := d.Dial("tcp", addr)
			if err != nil {
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			fmt.Fprintf(c, "GET /api/v1/channels/mem/events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 1\r\n\r\n")
			if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil && resp.StatusCode == 200 {
				opened.Add(1)
			}
		})
	}
	wg.Wait()
	t.Logf("3,000 event streams: %d opened and dropped", opened.Load())
	if opened.Load() < 2900 {
		t.Errorf("only %d of 3,000 event streams opened", opened.Load())
	}
	waitUntil(t, 10*time.Second, "dropped event streams to leave", func() bool {
		_, b, err := p.call("GET", "/metrics", "", nil, nil)
		return err == nil && metricValue(string(b), "hlsorigin_event_subscribers") == 0
	})
	peak := stop()
	grew := (peak - base) >> 20
	t.Logf("RSS: %d MB before, peak %d MB (+%d MB; bound +%d MB)", base>>20, peak>>20, grew, memoryBoundMB)
	if grew >= memoryBoundMB {
		t.Errorf("RSS grew by %d MB, bound %d MB", grew, memoryBoundMB)
	}
	m := string(p.mustCall(t, "GET", "/metrics", "", nil, 200, nil))
	t.Logf("replays truncated: %v", metricValue(m, "hlsorigin_event_replays_truncated_total"))
}
