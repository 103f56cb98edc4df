package segments

import (
	"bytes"
	"fmt"

	"github.com/Eyevinn/mp4ff/bits"
	"github.com/Eyevinn/mp4ff/mp4"
)

// Kind is the media type of a track.
type Kind string

// Track kinds.
const (
	KindVideo Kind = "video"
	KindAudio Kind = "audio"
)

// Track describes one track of an init segment.
type Track struct {
	ID                    uint32
	Kind                  Kind
	Timescale             uint32
	Codec                 string // RFC 6381, e.g. "avc1.4d401e", "mp4a.40.2"
	Width, Height         int    // video only
	SampleRate, Channels  int    // audio only
	DefaultSampleDuration uint32 // from trex
	trex                  *mp4.TrexBox
}

// Init is a parsed CMAF init segment (ftyp + moov with mvex/trex).
// It holds at most one video and one audio track.
type Init struct {
	Raw    []byte  // the bytes parsed (a private copy of the input)
	Tracks []Track // in moov order
	MP4    *mp4.InitSegment
}

// ParseInit parses an init segment. Errors wrap ErrMalformed (not an
// ftyp+moov+mvex init, truncated, undecodable) or ErrUnsupported (codec,
// track layout).
func ParseInit(b []byte) (in *Init, err error) {
	defer recoverMalformed("parse init", &err)
	raw := bytes.Clone(b)
	top, err := walkBoxes(raw, 0, len(raw))
	if err != nil {
		return nil, fmt.Errorf("parse init: %w", err)
	}
	seg, err := decodeInitBoxes(raw, top)
	if err != nil {
		return nil, fmt.Errorf("parse init: %w", err)
	}
	tracks, err := parseTracks(seg.Moov)
	if err != nil {
		return nil, fmt.Errorf("parse init: %w", err)
	}
	return &Init{Raw: raw, Tracks: tracks, MP4: seg}, nil
}

// decodeInitBoxes decodes ftyp and moov; media boxes are refused.
func decodeInitBoxes(raw []byte, top []box) (*mp4.InitSegment, error) {
	seg := mp4.NewMP4Init()
	for _, x := range top {
		switch x.typ {
		case "moof", "mdat":
			return nil, fmt.Errorf("%s box: media segment, not init: %w", x.typ, ErrMalformed)
		case "ftyp", "moov":
			decoded, err := mp4.DecodeBoxSR(uint64(x.start), bits.NewFixedSliceReader(raw[x.start:x.end]))
			if err != nil {
				return nil, fmt.Errorf("decode %s: %v: %w", x.typ, err, ErrMalformed)
			}
			seg.AddChild(decoded)
		}
	}
	if seg.Ftyp == nil || seg.Moov == nil {
		return nil, fmt.Errorf("ftyp or moov missing: %w", ErrMalformed)
	}
	if seg.Moov.Mvex == nil || len(seg.Moov.Mvex.Trexs) == 0 {
		return nil, fmt.Errorf("moov has no mvex/trex (not fragmented): %w", ErrMalformed)
	}
	return seg, nil
}

func parseTracks(moov *mp4.MoovBox) ([]Track, error) {
	if len(moov.Traks) == 0 {
		return nil, fmt.Errorf("moov has no trak: %w", ErrMalformed)
	}
	var tracks []Track
	seen := map[Kind]bool{}
	for i, trak := range moov.Traks {
		t, err := parseTrack(trak, moov.Mvex)
		if err != nil {
			return nil, fmt.Errorf("trak %d: %w", i, err)
		}
		if seen[t.Kind] {
			return nil, fmt.Errorf("trak %d: second %s track: %w", i, t.Kind, ErrUnsupported)
		}
		seen[t.Kind] = true
		tracks = append(tracks, t)
	}
	return tracks, nil
}

func parseTrack(trak *mp4.TrakBox, mvex *mp4.MvexBox) (Track, error) {
	if trak.Tkhd == nil || trak.Mdia == nil || trak.Mdia.Mdhd == nil || trak.Mdia.Hdlr == nil ||
		trak.Mdia.Minf == nil || trak.Mdia.Minf.Stbl == nil || trak.Mdia.Minf.Stbl.Stsd == nil {
		return Track{}, fmt.Errorf("tkhd, mdhd, hdlr or stsd missing: %w", ErrMalformed)
	}
	t := Track{ID: trak.Tkhd.TrackID, Timescale: trak.Mdia.Mdhd.Timescale}
	if t.Timescale == 0 {
		return Track{}, fmt.Errorf("track %d: timescale 0: %w", t.ID, ErrMalformed)
	}
	for _, trex := range mvex.Trexs {
		if trex.TrackID == t.ID {
			t.trex, t.DefaultSampleDuration = trex, trex.DefaultSampleDuration
		}
	}
	if t.trex == nil {
		return Track{}, fmt.Errorf("track %d: no trex: %w", t.ID, ErrMalformed)
	}
	stsd := trak.Mdia.Minf.Stbl.Stsd
	var err error
	switch h := trak.Mdia.Hdlr.HandlerType; h {
	case "vide":
		t.Kind = KindVideo
		t.Codec, t.Width, t.Height, err = videoCodec(stsd)
	case "soun":
		t.Kind = KindAudio
		t.Codec, t.SampleRate, t.Channels, err = audioCodec(stsd)
	default:
		err = fmt.Errorf("handler %q: %w", h, ErrUnsupported)
	}
	if err != nil {
		return Track{}, fmt.Errorf("track %d: %w", t.ID, err)
	}
	return t, nil
}

// Track returns the track with the given ID.
func (in *Init) Track(id uint32) (Track, bool) {
	for _, t := range in.Tracks {
		if t.ID == id {
			return t, true
		}
	}
	return Track{}, false
}

// Video returns the video track, if any.
func (in *Init) Video() (Track, bool) { return in.kind(KindVideo) }

// Audio returns the audio track, if any.
func (in *Init) Audio() (Track, bool) { return in.kind(KindAudio) }

func (in *Init) kind(k Kind) (Track, bool) {
	for _, t := range in.Tracks {
		if t.Kind == k {
			return t, true
		}
	}
	return Track{}, false
}

// recoverMalformed turns a decoder panic into an ErrMalformed error.
func recoverMalformed(op string, err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%s: decoder panic: %v: %w", op, r, ErrMalformed)
	}
}
