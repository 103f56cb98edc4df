package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hlsorigin/origin"
)

// fakeClock is a settable clock for the limiters.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestLimiterBucket(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1e9, 0)}
	l := NewLimiter("test", RateLimit{PerSecond: 2, Burst: 3}, 0, clk.Now)
	for i := 0; i < 3; i++ {
		if ok, _ := l.Allow("1.2.3.4"); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.Allow("1.2.3.4")
	if ok {
		t.Fatal("request after the burst allowed")
	}
	if wait <= 0 || wait > 500*time.Millisecond {
		t.Errorf("retry after %v, want (0, 500ms] at 2/s", wait)
	}
	if ok, _ := l.Allow("5.6.7.8"); !ok {
		t.Error("another address is limited by the first one's bucket")
	}
	clk.Add(499 * time.Millisecond)
	if ok, _ := l.Allow("1.2.3.4"); ok {
		t.Error("allowed before a token was refilled")
	}
	clk.Add(2 * time.Millisecond)
	if ok, _ := l.Allow("1.2.3.4"); !ok {
		t.Error("refused after a token was refilled")
	}
	if ok, _ := l.Allow("1.2.3.4"); ok {
		t.Error("a second request got the single refilled token")
	}
}

func TestLimiterBoundedMap(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1e9, 0)}
	l := NewLimiter("test", RateLimit{PerSecond: 1, Burst: 1}, 100, clk.Now)
	l.Allow("keep")
	for i := 0; i < 1000; i++ {
		l.Allow(fmt.Sprintf("10.0.%d.%d", i/256, i%256))
		if i%10 == 0 {
			l.Allow("keep") // recently seen: survives eviction
		}
	}
	if n := l.Clients(); n != 100 {
		t.Fatalf("limiter remembers %d addresses, want the bound 100", n)
	}
	if ok, _ := l.Allow("keep"); ok {
		t.Error("a recently seen, exhausted client was evicted and got a fresh bucket")
	}
}

func TestLimiterOff(t *testing.T) {
	l := NewLimiter("test", RateLimit{}, 0, nil)
	for i := 0; i < 1000; i++ {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatal("a disabled limit refused a request")
		}
	}
	if l.Clients() != 0 {
		t.Error("a disabled limit keeps state")
	}
}

// rateServer is the fixture server with small limits on a fake clock.
func rateServer(t *testing.T, limits map[string]RateLimit) (*fixtureServer, *fakeClock) {
	t.Helper()
	clk := &fakeClock{t: time.Unix(1e9, 0)}
	fs := newFixtureServerWith(t, Options{AdminToken: testAdmin, RateLimits: limits, Now: clk.Now})
	return fs, clk
}

