package store

import (
	"encoding/binary"
	"fmt"
)

// PutChannel stores the caller's channel record (opaque bytes).
func (s *Store) PutChannel(ch string, rec []byte) error {
	return s.putKey("put channel", rec, func() ([]byte, error) { return channelKey(ch) })
}

// Channel returns the channel record or ErrNotFound.
func (s *Store) Channel(ch string) ([]byte, error) {
	return s.getKey("get channel", func() ([]byte, error) { return channelKey(ch) })
}

// Channels returns every channel record by id.
func (s *Store) Channels() (map[string][]byte, error) {
	return s.names("list channels", []byte{preChannel[0], sep})
}

// DeleteChannel removes the channel record with its renditions, inits,
// segment index and staged refs (blobs go with their buckets). Generic
// records (PutRecord) are the caller's to delete. Missing keys are no error.
func (s *Store) DeleteChannel(ch string) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	ck, err := channelKey(ch)
	if err != nil {
		return err
	}
	var pre [][]byte
	for _, p := range []string{preRendition, preInit, preSegment, preStaged} {
		k, _ := joinKey(p, ch)
		pre = append(pre, k)
	}
	if err := s.deletePrefix("delete channel "+ch, pre...); err != nil {
		return err
	}
	return s.deleteKeys("delete channel "+ch, [][]byte{ck})
}

// PutRendition stores the caller's rendition record.
func (s *Store) PutRendition(ch, rend string, rec []byte) error {
	return s.putKey("put rendition", rec, func() ([]byte, error) { return renditionKey(ch, rend) })
}

// Renditions returns the rendition records of ch by name.
func (s *Store) Renditions(ch string) (map[string][]byte, error) {
	p, err := joinKey(preRendition, ch)
	if err != nil {
		return nil, err
	}
	return s.names("list renditions", p)
}

// PutInit stores init segment version ver of a rendition.
func (s *Store) PutInit(ch, rend string, ver uint32, data []byte) error {
	return s.putKey("put init", data, func() ([]byte, error) { return initKey(ch, rend, ver) })
}

// Init returns a copy of an init segment or ErrNotFound.
func (s *Store) Init(ch, rend string, ver uint32) ([]byte, error) {
	return s.getKey("get init", func() ([]byte, error) { return initKey(ch, rend, ver) })
}

// Inits returns every init segment version of a rendition.
func (s *Store) Inits(ch, rend string) (map[uint32][]byte, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	p, err := joinKey(preInit, ch, rend)
	if err != nil {
		return nil, err
	}
	out := map[uint32][]byte{}
	err = s.scan("list inits", p, nil, func(k, v []byte) bool {
		if rest := k[len(p):]; len(rest) == 4 {
			out[binary.BigEndian.Uint32(rest)] = v
		}
		return true
	})
	return out, err
}

// putKey, getKey and names wrap the common enter/validate/leave dance.
func (s *Store) putKey(op string, val []byte, key func() ([]byte, error)) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	k, err := key()
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return s.set(op, k, val)
}

func (s *Store) getKey(op string, key func() ([]byte, error)) ([]byte, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	k, err := key()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return s.get(op, k)
}

// names maps the leaf name after prefix to its value.
func (s *Store) names(op string, prefix []byte) (map[string][]byte, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	out := map[string][]byte{}
	err := s.scan(op, prefix, nil, func(k, v []byte) bool {
		out[string(k[len(prefix):])] = v
		return true
	})
	return out, err
}
