package slate

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/Eyevinn/mp4ff/avc"
	"github.com/Eyevinn/mp4ff/bits"
	"github.com/Eyevinn/mp4ff/mp4"
)

// ErrUpload wraps every refusal of an uploaded slate (with ErrSlate).
var ErrUpload = errors.New("slate upload")

// ErrUploadTooLarge marks an upload over a size limit.
var ErrUploadTooLarge = errors.New("slate upload too large")

// Limits bound an uploaded slate.
type Limits struct {
	MaxVideoBytes int     // bytes of video samples kept (the stored slate). Default 2 MiB.
	MinDuration   float64 // seconds. Default 2 (a slate part may last a whole segment).
	MaxDuration   float64 // seconds. Default 60.
	MinSide       int     // pixels. Default 16.
	MaxWidth      int     // pixels. Default 3840.
	MaxHeight     int     // pixels. Default 2160.
	MaxFrames     int     // video frames. Default 7200.
}

// WithDefaults returns l with its zero fields set to their defaults.
func (l Limits) WithDefaults() Limits { return l.withDefaults() }

func (l Limits) withDefaults() Limits {
	if l.MaxVideoBytes == 0 {
		l.MaxVideoBytes = 2 << 20
	}
	if l.MinDuration == 0 {
		l.MinDuration = 2
	}
	if l.MaxDuration == 0 {
		l.MaxDuration = 60
	}
	if l.MinSide == 0 {
		l.MinSide = 16
	}
	if l.MaxWidth == 0 {
		l.MaxWidth = 3840
	}
	if l.MaxHeight == 0 {
		l.MaxHeight = 2160
	}
	if l.MaxFrames == 0 {
		l.MaxFrames = 7200
	}
	return l
}

// Prepared is an accepted upload in the stored slate form: CMAF video
// (init + one fragment), the video track only, no re-encoding.
type Prepared struct {
	CMAF          []byte
	Width, Height int
	Codec         string // RFC 6381, lower case ("avc1.4d401e")
	Profile       int    // H.264 profile_idc
	Level         int    // H.264 level_idc
	Duration      float64
	Frames        int
	HadAudio      bool   // the upload carried an AAC track
	Audio         []byte // that track as fragmented MP4 (init + one fragment); nil when it could not be kept
}

// H.264 profiles a slate may use (8-bit 4:2:0), ranked so that a slate of
// rank <= a rendition's rank decodes wherever the rendition does.
var profileRank = map[int]int{66: 0, 77: 1, 100: 2}

// ProfileRank returns the rank of an H.264 profile_idc (baseline 0, main
// 1, high 2) and whether slates may use it.
func ProfileRank(profile int) (int, bool) {
	r, ok := profileRank[profile]
	return r, ok
}

// ProfileName names an H.264 profile_idc.
func ProfileName(profile int) string {
	switch profile {
	case 66:
		return "baseline"
	case 77:
		return "main"
	case 88:
		return "extended"
	case 100:
		return "high"
	case 110:
		return "high 10"
	case 122:
		return "high 4:2:2"
	case 244:
		return "high 4:4:4"
	}
	return fmt.Sprintf("profile %d", profile)
}

func uploadErr(format string, a ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, a...), errors.Join(ErrUpload, ErrSlate))
}

