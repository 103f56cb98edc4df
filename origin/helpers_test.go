package origin

import (
	"sync"
	"testing"
	"time"

	"hlsorigin/fixtures"
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

// openTest opens an origin over dir with a test clock.
func openTest(t *testing.T, dir string, c *clock) *Origin {
	t.Helper()
	// A 1 s resume margin: the unit tests place resume instants within
	// 2 s fixture segments (the default margin is longer than a segment).
	// No slate conversions (ffmpeg) unless a test is about them.
	o, err := Open(Config{DataDir: dir, Now: c.Now, ResumeMargin: time.Second, NoSlateSizes: true, ClockInterval: -1}, Hooks{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return o
}

func newTestChannel(t *testing.T, o *Origin, id string) *Channel {
	t.Helper()
	ch, _, err := o.CreateChannel(id, "test "+id)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return ch
}

// ingestOK ingests a file and fails the test on error.
func ingestOK(t *testing.T, ch *Channel, name string, body []byte) {
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

// startLive sends r's init, then its first segment and playlist one
// segment duration later: an encoder going live.
func startLive(t *testing.T, ch *Channel, c *clock, r fixtures.Rendition) {
	t.Helper()
	ingestOK(t, ch, r.InitName, r.Init)
	c.Advance(2 * time.Second)
	ingestOK(t, ch, r.SegmentNames[0], r.Segments[0])
	ingestOK(t, ch, r.PlaylistName, playlistFor(r, 0))
}

// publishFixture sends a fixture rendition in ffmpeg's order: init,
// then each segment followed by its playlist, advancing the clock by the
// segment duration before each segment arrives.
func publishFixture(t *testing.T, ch *Channel, c *clock, r fixtures.Rendition) {
	t.Helper()
	ingestOK(t, ch, r.InitName, r.Init)
	for k := range r.Segments {
		c.Advance(2 * time.Second)
		ingestOK(t, ch, r.SegmentNames[k], r.Segments[k])
		ingestOK(t, ch, r.PlaylistName, playlistFor(r, k))
	}
}
