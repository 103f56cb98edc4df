package audience

import (
	"errors"
	"hlsorigin/origin"
	"testing"
	"time"
)

// TestViewerTokens: tokens verify across a restart (the secret is durable),
// altered or expired ones do not.
func TestViewerTokens(t *testing.T) {
	c := newClock()
	dir := t.TempDir()
	o := openTest(t, dir, c)
	tok, v, err := o.IssueViewer()
	if err != nil {
		t.Fatal(err)
	}
	o.Close()
	o = openTest(t, dir, c)
	defer o.Close()
	got, err := o.VerifyViewer(tok)
	if err != nil || got.ID != v.ID {
		t.Fatalf("verify after restart: %+v %v, want %s", got, err, v.ID)
	}
	for _, bad := range []string{"", "v1.", "v1.x.y", tok + "A", "v2" + tok[2:], tok[:10] + "." + tok[11:]} {
		if _, err := o.VerifyViewer(bad); !errors.Is(err, origin.ErrUnauthorized) {
			t.Errorf("token %q: %v, want origin.ErrUnauthorized", bad, err)
		}
	}
	c.Advance(ViewerTokenTTL + time.Hour)
	if _, err := o.VerifyViewer(tok); !errors.Is(err, origin.ErrUnauthorized) {
		t.Errorf("expired token: %v", err)
	}
}

// TestChatKeptAndDurable: the last ChatKeep messages survive a restart.
func TestChatKeptAndDurable(t *testing.T) {
	c := newClock()
	dir := t.TempDir()
	o := openTest(t, dir, c)
	ch := newTestChannel(t, o, "talk")
	_, v, _ := o.IssueViewer()
	for i := 0; i < ChatKeep+5; i++ {
		if _, err := ch.Chat(v, "message "+string(rune('a'+i%26))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ch.Chat(v, "bad\x00"); !errors.Is(err, origin.ErrInvalid) {
		t.Errorf("control character: %v", err)
	}
	want := ch.RecentChat(0)
	if len(want) != ChatKeep {
		t.Fatalf("%d kept, want %d", len(want), ChatKeep)
	}
	o.Close()
	o = openTest(t, dir, c)
	defer o.Close()
	ch, _ = o.Channel("talk")
	got := ch.RecentChat(0)
	if len(got) != ChatKeep || got[0].ID != want[0].ID || got[len(got)-1].ID != want[len(want)-1].ID {
		t.Errorf("after restart %d messages (%d..%d), want %d (%d..%d)", len(got), got[0].ID, got[len(got)-1].ID,
			len(want), want[0].ID, want[len(want)-1].ID)
	}
}
