package origin

import (
	"errors"
	"strings"
	"testing"
	"time"

	"hlsorigin/fixtures"
	"hlsorigin/manifest/hlscheck"
)

func openDelayed(t *testing.T, dir string, c *clock, delay time.Duration) *Origin {
	t.Helper()
	o, err := Open(Config{DataDir: dir, Now: c.Now, ResumeMargin: time.Second, PublishDelay: delay}, Hooks{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return o
}

// sendAll sends the muxed fixture: init, then seg k at 2(k+1) s.
func sendAll(t *testing.T, ch *Channel, c *clock) fixtures.Rendition {
	t.Helper()
	m := fixtures.Muxed()
	publishFixture(t, ch, c, m)
	return m
}

func listedURIs(t *testing.T, r *Rendition) string {
	t.Helper()
	pl, err := r.Playlist()
	if err != nil {
		t.Fatal(err)
	}
	if err := hlscheck.CheckMedia(pl.Body); err != nil {
		t.Errorf("playlist: %v\n%s", err, pl.Body)
	}
	var uris []string
	for _, l := range strings.Split(string(pl.Body), "\n") {
		if strings.HasSuffix(l, ".m4s") {
			uris = append(uris, l)
		}
	}
	return strings.Join(uris, " ")
}

// notServed: the segment answers not found at its URL.
func notServed(t *testing.T, r *Rendition, seq uint64) {
	t.Helper()
	if b, _, err := r.Segment(seq); !errors.Is(err, ErrNotFound) {
		t.Errorf("segment %d served (%d bytes, %v)", seq, len(b), err)
	}
}

// TestPublishDelayListsWhenDue: segments are stored on arrival and listed
// (and served) the delay later; across a restart a delayed segment stays
// unlisted until due; the channel's own delay is persisted.
func TestPublishDelayListsWhenDue(t *testing.T) {
	c, dir := newClock(), t.TempDir()
	o := openDelayed(t, dir, c, 6*time.Second)
	ch := newTestChannel(t, o, "d")
	sendAll(t, ch, c) // segments arrive at 2, 4 and 6 s
	if _, err := ch.Rendition("index"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("rendition published before its first segment is due: %v", err)
	}
	if _, err := ch.Multivariant(); err == nil {
		t.Error("multivariant published before anything is due")
	}
	c.Advance(2 * time.Second) // 8 s: seg0 is due
	ch.PublishDue()
	r, err := ch.Rendition("index")
	if err != nil {
		t.Fatal(err)
	}
	if got := listedURIs(t, r); got != "0.m4s" {
		t.Errorf("listed %q at 8 s, want 0.m4s", got)
	}
	if _, _, err := r.Segment(0); err != nil {
		t.Errorf("listed segment: %v", err)
	}
	if _, notYet, err := r.Segment(1); !errors.Is(err, ErrNotFound) || !notYet {
		t.Errorf("unlisted segment 1: %v, not yet %v", err, notYet)
	}
	if n := len(r.Segments()); n != 1 {
		t.Errorf("replay timeline has %d segments, want 1", n)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}

	o = openDelayed(t, dir, c, 6*time.Second)
	ch, _ = o.Channel("d")
	r, _ = ch.Rendition("index")
	if got := listedURIs(t, r); got != "0.m4s" {
		t.Errorf("after restart listed %q, want 0.m4s", got)
	}
	notServed(t, r, 1)
	c.Advance(2 * time.Second) // 10 s
	ch.PublishDue()
	if got := listedURIs(t, r); got != "0.m4s 1.m4s" {
		t.Errorf("listed %q at 10 s", got)
	}
	if err := ch.SetPublishDelay(-time.Second); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative delay: %v", err)
	}
	if err := ch.SetPublishDelay(0); err != nil {
		t.Fatal(err)
	}
	if got := listedURIs(t, r); got != "0.m4s 1.m4s 2.m4s" {
		t.Errorf("delay 0 lists everything: %q", got)
	}
	o.Close()
	o = openDelayed(t, dir, c, 6*time.Second)
	defer o.Close()
	if ch, _ = o.Channel("d"); ch.PublishDelay() != 0 {
		t.Errorf("channel delay after restart %s, want 0 (persisted)", ch.PublishDelay())
	}
	// A longer delay never takes back what is listed, not even across a
	// restart (segment 2 arrived 4 s ago, less than the new delay).
	if err := ch.SetPublishDelay(time.Minute); err != nil {
		t.Fatal(err)
	}
	o.Close()
	o = openDelayed(t, dir, c, 6*time.Second)
	defer o.Close()
	ch, _ = o.Channel("d")
	r, _ = ch.Rendition("index")
	if got := listedURIs(t, r); got != "0.m4s 1.m4s 2.m4s" || ch.PublishDelay() != time.Minute {
		t.Errorf("after raising the delay and a restart: listed %q, delay %s", got, ch.PublishDelay())
	}
}
