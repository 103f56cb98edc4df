package segments

import (
	"fmt"

	"github.com/Eyevinn/mp4ff/bits"
	"github.com/Eyevinn/mp4ff/mp4"
)

// fragment is one moof and the mdat right after it.
type fragment struct {
	moof, mdat box
	decoded    *mp4.MoofBox
}

// mediaBoxes is the top-level layout of a media segment.
type mediaBoxes struct {
	top   []box
	frags []fragment
	prft  *mp4.PrftBox // the first top-level prft, if any
}

// splitSegment walks the top-level boxes of a media segment
// (styp? sidx* prft? (emsg* moof mdat)+), decodes every moof and the first prft.
func splitSegment(b []byte) (*mediaBoxes, error) {
	top, err := walkBoxes(b, 0, len(b))
	if err != nil {
		return nil, err
	}
	m := &mediaBoxes{top: top}
	for i := 0; i < len(top); i++ {
		switch x := top[i]; x.typ {
		case "ftyp", "moov":
			return nil, fmt.Errorf("%s box: init segment, not media: %w", x.typ, ErrMalformed)
		case "mdat":
			return nil, fmt.Errorf("mdat at %d without moof: %w", x.start, ErrMalformed)
		case "prft":
			err = m.addPrft(b, x)
		case "moof":
			err = m.addFragment(b, top[i:])
			i++ // the mdat
		}
		if err != nil {
			return nil, err
		}
	}
	if len(m.frags) == 0 {
		return nil, fmt.Errorf("no moof: %w", ErrMalformed)
	}
	return m, nil
}

func (m *mediaBoxes) addFragment(b []byte, rest []box) error {
	if len(rest) < 2 || rest[1].typ != "mdat" {
		return fmt.Errorf("moof at %d not followed by mdat: %w", rest[0].start, ErrMalformed)
	}
	decoded, err := decodeBox(b, rest[0])
	if err != nil {
		return err
	}
	moof, ok := decoded.(*mp4.MoofBox)
	if !ok || len(moof.Trafs) == 0 {
		return fmt.Errorf("moof at %d has no traf: %w", rest[0].start, ErrMalformed)
	}
	if err := checkLayout(b, rest[0], moof.Children); err != nil {
		return err
	}
	m.frags = append(m.frags, fragment{moof: rest[0], mdat: rest[1], decoded: moof})
	return nil
}

func (m *mediaBoxes) addPrft(b []byte, x box) error {
	if m.prft != nil {
		return nil
	}
	decoded, err := decodeBox(b, x)
	if err != nil {
		return err
	}
	if p, ok := decoded.(*mp4.PrftBox); ok {
		m.prft = p
	}
	return nil
}

// checkLayout checks that the child boxes of parent, walked by their
// declared sizes, are exactly those mp4ff decoded (same types and sizes), and
// recurses into trafs. mp4ff ignores the declared size of some boxes (tfhd),
// so without this check it could see other boxes than Retime's walk does.
func checkLayout(b []byte, parent box, decoded []mp4.Box) error {
	kids, err := children(b, parent)
	if err != nil {
		return fmt.Errorf("%s at %d: %w", parent.typ, parent.start, err)
	}
	if len(kids) != len(decoded) {
		return fmt.Errorf("%s at %d: %d child boxes, %d decoded: %w", parent.typ, parent.start, len(kids), len(decoded), ErrMalformed)
	}
	for i, k := range kids {
		d := decoded[i]
		if k.typ != d.Type() || uint64(k.end-k.start) != d.Size() {
			return fmt.Errorf("%s at %d: box %q of %d bytes decoded as %q of %d: %w",
				parent.typ, parent.start, k.typ, k.end-k.start, d.Type(), d.Size(), ErrMalformed)
		}
		if traf, ok := d.(*mp4.TrafBox); ok {
			if err := checkLayout(b, k, traf.Children); err != nil {
				return err
			}
		}
	}
	return nil
}

// decodeBox decodes one box with mp4ff. Decoded boxes may alias b.
func decodeBox(b []byte, x box) (mp4.Box, error) {
	decoded, err := mp4.DecodeBoxSR(uint64(x.start), bits.NewFixedSliceReader(b[x.start:x.end]))
	if err != nil {
		return nil, fmt.Errorf("decode %s at %d: %v: %w", x.typ, x.start, err, ErrMalformed)
	}
	return decoded, nil
}

// ProbeInfo is the structure of a media segment decoded without its init.
type ProbeInfo struct {
	TrackIDs        []uint32          // in order of first appearance
	BaseDecodeTimes map[uint32]uint64 // tfdt of the first fragment of each track
	Fragments       int               // number of moof/mdat pairs
	Size            int               // bytes
}

// Probe checks that b is a media segment (styp?/moof/mdat, every traf has
// tfhd and tfdt) and returns its track IDs and base decode times. It does not
// validate samples: use ParseSegment once the init is known.
func Probe(b []byte) (info *ProbeInfo, err error) {
	defer recoverMalformed("probe", &err)
	m, err := splitSegment(b)
	if err != nil {
		return nil, fmt.Errorf("probe: %w", err)
	}
	info = &ProbeInfo{BaseDecodeTimes: map[uint32]uint64{}, Fragments: len(m.frags), Size: len(b)}
	for i, f := range m.frags {
		for j, traf := range f.decoded.Trafs {
			if traf.Tfhd == nil || traf.Tfdt == nil {
				return nil, fmt.Errorf("probe: moof %d traf %d: tfhd or tfdt missing: %w", i, j, ErrMalformed)
			}
			id := traf.Tfhd.TrackID
			if _, ok := info.BaseDecodeTimes[id]; !ok {
				info.TrackIDs = append(info.TrackIDs, id)
				info.BaseDecodeTimes[id] = traf.Tfdt.BaseMediaDecodeTime()
			}
		}
	}
	return info, nil
}
