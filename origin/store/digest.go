package store

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// Digest is a hash of every key and value of the meta DB. Every write of
// the store (records, inits, segment and staged indexes, whose blob
// references change with each blob written) changes it: tests use it to
// prove that a refused request stored nothing.
func (s *Store) Digest() (string, error) {
	if err := s.enter(); err != nil {
		return "", err
	}
	defer s.leave()
	h := sha256.New()
	var n [8]byte
	err := s.scan("digest", nil, nil, func(k, v []byte) bool {
		h.Write(binary.BigEndian.AppendUint64(n[:0], uint64(len(k))))
		h.Write(k)
		h.Write(binary.BigEndian.AppendUint64(n[:0], uint64(len(v))))
		h.Write(v)
		return true
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
