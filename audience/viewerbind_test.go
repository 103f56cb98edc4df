package audience

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"hlsorigin/origin"
)

// Channel-bound tokens verify with their channel, refuse another, and
// cannot be re-bound by editing the payload.
func TestViewerTokenBound(t *testing.T) {
	c := newClock()
	o := openTest(t, t.TempDir(), c)
	defer o.Close()
	tok, v, err := o.IssueViewerFor("cooking")
	if err != nil || v.Channel != "cooking" || !strings.HasPrefix(tok, "v2.") {
		t.Fatalf("issue: %q %+v %v", tok, v, err)
	}
	got, err := o.VerifyViewer(tok)
	if err != nil || got.ID != v.ID || got.Channel != "cooking" {
		t.Fatalf("verify: %+v %v", got, err)
	}
	if err := got.CheckChannel("cooking"); err != nil {
		t.Errorf("own channel: %v", err)
	}
	if err := got.CheckChannel("other"); !errors.Is(err, origin.ErrForbidden) {
		t.Errorf("other channel: %v, want origin.ErrForbidden", err)
	}
	// Re-bind: same mac, payload with another channel.
	p64, m64, _ := strings.Cut(strings.TrimPrefix(tok, "v2."), ".")
	payload, _ := base64.RawURLEncoding.DecodeString(p64)
	forged := "v2." + base64.RawURLEncoding.EncodeToString(append(payload[:20:20], "other"...)) + "." + m64
	if _, err := o.VerifyViewer(forged); !errors.Is(err, origin.ErrUnauthorized) {
		t.Errorf("re-bound token: %v, want origin.ErrUnauthorized", err)
	}
	if _, _, err := o.IssueViewerFor("Bad Id"); !errors.Is(err, origin.ErrInvalid) {
		t.Errorf("bad channel id: %v", err)
	}
	unbound, _, _ := o.IssueViewerFor("")
	if u, err := o.VerifyViewer(unbound); err != nil || u.Channel != "" || u.CheckChannel("any") != nil {
		t.Errorf("unbound: %+v %v", u, err)
	}
	c.Advance(ViewerTokenTTL + time.Second)
	if _, err := o.VerifyViewer(tok); !errors.Is(err, origin.ErrUnauthorized) {
		t.Errorf("expired bound token: %v", err)
	}
}
