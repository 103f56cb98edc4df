package store

import (
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

const (
	conflictRetries = 16
	deleteChunk     = 512 // keys per delete txn, far below Badger's txn cap
)

// get returns a copy of the value at key in meta.
func (s *Store) get(op string, key []byte) ([]byte, error) {
	var val []byte
	err := s.meta.View(func(txn *badger.Txn) error {
		it, err := txn.Get(key)
		if err == nil {
			val, err = it.ValueCopy(nil)
		}
		return err
	})
	return val, wrap(op, err)
}

// set writes one key in its own txn (blind write: cannot conflict).
func (s *Store) set(op string, key, val []byte) error {
	if err := s.disk.check(len(val)); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return wrap(op, s.meta.Update(func(txn *badger.Txn) error { return txn.Set(key, val) }))
}

// update runs fn in a read-write txn, retrying on conflicts.
func (s *Store) update(op string, fn func(txn *badger.Txn) error) error {
	var err error
	for range conflictRetries {
		if err = s.meta.Update(fn); !errors.Is(err, badger.ErrConflict) {
			break
		}
	}
	return wrap(op, err)
}

// scan calls fn with every key under prefix (from seek, if longer) and a
// copy of its value, in key order, until fn returns false.
func (s *Store) scan(op string, prefix, seek []byte, fn func(key, val []byte) bool) error {
	if seek == nil {
		seek = prefix
	}
	return wrap(op, s.meta.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: 64})
		defer it.Close()
		for it.Seek(seek); it.ValidForPrefix(prefix); it.Next() {
			val, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			if !fn(it.Item().KeyCopy(nil), val) {
				return nil
			}
		}
		return nil
	}))
}

// keys lists the keys under prefix (without values).
func (s *Store) keys(op string, prefix []byte) ([][]byte, error) {
	var out [][]byte
	err := s.meta.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			out = append(out, it.Item().KeyCopy(nil))
		}
		return nil
	})
	return out, wrap(op, err)
}

// deleteKeys removes keys in chunked txns (blind deletes: no conflicts).
func (s *Store) deleteKeys(op string, keys [][]byte) error {
	for len(keys) > 0 {
		n := min(len(keys), deleteChunk)
		err := s.meta.Update(func(txn *badger.Txn) error {
			for _, k := range keys[:n] {
				if err := txn.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return wrap(op, err)
		}
		keys = keys[n:]
	}
	return nil
}

// deletePrefix removes every key under each prefix.
func (s *Store) deletePrefix(op string, prefixes ...[]byte) error {
	for _, p := range prefixes {
		ks, err := s.keys(op, p)
		if err == nil {
			err = s.deleteKeys(op, ks)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
