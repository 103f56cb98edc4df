package audience

import (
	"sync"
	"testing"
	"time"

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

// testOrigin is an origin with its audience installed; its channels are
// seen through the audience (testChannel).
type testOrigin struct {
	*origin.Origin
	aud *Audience
}

// openTest opens an origin over dir with a test clock and its audience.
func openTest(t testing.TB, dir string, c *clock) testOrigin {
	t.Helper()
	return openWith(t, origin.Config{DataDir: dir, Now: c.Now, ResumeMargin: time.Second, ClockInterval: -1, NoSlateSizes: true})
}

func openWith(t testing.TB, cfg origin.Config) testOrigin {
	t.Helper()
	o, err := origin.Open(cfg, origin.Hooks{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	aud, err := New(o)
	if err != nil {
		o.Close()
		t.Fatalf("audience: %v", err)
	}
	return testOrigin{o, aud}
}

func (o testOrigin) IssueViewer() (string, Viewer, error) { return o.aud.IssueViewer() }
func (o testOrigin) IssueViewerFor(channel string) (string, Viewer, error) {
	return o.aud.IssueViewerFor(channel)
}
func (o testOrigin) VerifyViewer(tok string) (Viewer, error) { return o.aud.VerifyViewer(tok) }

// Channel returns a channel seen through the audience.
func (o testOrigin) Channel(id string) (testChannel, error) {
	ch, err := o.Origin.Channel(id)
	return testChannel{ch, o.aud}, err
}

// testChannel is a channel with its audience's methods.
type testChannel struct {
	*origin.Channel
	a *Audience
}

func (ch testChannel) Vote(v Viewer, option string) (PollView, error) {
	return ch.a.Vote(ch.Channel, v, option)
}
func (ch testChannel) Poll(pauseID, viewer string) (PollView, error) {
	return ch.a.Poll(ch.Channel, pauseID, viewer)
}
func (ch testChannel) PollOf(pauseID string) (PollView, bool) {
	return ch.a.PollOf(ch.Channel, pauseID)
}
func (ch testChannel) PollOptions() []string { return ch.a.PollOptions(ch.Channel) }
func (ch testChannel) SetPollOptions(opts []string) error {
	return ch.a.SetPollOptions(ch.Channel, opts)
}
func (ch testChannel) Chat(v Viewer, text string) (ChatMessage, error) {
	return ch.a.Chat(ch.Channel, v, text)
}
func (ch testChannel) RecentChat(n int) []ChatMessage { return ch.a.RecentChat(ch.Channel, n) }

func newTestChannel(t *testing.T, o testOrigin, id string) testChannel {
	t.Helper()
	ch, _, err := o.CreateChannel(id, "test "+id)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return testChannel{ch, o.aud}
}
