package audience

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"hlsorigin/origin"
)

// Channel-bound viewer tokens: "v2.<payload>.<mac>" where the payload is
// the random viewer id (12 bytes), the issue time (8) and the channel id;
// the mac covers all of it, so a token taken for one channel is refused on
// another. IssueViewer (v1, no channel) keeps working for clients that
// name none.

const viewerPrefixV2 = "v2."

// IssueViewerFor returns a new viewer token bound to channel ("" : unbound,
// as IssueViewer).
func (a *Audience) IssueViewerFor(channel string) (string, Viewer, error) {
	if channel == "" {
		return a.IssueViewer()
	}
	if !origin.ValidChannelID(channel) {
		return "", Viewer{}, fmt.Errorf("channel %q: %w", channel, origin.ErrInvalid)
	}
	key, err := a.viewerSecret()
	if err != nil {
		return "", Viewer{}, err
	}
	payload := make([]byte, 20, 20+len(channel))
	if _, err := rand.Read(payload[:12]); err != nil {
		return "", Viewer{}, fmt.Errorf("viewer id: %w", err)
	}
	now := a.now().UTC()
	binary.BigEndian.PutUint64(payload[12:], uint64(now.Unix()))
	payload = append(payload, channel...)
	tok := viewerPrefixV2 + base64.RawURLEncoding.EncodeToString(payload) + "." +
		base64.RawURLEncoding.EncodeToString(viewerMACv2(key, payload))
	return tok, Viewer{ID: hex.EncodeToString(payload[:12]), IssuedAt: time.Unix(now.Unix(), 0).UTC(), Channel: channel}, nil
}

// verifyBoundViewer checks a v2 token (VerifyViewer calls it).
func (a *Audience) verifyBoundViewer(tok string) (Viewer, error) {
	bad := fmt.Errorf("viewer token invalid: %w", origin.ErrUnauthorized)
	rest, _ := strings.CutPrefix(tok, viewerPrefixV2)
	if len(rest) > 256 {
		return Viewer{}, bad
	}
	p64, m64, ok := strings.Cut(rest, ".")
	if !ok {
		return Viewer{}, bad
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(p64)
	mac, err2 := base64.RawURLEncoding.DecodeString(m64)
	if err1 != nil || err2 != nil || len(payload) <= 20 {
		return Viewer{}, bad
	}
	key, err := a.viewerSecret()
	if err != nil {
		return Viewer{}, err
	}
	if !hmac.Equal(mac, viewerMACv2(key, payload)) {
		return Viewer{}, bad
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(payload[12:20])), 0).UTC()
	if a.now().Sub(issued) > ViewerTokenTTL {
		return Viewer{}, fmt.Errorf("viewer token expired: %w", origin.ErrUnauthorized)
	}
	return Viewer{ID: hex.EncodeToString(payload[:12]), IssuedAt: issued, Channel: string(payload[20:])}, nil
}

func viewerMACv2(key, payload []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(viewerPrefixV2))
	m.Write(payload)
	return m.Sum(nil)
}

// CheckChannel refuses a token bound to another channel.
func (v Viewer) CheckChannel(channel string) error {
	if v.Channel != "" && v.Channel != channel {
		return fmt.Errorf("viewer token is for channel %s (POST /api/v1/viewers with {\"channel\":%q}): %w", v.Channel, channel, origin.ErrForbidden)
	}
	return nil
}
