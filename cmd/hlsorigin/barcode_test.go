package main

import (
	"encoding/binary"
	"hash/crc32"
	"testing"
)

// A frame's capture time is drawn as a 64-bit barcode: 16 x 4 blocks of
// 40 x 40 pixels at the top of a 640 x 360 gray frame. Bits 0-47 are the
// Unix time in ms, bits 48-63 a CRC check, so a slate frame (or any frame
// that is not ours) never decodes to a time.
const (
	frameW, frameH = 640, 360
	blockPx        = 40
	blockCols      = 16
)

func encodeStamp(frame []byte, ms int64) {
	var raw [8]byte
	binary.BigEndian.PutUint64(raw[:], uint64(ms)<<16)
	crc := crc32.ChecksumIEEE(raw[:6])
	binary.BigEndian.PutUint16(raw[6:], uint16(crc))
	bits := binary.BigEndian.Uint64(raw[:])
	for i := range frame {
		frame[i] = 128
	}
	for b := 0; b < 64; b++ {
		v := byte(16)
		if bits&(1<<(63-b)) != 0 {
			v = 235
		}
		x0, y0 := (b%blockCols)*blockPx, (b/blockCols)*blockPx
		for y := y0; y < y0+blockPx; y++ {
			row := frame[y*frameW : (y+1)*frameW]
			for x := x0; x < x0+blockPx; x++ {
				row[x] = v
			}
		}
	}
}

// decodeStamp reads a barcode by sampling the centre of each block.
func decodeStamp(frame []byte) (int64, bool) {
	if len(frame) < frameW*frameH {
		return 0, false
	}
	var bits uint64
	for b := 0; b < 64; b++ {
		x := (b%blockCols)*blockPx + blockPx/2
		y := (b/blockCols)*blockPx + blockPx/2
		sum := 0
		for dy := -4; dy <= 4; dy++ {
			for dx := -4; dx <= 4; dx++ {
				sum += int(frame[(y+dy)*frameW+x+dx])
			}
		}
		bits <<= 1
		if sum/81 > 128 {
			bits |= 1
		}
	}
	var raw [8]byte
	binary.BigEndian.PutUint64(raw[:], bits)
	if uint16(crc32.ChecksumIEEE(raw[:6])) != binary.BigEndian.Uint16(raw[6:]) {
		return 0, false
	}
	return int64(bits >> 16), true
}

func TestBarcodeRoundTrip(t *testing.T) {
	frame := make([]byte, frameW*frameH)
	for _, ms := range []int64{0, 1, 1764000000123, 1<<47 - 1} {
		encodeStamp(frame, ms)
		got, ok := decodeStamp(frame)
		if !ok || got != ms {
			t.Errorf("stamp %d: got %d ok=%v", ms, got, ok)
		}
	}
	flat := make([]byte, frameW*frameH)
	for i := range flat {
		flat[i] = 200
	}
	if _, ok := decodeStamp(flat); ok {
		t.Error("a flat frame decoded as a stamp")
	}
}
