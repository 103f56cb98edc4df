package segments

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/Eyevinn/mp4ff/aac"
	"github.com/Eyevinn/mp4ff/avc"
	"github.com/Eyevinn/mp4ff/hevc"
	"github.com/Eyevinn/mp4ff/mp4"
)

// videoCodec returns the RFC 6381 codec string and the coded size of an
// avc1/avc3/hvc1/hev1 sample entry.
func videoCodec(stsd *mp4.StsdBox) (codec string, w, h int, err error) {
	switch {
	case stsd.AvcX != nil:
		e := stsd.AvcX
		if e.AvcC == nil {
			return "", 0, 0, fmt.Errorf("%s without avcC: %w", e.Type(), ErrMalformed)
		}
		rec := e.AvcC.DecConfRec
		sps := &avc.SPS{Profile: uint32(rec.AVCProfileIndication),
			ProfileCompatibility: uint32(rec.ProfileCompatibility), Level: uint32(rec.AVCLevelIndication)}
		// Lower case like ffmpeg's CODECS attribute ("avc1.4d401e").
		return strings.ToLower(avc.CodecString(e.Type(), sps)), int(e.Width), int(e.Height), nil
	case stsd.HvcX != nil && (stsd.HvcX.Type() == "hvc1" || stsd.HvcX.Type() == "hev1"):
		e := stsd.HvcX
		if e.HvcC == nil {
			return "", 0, 0, fmt.Errorf("%s without hvcC: %w", e.Type(), ErrMalformed)
		}
		return hevc.CodecString(e.Type(), &hevc.SPS{ProfileTierLevel: hevcPTL(e.HvcC.DecConfRec)}),
			int(e.Width), int(e.Height), nil
	}
	return "", 0, 0, fmt.Errorf("video sample entry %q: %w", entryName(stsd), ErrUnsupported)
}

func hevcPTL(rec hevc.DecConfRec) hevc.ProfileTierLevel {
	return hevc.ProfileTierLevel{
		GeneralProfileSpace:              rec.GeneralProfileSpace,
		GeneralTierFlag:                  rec.GeneralTierFlag,
		GeneralProfileIDC:                rec.GeneralProfileIDC,
		GeneralProfileCompatibilityFlags: rec.GeneralProfileCompatibilityFlags,
		GeneralConstraintIndicatorFlags:  rec.GeneralConstraintIndicatorFlags,
		GeneralLevelIDC:                  rec.GeneralLevelIDC,
	}
}

// audioCodec returns the RFC 6381 codec string, sample rate and channel
// count of an mp4a/ac-3/ec-3/Opus sample entry.
func audioCodec(stsd *mp4.StsdBox) (codec string, rate, channels int, err error) {
	switch {
	case stsd.Mp4a != nil:
		return mp4aCodec(stsd.Mp4a)
	case stsd.AC3 != nil:
		return "ac-3", int(stsd.AC3.SampleRate), int(stsd.AC3.ChannelCount), nil
	case stsd.EC3 != nil:
		return "ec-3", int(stsd.EC3.SampleRate), int(stsd.EC3.ChannelCount), nil
	case stsd.Opus != nil:
		return "Opus", int(stsd.Opus.SampleRate), int(stsd.Opus.ChannelCount), nil
	}
	return "", 0, 0, fmt.Errorf("audio sample entry %q: %w", entryName(stsd), ErrUnsupported)
}

// mp4aCodec reads the esds: "mp4a.40.<AOT>" for AAC (rate and channels from
// the AudioSpecificConfig), "mp4a.<OTI hex>" for other MPEG audio.
func mp4aCodec(e *mp4.AudioSampleEntryBox) (string, int, int, error) {
	if e.Esds == nil || e.Esds.DecConfigDescriptor == nil {
		return "", 0, 0, fmt.Errorf("mp4a without esds: %w", ErrMalformed)
	}
	dcd := e.Esds.DecConfigDescriptor
	rate, channels := int(e.SampleRate), int(e.ChannelCount)
	if dcd.ObjectType != mp4.ObjectTypeAAC {
		return fmt.Sprintf("mp4a.%02X", dcd.ObjectType), rate, channels, nil
	}
	if dcd.DecSpecificInfo == nil {
		return "", 0, 0, fmt.Errorf("AAC without AudioSpecificConfig: %w", ErrMalformed)
	}
	asc, err := aac.DecodeAudioSpecificConfig(bytes.NewReader(dcd.DecSpecificInfo.DecConfig))
	if err != nil {
		return "", 0, 0, fmt.Errorf("AudioSpecificConfig: %v: %w", err, ErrUnsupported)
	}
	if asc.SamplingFrequency > 0 {
		rate = asc.SamplingFrequency
	}
	if asc.ExtensionFrequency > 0 { // HE-AAC: SBR doubles the output rate
		rate = asc.ExtensionFrequency
	}
	if asc.ChannelConfiguration >= 1 && asc.ChannelConfiguration <= 6 { // 7 means 8 channels
		channels = int(asc.ChannelConfiguration)
	}
	return fmt.Sprintf("mp4a.40.%d", asc.ObjectType), rate, channels, nil
}

func entryName(stsd *mp4.StsdBox) string {
	if len(stsd.Children) == 0 {
		return ""
	}
	return stsd.Children[0].Type()
}