// TestRateLimitedRoutes: channel creation, pause/resume and rotation
// answer 429 JSON with Retry-After once the burst is spent, and again 2xx
// after the refill; other clients and other routes are not affected.
func TestRateLimitedRoutes(t *testing.T) {
	limits := map[string]RateLimit{
		LimitCreate: {PerSecond: 0.5, Burst: 3}, // the fixture's channel took one
		LimitPause:  {PerSecond: 1, Burst: 3},
		LimitRotate: {PerSecond: 0.1, Burst: 2},
	}
	fs, clk := rateServer(t, limits)
	type call struct {
		method, path, token, body string
		want                      int
	}
	seq := 0
	create := func() call {
		seq++
		return call{"POST", "/api/v1/channels", testAdmin, fmt.Sprintf(`{"id":"r%d"}`, seq), 201}
	}
	var host string
	pause := func() call { return call{"POST", "/api/v1/channels/c/pause", host, "", 200} }
	rotate := func() call { return call{"POST", "/api/v1/channels/c/rotate", testAdmin, `{"what":"stream_key"}`, 200} }
	host = fs.host
	addr, other := fs.listen(t), clientFrom("127.0.0.2")
	for _, tc := range []struct {
		class string
		next  func() call
		burst int
		every time.Duration
	}{
		{LimitCreate, create, 2, 2 * time.Second},
		{LimitPause, pause, 3, time.Second},
		{LimitRotate, rotate, 2, 10 * time.Second},
	} {
		for i := 0; i < tc.burst; i++ {
			c := tc.next()
			if st, b := fs.status(t, c.method, c.path, c.token, c.body); st != c.want {
				t.Fatalf("%s request %d of the burst: %d %s", tc.class, i+1, st, b)
			}
		}
		c := tc.next()
		r := fs.raw(t, c.method, c.path, c.token, []byte(c.body), nil)
		b, _ := io.ReadAll(r.Body)
		if r.StatusCode != 429 {
			t.Fatalf("%s after the burst: %d %s, want 429", tc.class, r.StatusCode, b)
		}
		var e apiError
		if json.Unmarshal(b, &e) != nil || e.Code != "rate_limited" || e.Error == "" {
			t.Errorf("%s 429 body is not JSON {error, code:rate_limited}: %s", tc.class, b)
		}
		ra, err := strconv.Atoi(r.Header.Get("Retry-After"))
		if err != nil || ra < 1 || time.Duration(ra)*time.Second > tc.every+time.Second {
			t.Errorf("%s Retry-After %q, want 1..%v s", tc.class, r.Header.Get("Retry-After"), tc.every)
		}
		// another address has its own bucket (a real TCP connection from 127.0.0.2)
		r2, _ := http.NewRequest(c.method, "http://"+addr+c.path, strings.NewReader(c.body))
		r2.Header.Set("Authorization", "Bearer "+c.token)
		if resp, err := other.Do(r2); err != nil {
			t.Errorf("%s from another address: %v", tc.class, err)
		} else if resp.Body.Close(); resp.StatusCode == 429 {
			t.Errorf("%s from another address: 429", tc.class)
		}
		clk.Add(tc.every - 10*time.Millisecond)
		if st, _ := fs.status(t, c.method, c.path, c.token, c.body); st != 429 {
			t.Errorf("%s before the refill: %d, want 429", tc.class, st)
		}
		clk.Add(20 * time.Millisecond)
		c = tc.next()
		if st, b := fs.status(t, c.method, c.path, c.token, c.body); st != c.want {
			t.Errorf("%s after the refill: %d %s, want %d", tc.class, st, b, c.want)
		}
	}
	// reads are never limited
	for i := 0; i < 50; i++ {
		if st, _ := fs.status(t, "GET", "/api/v1/channels/c", "", ""); st != 200 {
			t.Fatalf("GET channel: %d", st)
		}
	}
}

// TestRateLimitBeforeAuth: wrong credentials spend the bucket too (no
// brute-forcing host tokens), and change nothing.
func TestRateLimitBeforeAuth(t *testing.T) {
	fs, _ := rateServer(t, map[string]RateLimit{LimitPause: {PerSecond: 0.01, Burst: 5}})
	for i := 0; i < 5; i++ {
		if st, _ := fs.status(t, "POST", "/api/v1/channels/c/pause", "guess"+strconv.Itoa(i), ""); st != 403 {
			t.Fatalf("wrong token: %d, want 403", st)
		}
	}
	if st, _ := fs.status(t, "POST", "/api/v1/channels/c/pause", fs.host, ""); st != 429 {
		t.Fatalf("after 5 guesses the right token got %d, want 429", st)
	}
	ch, _ := fs.o.Channel("c")
	if ch.State() == "paused" {
		t.Error("a refused request paused the channel")
	}
}

// TestDefaultRateLimitsCoverFeatures: every documented class has a default
// (features built on the API register theirs with s.limiter(class)).
func TestDefaultRateLimitsCoverFeatures(t *testing.T) {
	d := DefaultRateLimits()
	for _, c := range []string{LimitCreate, LimitPause, LimitRotate, LimitViewers, LimitChat, LimitVote} {
		if d[c].Off() {
			t.Errorf("class %s has no default limit", c)
		}
	}
	o, err := origin.Open(origin.Config{DataDir: t.TempDir()}, origin.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	s, err := New(o, Options{AdminToken: testAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if s.limiter(LimitChat) != s.limiter(LimitChat) {
		t.Error("a class gets a new limiter per call: its buckets would not be shared by its routes")
	}
}
