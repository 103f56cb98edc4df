package slatelib

import (
	"sync"
	"testing"
	"time"

	"hlsorigin/audience"
	"hlsorigin/fixtures"
	"hlsorigin/origin"
)

// clock is an injectable, settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testOrigin is an origin with its slate library and its audience (the
// chat topic matching reads) installed.
type testOrigin struct {
	*origin.Origin
	lib *Library
	aud *audience.Audience
}

func (o testOrigin) Slates() *Library { return o.lib }

// openTest opens an origin over dir with a test clock and its library.
func openTest(t testing.TB, dir string, c *clock) testOrigin {
	t.Helper()
	o, err := origin.Open(origin.Config{DataDir: dir, Now: c.Now, ResumeMargin: time.Second, ClockInterval: -1, NoSlateSizes: true}, origin.Hooks{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	lib, err := New(o)
	if err != nil {
		o.Close()
		t.Fatalf("slate library: %v", err)
	}
	aud, err := audience.New(o)
	if err != nil {
		o.Close()
		t.Fatalf("audience: %v", err)
	}
	return testOrigin{o, lib, aud}
}

func newTestChannel(t *testing.T, o testOrigin, id string) *origin.Channel {
	t.Helper()
	ch, _, err := o.CreateChannel(id, "test "+id)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return ch
}

// ingestOK ingests a file and fails the test on error.
func ingestOK(t *testing.T, ch *origin.Channel, name string, body []byte) {
	t.Helper()
	if err := ch.Ingest(name, body); err != nil {
		t.Fatalf("ingest %s: %v", name, err)
	}
}

// playlistFor is the ingest playlist an encoder PUTs after segment k.
func playlistFor(r fixtures.Rendition, k int) []byte {
	s := "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-MAP:URI=\"" + r.InitName + "\"\n"
	for i := 0; i <= k; i++ {
		s += "#EXTINF:2.000000,\n" + r.SegmentNames[i] + "\n"
	}
	return []byte(s)
}
