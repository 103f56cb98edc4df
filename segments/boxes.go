package segments

import (
	"encoding/binary"
	"fmt"
)

// box is the location of one ISO BMFF box inside a byte slice.
type box struct {
	typ   string
	start int // offset of the size field
	hdr   int // header length (8, or 16 with largesize)
	end   int // offset just past the box
}

func (x box) payload(b []byte) []byte { return b[x.start+x.hdr : x.end] }

// walkBoxes splits b[from:to] into consecutive boxes. Every box must fit
// exactly; size 0 ("to the end") is accepted for the last box only.
func walkBoxes(b []byte, from, to int) ([]box, error) {
	var out []box
	for pos := from; pos < to; {
		x, err := readBoxHeader(b, pos, to)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
		pos = x.end
	}
	return out, nil
}

func readBoxHeader(b []byte, pos, to int) (box, error) {
	if to-pos < 8 {
		return box{}, fmt.Errorf("box header at %d: %d bytes left: %w", pos, to-pos, ErrMalformed)
	}
	size := uint64(binary.BigEndian.Uint32(b[pos:]))
	x := box{typ: string(b[pos+4 : pos+8]), start: pos, hdr: 8}
	switch size {
	case 0:
		size = uint64(to - pos)
	case 1:
		if to-pos < 16 {
			return box{}, fmt.Errorf("box %q at %d: truncated largesize: %w", x.typ, pos, ErrMalformed)
		}
		size, x.hdr = binary.BigEndian.Uint64(b[pos+8:]), 16
	}
	if size < uint64(x.hdr) || size > uint64(to-pos) {
		return box{}, fmt.Errorf("box %q at %d: size %d, %d bytes left: %w", x.typ, pos, size, to-pos, ErrMalformed)
	}
	x.end = pos + int(size)
	return x, nil
}

// children returns the child boxes of a container box.
func children(b []byte, parent box) ([]box, error) {
	return walkBoxes(b, parent.start+parent.hdr, parent.end)
}
