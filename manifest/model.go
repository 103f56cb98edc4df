package manifest

import (
	"errors"
	"time"
)

// ErrInvalidPlaylist wraps every parse or render refusal.
var ErrInvalidPlaylist = errors.New("invalid playlist")

// Segment is one media segment of a media playlist.
type Segment struct {
	Seq           uint64 // media sequence number
	URI           string
	Duration      float64 // seconds
	Title         string
	Discontinuity bool      // EXT-X-DISCONTINUITY before this segment
	MapURI        string    // its init segment: EXT-X-MAP is written first and whenever it changes
	PDT           time.Time // EXT-X-PROGRAM-DATE-TIME (zero: omitted)
	Gap           bool      // EXT-X-GAP
}

// DateRange is an EXT-X-DATERANGE tag.
type DateRange struct {
	ID, Class string
	Start     time.Time
	End       *time.Time
	Attrs     map[string]string // X- client attributes, written as quoted strings
}

// Media is a media playlist.
type Media struct {
	TargetDuration   int // fixed by the caller (RFC 8216 4.3.3.1)
	MediaSequence    uint64
	DiscontinuitySeq uint64
	Segments         []Segment
	DateRanges       []DateRange
	Ended            bool // EXT-X-ENDLIST
	VOD              bool // EXT-X-PLAYLIST-TYPE:VOD (implies Ended)
	Independent      bool // EXT-X-INDEPENDENT-SEGMENTS
}

// Variant is an EXT-X-STREAM-INF entry.
type Variant struct {
	URI                         string
	Bandwidth, AverageBandwidth uint32
	Codecs                      string
	Width, Height               int
	FrameRate                   float64
	Audio                       string // AUDIO group id
}

// Rendition is an EXT-X-MEDIA entry.
type Rendition struct {
	Type                    string // "AUDIO"
	GroupID, Name, Language string
	URI                     string
	Default, AutoSelect     bool
	Channels                string
}

// Multivariant is a multivariant (master) playlist.
type Multivariant struct {
	Variants    []Variant
	Renditions  []Rendition
	Independent bool
}