// PrepareUpload validates an uploaded MP4 (progressive or fragmented,
// H.264 video with optional AAC audio) and remuxes its video track to the
// stored slate form without re-encoding. It refuses anything else: not an
// MP4, no video, a codec other than H.264 baseline/main/high, a first frame
// that is not an IDR, reordered frames (B-frames), durations, sizes or
// resolutions out of limits. The result loads with Load.
func PrepareUpload(file []byte, lim Limits) (p *Prepared, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, uploadErr("not a readable MP4 (decoder failure: %v)", r)
		}
	}()
	lim = lim.withDefaults()
	if len(file) < 8 {
		return nil, uploadErr("not an MP4: %d bytes", len(file))
	}
	if t := string(file[4:8]); t != "ftyp" && t != "moov" && t != "styp" && t != "free" && t != "skip" && t != "wide" {
		return nil, uploadErr("not an MP4: first box %q", sanitizeBoxType(file[4:8]))
	}
	if err := checkTopBoxes(file); err != nil {
		return nil, err
	}
	f, err := mp4.DecodeFileSR(bits.NewFixedSliceReader(file))
	if err != nil {
		return nil, uploadErr("not a readable MP4: %v", err)
	}
	moov := f.Moov
	if f.Init != nil {
		moov = f.Init.Moov
	}
	if moov == nil {
		return nil, uploadErr("not an MP4: no moov box")
	}
	vtrak, atrak, err := pickTracks(moov)
	if err != nil {
		return nil, err
	}
	entry := vtrak.Mdia.Minf.Stbl.Stsd.AvcX
	sps, pps, err := paramSetsOf(entry)
	if err != nil {
		return nil, err
	}
	info, err := avc.ParseSPSNALUnit(sps[0], false)
	if err != nil {
		return nil, uploadErr("H.264 SPS unreadable: %v", err)
	}
	p = &Prepared{Profile: int(info.Profile), Level: int(info.Level), Width: int(info.Width), Height: int(info.Height), HadAudio: atrak != nil}
	if _, ok := profileRank[p.Profile]; !ok {
		return nil, uploadErr("H.264 %s profile: slates use baseline, main or high (8-bit 4:2:0)", ProfileName(p.Profile))
	}
	if info.ChromaFormatIDC > 1 || info.BitDepthLumaMinus8 > 0 || info.BitDepthChromaMinus8 > 0 {
		return nil, uploadErr("H.264 chroma format %d / bit depth %d: slates use 8-bit 4:2:0",
			info.ChromaFormatIDC, 8+info.BitDepthLumaMinus8)
	}
	if p.Width < lim.MinSide || p.Height < lim.MinSide || p.Width > lim.MaxWidth || p.Height > lim.MaxHeight {
		return nil, uploadErr("resolution %dx%d: want %d..%dx%d..%d", p.Width, p.Height, lim.MinSide, lim.MaxWidth, lim.MinSide, lim.MaxHeight)
	}
	ts := vtrak.Mdia.Mdhd.Timescale
	if ts == 0 {
		return nil, uploadErr("video timescale 0")
	}
	var samples []mp4.FullSample
	if f.IsFragmented() {
		samples, err = fragmentedSamples(f, vtrak.Tkhd.TrackID, lim)
	} else {
		samples, err = progressiveSamples(file, vtrak, lim)
	}
	if err != nil {
		return nil, err
	}
	if err := checkSamples(samples, ts, lim, p); err != nil {
		return nil, err
	}
	p.Codec = strings.ToLower(avc.CodecString("avc1", info))
	if p.CMAF, err = remux(samples, ts, sps, pps); err != nil {
		return nil, err
	}
	if _, err := Load("upload", p.CMAF); err != nil { // the stored form must load as a slate
		return nil, uploadErr("remuxed slate does not load: %v", err)
	}
	if atrak != nil {
		p.Audio = keepAudio(f, file, atrak, lim)
	}
	return p, nil
}

// checkTopBoxes walks the top-level boxes: every size must fit the file
// (a hostile size must not make the decoder allocate or read past it).
func checkTopBoxes(b []byte) error {
	for pos := 0; pos < len(b); {
		if len(b)-pos < 8 {
			return uploadErr("truncated box header at byte %d", pos)
		}
		size := uint64(binary.BigEndian.Uint32(b[pos:]))
		hdr := uint64(8)
		switch size {
		case 0: // to the end of the file
			size = uint64(len(b) - pos)
		case 1:
			if len(b)-pos < 16 {
				return uploadErr("truncated box header at byte %d", pos)
			}
			size, hdr = binary.BigEndian.Uint64(b[pos+8:]), 16
		}
		if size < hdr || size > uint64(len(b)-pos) {
			return uploadErr("box %q at byte %d claims %d bytes, %d left (truncated upload?)",
				sanitizeBoxType(b[pos+4:pos+8]), pos, size, len(b)-pos)
		}
		pos += int(size)
	}
	return nil
}

func sanitizeBoxType(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			c = '?'
		}
		out[i] = c
	}
	return string(out)
}

