package store

import (
	"encoding/binary"
	"fmt"
)

// Storage schema. Every key prefix of both Badger layouts lives here.
// Key parts are validated names joined by '/', numeric parts are big-endian
// so that keys sort numerically. Bump storageVersion on any incompatible
// change; Open refuses data written by a newer version.
const storageVersion uint32 = 1

// Meta DB prefixes.
const (
	keyVersion   = "v" // v -> uint32 BE storage version
	preChannel   = "c" // c/<ch> -> caller bytes
	preRendition = "r" // r/<ch>/<rend> -> caller bytes
	preInit      = "i" // i/<ch>/<rend>/<ver u32> -> init segment bytes
	preSegment   = "s" // s/<ch>/<rend>/<seq u64> -> encoded ref
	preStaged    = "g" // g/<ch>/<name> -> encoded ref
	preMember    = "x" // x/<bucket i64><index key> -> empty: keys per bucket, for Prune
	preTrash     = "t" // t/<bucket i64><blob key> -> empty: replaced blobs still to delete (see replace.go)
	sep          = '/' // separator after every part but numeric tails
	maxPartLen   = 64  // longest allowed name
	numBucketLen = 8   // x/<bucket> width
	blobNonceLen = 8   // blob key = index key + nonce (inside a bucket DB)
)

// recordKinds are the prefixes PutRecord accepts; callers cannot invent others.
var recordKinds = map[string]string{
	"p":    "pause records",
	"pl":   "polls",
	"vt":   "votes",
	"sl":   "slates",
	"sh":   "channel history (topic matching)",
	"ch":   "chat",
	"meta": "misc origin metadata",
}

// validName reports whether s is [A-Za-z0-9_.-]{1,64}.
func validName(s string) bool {
	if len(s) == 0 || len(s) > maxPartLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '.' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// joinKey builds "<prefix>/<p1>/<p2>/" with a trailing separator, validating parts.
func joinKey(prefix string, parts ...string) ([]byte, error) {
	k := make([]byte, 0, 64)
	k = append(append(k, prefix...), sep)
	for _, p := range parts {
		if !validName(p) {
			return nil, fmt.Errorf("%w: %q", ErrInvalidKey, p)
		}
		k = append(append(k, p...), sep)
	}
	return k, nil
}

// nameKey is joinKey without the trailing separator ("c/<ch>"), for leaf names.
func nameKey(prefix string, parts ...string) ([]byte, error) {
	k, err := joinKey(prefix, parts...)
	if err != nil {
		return nil, err
	}
	return k[:len(k)-1], nil
}

func channelKey(ch string) ([]byte, error)         { return nameKey(preChannel, ch) }
func renditionKey(ch, rend string) ([]byte, error) { return nameKey(preRendition, ch, rend) }
func stagedKey(ch, name string) ([]byte, error)    { return nameKey(preStaged, ch, name) }

func initKey(ch, rend string, ver uint32) ([]byte, error) {
	k, err := joinKey(preInit, ch, rend)
	return binary.BigEndian.AppendUint32(k, ver), err
}

func segmentKey(ch, rend string, seq uint64) ([]byte, error) {
	k, err := joinKey(preSegment, ch, rend)
	return binary.BigEndian.AppendUint64(k, seq), err
}

// recordKey validates kind against recordKinds.
func recordKey(kind string, parts []string, leaf bool) ([]byte, error) {
	if _, ok := recordKinds[kind]; !ok {
		return nil, fmt.Errorf("%w: unregistered record kind %q", ErrInvalidKey, kind)
	}
	if leaf {
		if len(parts) == 0 {
			return nil, fmt.Errorf("%w: record without key parts", ErrInvalidKey)
		}
		return nameKey(kind, parts...)
	}
	return joinKey(kind, parts...)
}

// memberPrefix is x/<bucket BE>; memberKey appends the indexed key.
func memberPrefix(bucket int64) []byte {
	return binary.BigEndian.AppendUint64([]byte{preMember[0], sep}, uint64(bucket))
}

func memberKey(bucket int64, indexKey []byte) []byte {
	return append(memberPrefix(bucket), indexKey...)
}

// blobKey names a blob inside a bucket DB: the index key plus a random nonce,
// so two puts of the same name never share a blob.
func blobKey(indexKey []byte, nonce uint64) []byte {
	k := make([]byte, 0, len(indexKey)+blobNonceLen)
	return binary.BigEndian.AppendUint64(append(k, indexKey...), nonce)
}

// splitParts turns "<kind>/<a>/<b>" (after the prefix) back into parts.
func splitParts(rest []byte) []string {
	var out []string
	start := 0
	for i, c := range rest {
		if c == sep {
			out = append(out, string(rest[start:i]))
			start = i + 1
		}
	}
	return append(out, string(rest[start:]))
}
