package origin

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"regexp"
)

// newToken returns a random URL-safe token with 256 bits of entropy.
func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// hashToken is what is stored at rest. Tokens carry 256 random bits, so a
// plain SHA-256 is not brute-forceable and keeps the check cheap on every
// ingest request.
func hashToken(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// tokenMatches compares a presented token with a stored hash in constant time.
func tokenMatches(tok string, hash []byte) bool {
	if tok == "" || len(hash) != sha256.Size {
		return false
	}
	return subtle.ConstantTimeCompare(hashToken(tok), hash) == 1
}

var (
	channelIDRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	fileNameRe  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)
)

// ValidChannelID reports whether id can name a channel: lower-case letters,
// digits, '_' and '-', 1 to 64 characters, starting with a letter or digit
// (one spelling per channel: no look-alike ids differing only in case).
func ValidChannelID(id string) bool { return channelIDRe.MatchString(id) }

// validFileName accepts ingest file names: no path separators, no "..".
func validFileName(name string) bool {
	return fileNameRe.MatchString(name) && !containsDotDot(name)
}

func containsDotDot(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '.' && s[i+1] == '.' {
			return true
		}
	}
	return false
}