// pickTracks returns the one H.264 video track and the first audio track;
// audio tracks must be AAC.
func pickTracks(moov *mp4.MoovBox) (video, audio *mp4.TrakBox, err error) {
	for i, t := range moov.Traks {
		if t.Tkhd == nil || t.Mdia == nil || t.Mdia.Mdhd == nil || t.Mdia.Hdlr == nil || t.Mdia.Minf == nil ||
			t.Mdia.Minf.Stbl == nil || t.Mdia.Minf.Stbl.Stsd == nil {
			return nil, nil, uploadErr("track %d incomplete (tkhd, mdhd, hdlr or stsd missing)", i+1)
		}
		stsd := t.Mdia.Minf.Stbl.Stsd
		switch t.Mdia.Hdlr.HandlerType {
		case "vide":
			if video != nil {
				return nil, nil, uploadErr("more than one video track")
			}
			if stsd.AvcX == nil {
				return nil, nil, uploadErr("video codec %q: slates are H.264 (avc1/avc3)", entryType(stsd))
			}
			video = t
		case "soun":
			if stsd.Mp4a == nil {
				return nil, nil, uploadErr("audio codec %q: only AAC audio may accompany a slate", entryType(stsd))
			}
			if audio == nil {
				audio = t
			}
		default:
			// timed metadata, text, hint tracks: ignored (not kept)
		}
	}
	if video == nil {
		return nil, nil, uploadErr("no video track (audio-only file?): a slate is an H.264 video")
	}
	return video, audio, nil
}

func entryType(stsd *mp4.StsdBox) string {
	if len(stsd.Children) == 0 {
		return "none"
	}
	return stsd.Children[0].Type()
}

func paramSetsOf(e *mp4.VisualSampleEntryBox) (sps, pps [][]byte, err error) {
	if e.AvcC == nil || len(e.AvcC.SPSnalus) == 0 || len(e.AvcC.PPSnalus) == 0 {
		return nil, nil, uploadErr("%s without SPS/PPS in avcC: encode with parameter sets in the sample entry", e.Type())
	}
	return e.AvcC.SPSnalus, e.AvcC.PPSnalus, nil
}

func fragmentedSamples(f *mp4.File, id uint32, lim Limits) ([]mp4.FullSample, error) {
	if f.Init == nil || f.Init.Moov.Mvex == nil {
		return nil, uploadErr("fragmented MP4 without mvex")
	}
	var trex *mp4.TrexBox
	for _, x := range f.Init.Moov.Mvex.Trexs {
		if x.TrackID == id {
			trex = x
		}
	}
	if trex == nil {
		return nil, uploadErr("video track %d has no trex", id)
	}
	var out []mp4.FullSample
	var next uint64
	first := true
	for _, seg := range f.Segments {
		for _, frag := range seg.Fragments {
			ss, err := frag.GetFullSamples(trex)
			if err != nil {
				return nil, uploadErr("fragment samples: %v", err)
			}
			for _, s := range ss {
				if !first && s.DecodeTime < next {
					return nil, uploadErr("video decode times go backwards")
				}
				first = false
				next = s.DecodeTime + uint64(s.Dur)
				out = append(out, s)
				if len(out) > lim.MaxFrames {
					return nil, uploadErr("more than %d video frames", lim.MaxFrames)
				}
			}
		}
	}
	return out, nil
}

