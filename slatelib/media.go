package slatelib

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"hlsorigin/fixtures"
	"hlsorigin/origin"
)

// Media returns the stored media (CMAF) of a slate that has some.
func (l *Library) Media(id string) ([]byte, error) {
	l.mu.RLock()
	m := l.metas[id]
	l.mu.RUnlock()
	if m == nil {
		return nil, fmt.Errorf("slate %q: %w", id, ErrNotFound)
	}
	if m.Bundled {
		if id == origin.DefaultSlateID {
			return fixtures.Slate(360)
		}
		ps, err := fixtures.Presets()
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			if p.ID == id {
				return fixtures.PresetMedia(p)
			}
		}
	}
	b, err := l.o.Store().Record("sl", []string{"v", id})
	if err != nil {
		return nil, origin.StorageErr("slate media", err)
	}
	return b, nil
}

func newSlateID() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("slate id: %w", err)
	}
	return "s" + hex.EncodeToString(b), nil
}

// MediaToken signs a short-lived media URL token for slate id.
func (l *Library) MediaToken(id string, ttl time.Duration) (string, error) {
	key, err := l.mediaSecret()
	if err != nil {
		return "", err
	}
	exp := strconv.FormatInt(l.now().Add(ttl).Unix(), 10)
	return exp + "." + hex.EncodeToString(mediaMAC(key, id, exp)), nil
}

// CheckMediaToken verifies a media token for slate id (constant time).
func (l *Library) CheckMediaToken(id, tok string) error {
	exp, mac, ok := strings.Cut(tok, ".")
	sum, err := hex.DecodeString(mac)
	if !ok || err != nil || len(exp) > 20 {
		return fmt.Errorf("media token invalid: %w", ErrUnauthorized)
	}
	key, err := l.mediaSecret()
	if err != nil {
		return err
	}
	if !hmac.Equal(sum, mediaMAC(key, id, exp)) {
		return fmt.Errorf("media token invalid: %w", ErrUnauthorized)
	}
	t, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || l.now().Unix() > t {
		return fmt.Errorf("media token expired: %w", ErrUnauthorized)
	}
	return nil
}

func mediaMAC(key []byte, id, exp string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("slate-media\x00" + id + "\x00" + exp))
	return m.Sum(nil)
}

func (l *Library) mediaSecret() ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.secret != nil {
		return l.secret, nil
	}
	if b, err := l.o.Store().Record("meta", []string{"slate_media_secret"}); err == nil && len(b) == 32 {
		l.secret = b
		return b, nil
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("media secret: %w", err)
	}
	if err := l.o.Store().PutRecord("meta", []string{"slate_media_secret"}, b, true); err != nil {
		return nil, origin.StorageErr("save media secret", err)
	}
	l.secret = b
	return b, nil
}
