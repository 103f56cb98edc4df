package store

import (
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// reserveRecordMax bounds a durable record that may use the free-space reserve.
const reserveRecordMax = 64 << 10

// PutRecord stores a generic record under a registered kind (see
// recordKinds in schema.go) and validated key parts. With durable, the
// meta DB is fsynced before returning (use it for fail-closed state such as
// pauses).
func (s *Store) PutRecord(kind string, parts []string, val []byte, durable bool) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	k, err := recordKey(kind, parts, true)
	if err != nil {
		return fmt.Errorf("put record: %w", err)
	}
	if !durable || len(val) > reserveRecordMax {
		return s.set("put record "+kind, k, val)
	}
	// Durable records are small fail-closed state (a pause): they may use
	// the free-space reserve, so a host can still pause on a full disk.
	if err := wrap("put record "+kind, s.meta.Update(func(txn *badger.Txn) error { return txn.Set(k, val) })); err != nil {
		return err
	}
	return wrap("sync record "+kind, s.meta.Sync())
}

// Record returns a copy of one record or ErrNotFound.
func (s *Store) Record(kind string, parts []string) ([]byte, error) {
	return s.getKey("get record "+kind, func() ([]byte, error) { return recordKey(kind, parts, true) })
}

// Records calls fn, in key order, for every record of kind whose parts start
// with prefixParts, until fn returns false. parts and val are the caller's.
// Matching records are read first, so fn runs outside any txn and may call
// the store.
func (s *Store) Records(kind string, prefixParts []string, fn func(parts []string, val []byte) bool) error {
	type rec struct {
		parts []string
		val   []byte
	}
	var recs []rec
	err := s.scanRecords(kind, prefixParts, func(p []string, v []byte) { recs = append(recs, rec{p, v}) })
	if err != nil {
		return err
	}
	for _, r := range recs {
		if !fn(r.parts, r.val) {
			break
		}
	}
	return nil
}

func (s *Store) scanRecords(kind string, prefixParts []string, add func([]string, []byte)) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	p, err := recordKey(kind, prefixParts, false)
	if err != nil {
		return fmt.Errorf("list records: %w", err)
	}
	return s.scan("list records "+kind, p, nil, func(k, v []byte) bool {
		add(splitParts(k[len(kind)+1:]), v)
		return true
	})
}

// DeleteRecord removes one record; a missing record is no error.
func (s *Store) DeleteRecord(kind string, parts []string) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	k, err := recordKey(kind, parts, true)
	if err != nil {
		return fmt.Errorf("delete record: %w", err)
	}
	return s.deleteKeys("delete record "+kind, [][]byte{k})
}
