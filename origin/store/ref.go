package store

import (
	"encoding/binary"
	"fmt"
	"time"
)

// SegmentRef is an index entry: where a blob lives and what it is.
type SegmentRef struct {
	Seq    uint64    // sequence number (0 for staged blobs)
	Bucket int64     // start (unix seconds) of the bucket holding the bytes
	Size   int       // blob length in bytes
	At     time.Time // caller's timestamp at put
	Meta   []byte    // caller's opaque metadata (a copy)

	sum   uint32 // CRC-32C of the blob
	nonce uint64 // blob key suffix inside the bucket
}

// Encoded ref layout (big-endian), after a format byte:
// bucket i64 | at sec i64 | at nsec u32 | size u32 | crc u32 | nonce u64 | meta...
const (
	refFormat = 1
	refHeader = 1 + 8 + 8 + 4 + 4 + 4 + 8
)

func (r SegmentRef) encode() []byte {
	b := make([]byte, 0, refHeader+len(r.Meta))
	b = append(b, refFormat)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Bucket))
	b = binary.BigEndian.AppendUint64(b, uint64(r.At.Unix()))
	b = binary.BigEndian.AppendUint32(b, uint32(r.At.Nanosecond()))
	b = binary.BigEndian.AppendUint32(b, uint32(r.Size))
	b = binary.BigEndian.AppendUint32(b, r.sum)
	b = binary.BigEndian.AppendUint64(b, r.nonce)
	return append(b, r.Meta...)
}

// decodeRef parses an encoded ref; b must be the caller's copy.
func decodeRef(b []byte) (SegmentRef, error) {
	if len(b) < refHeader || b[0] != refFormat {
		return SegmentRef{}, fmt.Errorf("%w: bad index entry (%d bytes)", ErrCorrupt, len(b))
	}
	be := binary.BigEndian
	r := SegmentRef{
		Bucket: int64(be.Uint64(b[1:])),
		At:     time.Unix(int64(be.Uint64(b[9:])), int64(be.Uint32(b[17:]))),
		Size:   int(be.Uint32(b[21:])),
		sum:    be.Uint32(b[25:]),
		nonce:  be.Uint64(b[29:]),
	}
	if len(b) > refHeader {
		r.Meta = b[refHeader:]
	}
	return r, nil
}