func progressiveSamples(file []byte, trak *mp4.TrakBox, lim Limits) ([]mp4.FullSample, error) {
	stbl := trak.Mdia.Minf.Stbl
	if stbl.Stsz == nil || stbl.Stsc == nil || stbl.Stts == nil || (stbl.Stco == nil && stbl.Co64 == nil) {
		return nil, uploadErr("video sample table incomplete (stsz, stsc, stts, stco)")
	}
	n := stbl.Stsz.GetNrSamples()
	if n == 0 {
		return nil, uploadErr("video track has no frames")
	}
	if int(n) > lim.MaxFrames {
		return nil, uploadErr("%d video frames: at most %d", n, lim.MaxFrames)
	}
	chunks, err := stbl.Stsc.GetContainingChunks(1, n)
	if err != nil {
		return nil, uploadErr("sample to chunk table: %v", err)
	}
	offsetOf := func(c int) (uint64, error) {
		if stbl.Stco != nil {
			return stbl.Stco.GetOffset(c)
		}
		return stbl.Co64.GetOffset(c)
	}
	out := make([]mp4.FullSample, 0, n)
	total := 0
	var dt uint64
	for _, c := range chunks {
		off, err := offsetOf(int(c.ChunkNr))
		if err != nil {
			return nil, uploadErr("chunk %d offset: %v", c.ChunkNr, err)
		}
		for nr := c.StartSampleNr; nr < c.StartSampleNr+c.NrSamples && nr <= n; nr++ {
			size := uint64(stbl.Stsz.GetSampleSize(int(nr)))
			if off+size > uint64(len(file)) || off+size < off {
				return nil, uploadErr("frame %d lies outside the file (truncated upload?)", nr)
			}
			total += int(size)
			if total > lim.MaxVideoBytes {
				return nil, fmt.Errorf("video frames exceed %d bytes: %w", lim.MaxVideoBytes, errors.Join(ErrUploadTooLarge, ErrUpload, ErrSlate))
			}
			dur := stbl.Stts.GetDur(nr)
			flags := mp4.NonSyncSampleFlags
			if stbl.Stss == nil || stbl.Stss.IsSyncSample(nr) {
				flags = mp4.SyncSampleFlags
			}
			var cto int32
			if stbl.Ctts != nil {
				cto = stbl.Ctts.GetCompositionTimeOffset(nr)
			}
			out = append(out, mp4.FullSample{Sample: mp4.NewSample(flags, dur, uint32(size), cto), DecodeTime: dt,
				Data: file[off : off+size]})
			dt += uint64(dur)
			off += size
		}
	}
	if len(out) != int(n) {
		return nil, uploadErr("sample to chunk table covers %d of %d frames", len(out), n)
	}
	return out, nil
}

// checkSamples enforces IDR first, presentation order = decode order,
// durations and size limits; it fills Duration and Frames.
func checkSamples(ss []mp4.FullSample, ts uint32, lim Limits, p *Prepared) error {
	if len(ss) < 2 {
		return uploadErr("%d video frames: a slate needs more than one", len(ss))
	}
	if !ss[0].IsSync() || !avc.ContainsNaluType(ss[0].Data, avc.NALU_IDR) {
		return uploadErr("first frame is not an IDR: the slate must start with a keyframe")
	}
	total := 0
	var dur uint64
	for i, s := range ss {
		if s.Dur == 0 {
			return uploadErr("frame %d has zero duration", i)
		}
		if i > 0 && s.PresentationTime() <= ss[i-1].PresentationTime() {
			return uploadErr("frames are reordered (B-frames): encode the slate without B-frames (-bf 0)")
		}
		if len(s.Data) < 5 {
			return uploadErr("frame %d is empty", i)
		}
		total += len(s.Data)
		dur += uint64(s.Dur)
	}
	if total > lim.MaxVideoBytes {
		return fmt.Errorf("video frames hold %d bytes, at most %d: %w", total, lim.MaxVideoBytes, errors.Join(ErrUploadTooLarge, ErrUpload, ErrSlate))
	}
	p.Duration = float64(dur) / float64(ts)
	p.Frames = len(ss)
	if p.Duration < lim.MinDuration || p.Duration > lim.MaxDuration {
		return uploadErr("duration %.2fs: want %.0f..%.0fs", p.Duration, lim.MinDuration, lim.MaxDuration)
	}
	return nil
}

// remux writes the video samples as CMAF: init (avc1, parameter sets in
// avcC) plus one fragment starting at decode time 0.
func remux(ss []mp4.FullSample, ts uint32, sps, pps [][]byte) ([]byte, error) {
	init := mp4.CreateEmptyInit()
	trak := init.AddEmptyTrack(ts, "video", "und")
	if err := trak.SetAVCDescriptor("avc1", sps, pps, true); err != nil {
		return nil, uploadErr("sample entry: %v", err)
	}
	frag, err := mp4.CreateFragment(1, trak.Tkhd.TrackID)
	if err != nil {
		return nil, uploadErr("fragment: %v", err)
	}
	base := ss[0].DecodeTime
	cto0 := ss[0].CompositionTimeOffset
	for _, s := range ss {
		s.DecodeTime -= base
		s.CompositionTimeOffset -= cto0 // presentation = decode order: offsets are a constant delay
		frag.AddFullSample(s)
	}
	var b bytes.Buffer
	if err := init.Encode(&b); err != nil {
		return nil, uploadErr("encode init: %v", err)
	}
	seg := mp4.NewMediaSegment()
	seg.AddFragment(frag)
	if err := seg.Encode(&b); err != nil {
		return nil, uploadErr("encode fragment: %v", err)
	}
	return b.Bytes(), nil
}
