package store

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/dgraph-io/badger/v4"
)

// Errors returned by the store; test with errors.Is.
var (
	// ErrNotFound: no such key, or its blob bucket was already pruned.
	ErrNotFound = errors.New("store: not found")
	// ErrInvalidKey: a key part is not [A-Za-z0-9_.-]{1,64} or a kind is not registered.
	ErrInvalidKey = errors.New("store: invalid key")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store: closed")
	// ErrDiskFull: a write failed with ENOSPC.
	ErrDiskFull = errors.New("store: disk full")
	// ErrCorrupt: a blob does not match the size or checksum of its index entry.
	ErrCorrupt = errors.New("store: corrupt blob")
	// ErrNewerVersion: the data directory was written by a newer storage version.
	ErrNewerVersion = errors.New("store: data written by a newer storage version")
)

// wrap adds context to a Badger error and maps it onto the store vocabulary.
func wrap(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, badger.ErrKeyNotFound):
		return fmt.Errorf("%s: %w", op, ErrNotFound)
	case isNoSpace(err):
		return fmt.Errorf("%s: %w: %v", op, ErrDiskFull, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// isNoSpace reports ENOSPC, also when a library flattened the errno into text.
func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || strings.Contains(err.Error(), "no space left on device")
}
