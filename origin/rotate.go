package origin

import "fmt"

// Which credentials Rotate replaces.
const (
	RotateStreamKey = "stream_key"
	RotateHostToken = "host_token"
	RotateBoth      = "both"
)

// Rotate replaces the stream key, the host token or both ("stream_key",
// "host_token", "both"). The old ones stop working as soon as it returns:
// only the new hashes are kept, and they are synced to disk first. The new
// secrets are returned once (the field of a credential not rotated is empty).
func (ch *Channel) Rotate(what string) (Credentials, error) {
	var cr Credentials
	var err error
	switch what {
	case RotateStreamKey, RotateHostToken, RotateBoth:
	default:
		return cr, fmt.Errorf("rotate %q: stream_key, host_token or both: %w", what, ErrInvalid)
	}
	if what != RotateHostToken {
		if cr.StreamKey, err = newToken(); err != nil {
			return Credentials{}, err
		}
	}
	if what != RotateStreamKey {
		if cr.HostToken, err = newToken(); err != nil {
			return Credentials{}, err
		}
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	old := ch.rec
	if cr.StreamKey != "" {
		ch.rec.KeyHash = hashToken(cr.StreamKey)
	}
	if cr.HostToken != "" {
		ch.rec.HostHash = hashToken(cr.HostToken)
	}
	if err := ch.saveLocked(); err != nil {
		ch.rec = old
		return Credentials{}, err
	}
	if err := ch.o.store.Sync(); err != nil {
		return Credentials{}, storageErr("sync credentials", err)
	}
	return cr, nil
}

// RotateCredentials replaces both the stream key and the host token.
func (ch *Channel) RotateCredentials() (Credentials, error) { return ch.Rotate(RotateBoth) }
