package store

import (
	"fmt"
	"time"
)

// PutStaged stores an ingest segment not yet committed to a rendition: the
// bytes in the bucket for at, a small ref in meta (same commit order and
// retention as segments).
func (s *Store) PutStaged(ch, name string, at time.Time, meta, data []byte) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	k, err := stagedKey(ch, name)
	if err != nil {
		return fmt.Errorf("put staged: %w", err)
	}
	return s.putBlobRef("put staged", k, at, meta, data)
}

// Staged returns copies of a staged segment's bytes and metadata.
func (s *Store) Staged(ch, name string) (data []byte, meta []byte, at time.Time, err error) {
	if err := s.enter(); err != nil {
		return nil, nil, time.Time{}, err
	}
	defer s.leave()
	k, err := stagedKey(ch, name)
	if err != nil {
		return nil, nil, time.Time{}, fmt.Errorf("get staged: %w", err)
	}
	data, ref, err := s.readBlobRef("get staged", k)
	return data, ref.Meta, ref.At, err
}

// StagedNames lists the staged segment names of a channel in key order.
func (s *Store) StagedNames(ch string) ([]string, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	p, err := joinKey(preStaged, ch)
	if err != nil {
		return nil, fmt.Errorf("list staged: %w", err)
	}
	ks, err := s.keys("list staged", p)
	names := make([]string, 0, len(ks))
	for _, k := range ks {
		names = append(names, string(k[len(p):]))
	}
	return names, err
}

// DeleteStaged removes a staged ref; a missing one is no error.
func (s *Store) DeleteStaged(ch, name string) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	k, err := stagedKey(ch, name)
	if err != nil {
		return fmt.Errorf("delete staged: %w", err)
	}
	return s.deleteRef("delete staged", k)
}
