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

// Viewer tokens are signed, not stored: "v1.<payload>.<mac>" where the
// payload holds a random viewer id and the issue time, and the mac is an
// HMAC-SHA256 under a secret kept in the store. Any number of viewers costs
// no storage, and a forged or altered token fails the constant-time check.

// ViewerTokenTTL is how long a viewer token is accepted: short, so that
// tokens cannot be stockpiled for long (pages take a new one on 401).
const ViewerTokenTTL = 6 * time.Hour

const viewerPrefix = "v1."

// Viewer is an authenticated audience member.
type Viewer struct {
	ID       string    // stable per token: hex of 12 random bytes
	IssuedAt time.Time // when the token was issued
	Channel  string    // the channel a v2 token is bound to ("": any)
}

// viewerSecret loads or creates the signing secret (durable before use).
func (a *Audience) viewerSecret() ([]byte, error) {
	a.viewerOnce.Do(func() {
		if b, err := a.st.Record("meta", []string{"viewer_secret"}); err == nil && len(b) == 32 {
			a.viewerKey = b
			return
		}
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			a.viewerErr = fmt.Errorf("viewer secret: %w", err)
			return
		}
		if err := a.st.PutRecord("meta", []string{"viewer_secret"}, b, true); err != nil {
			a.viewerErr = origin.StorageErr("save viewer secret", err)
			return
		}
		a.viewerKey = b
	})
	return a.viewerKey, a.viewerErr
}

// IssueViewer returns a new signed viewer token and its viewer.
func (a *Audience) IssueViewer() (string, Viewer, error) {
	key, err := a.viewerSecret()
	if err != nil {
		return "", Viewer{}, err
	}
	payload := make([]byte, 20)
	if _, err := rand.Read(payload[:12]); err != nil {
		return "", Viewer{}, fmt.Errorf("viewer id: %w", err)
	}
	now := a.now().UTC()
	binary.BigEndian.PutUint64(payload[12:], uint64(now.Unix()))
	tok := viewerPrefix + base64.RawURLEncoding.EncodeToString(payload) + "." +
		base64.RawURLEncoding.EncodeToString(viewerMAC(key, payload))
	return tok, Viewer{ID: hex.EncodeToString(payload[:12]), IssuedAt: time.Unix(now.Unix(), 0).UTC()}, nil
}

// VerifyViewer checks a viewer token's signature and age.
func (a *Audience) VerifyViewer(tok string) (Viewer, error) {
	bad := fmt.Errorf("viewer token invalid: %w", origin.ErrUnauthorized)
	if tok == "" {
		return Viewer{}, fmt.Errorf("viewer token required (POST /api/v1/viewers): %w", origin.ErrUnauthorized)
	}
	if strings.HasPrefix(tok, viewerPrefixV2) {
		return a.verifyBoundViewer(tok)
	}
	rest, ok := strings.CutPrefix(tok, viewerPrefix)
	if !ok || len(rest) > 128 {
		return Viewer{}, bad
	}
	p64, m64, ok := strings.Cut(rest, ".")
	if !ok {
		return Viewer{}, bad
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(p64)
	mac, err2 := base64.RawURLEncoding.DecodeString(m64)
	if err1 != nil || err2 != nil || len(payload) != 20 {
		return Viewer{}, bad
	}
	key, err := a.viewerSecret()
	if err != nil {
		return Viewer{}, err
	}
	if !hmac.Equal(mac, viewerMAC(key, payload)) {
		return Viewer{}, bad
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(payload[12:])), 0).UTC()
	if a.now().Sub(issued) > ViewerTokenTTL {
		return Viewer{}, fmt.Errorf("viewer token expired: %w", origin.ErrUnauthorized)
	}
	return Viewer{ID: hex.EncodeToString(payload[:12]), IssuedAt: issued}, nil
}

func viewerMAC(key, payload []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(viewerPrefix))
	m.Write(payload)
	return m.Sum(nil)
}
