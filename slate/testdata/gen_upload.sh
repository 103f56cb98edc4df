#!/usr/bin/env bash
# Regenerates the small upload test inputs of slate/upload_test.go and
# api/slates_test.go (ffmpeg with libx264, libx265, aac).
set -euo pipefail
cd "$(dirname "$0")/upload"
ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }
common=(-fflags +bitexact -flags +bitexact -map_metadata -1)
# H.264 + AAC, progressive MP4 (moov at the end), 3 s, 320x180, no B-frames
ff -f lavfi -i "color=c=0x8e24aa:s=320x180:r=30:d=3" -f lavfi -i "sine=f=440:r=48000:d=3" \
  -c:v libx264 -profile:v main -preset veryfast -crf 30 -g 300 -bf 0 -pix_fmt yuv420p -c:a aac -b:a 32k \
  "${common[@]}" progressive_aac.mp4
# HEVC video: refused (slates are H.264)
ff -f lavfi -i "color=c=blue:s=160x90:r=30:d=2" -c:v libx265 -x265-params log-level=error -preset ultrafast \
  -pix_fmt yuv420p -tag:v hvc1 "${common[@]}" hevc.mp4
# audio only: refused
ff -f lavfi -i "sine=f=440:r=48000:d=2" -c:a aac -b:a 32k "${common[@]}" audio_only.mp4
# H.264 with B-frames (moving picture): refused (reordered frames)
ff -f lavfi -i "testsrc2=s=160x90:r=30:d=2" -c:v libx264 -preset veryfast -crf 35 -g 60 -bf 2 -pix_fmt yuv420p \
  "${common[@]}" bframes.mp4
# H.264 high 4:4:4: refused (slates are 8-bit 4:2:0)
ff -f lavfi -i "color=c=red:s=160x90:r=30:d=2" -c:v libx264 -preset veryfast -crf 35 -bf 0 -pix_fmt yuv444p \
  "${common[@]}" yuv444.mp4
# a slate at a resolution unlike the test renditions (426x240), fragmented
ff -f lavfi -i "color=c=0x00bcd4:s=426x240:r=25:d=4" -vf "drawbox=x=100:y=60:w=226:h=120:color=white:t=fill" \
  -c:v libx264 -profile:v main -preset veryfast -crf 30 -g 250 -bf 0 -pix_fmt yuv420p \
  -movflags +frag_keyframe+empty_moov+default_base_moof "${common[@]}" slate_426x240.mp4
# H.264 high profile, no B-frames: valid, but not for a main-profile channel
ff -f lavfi -i "color=c=0x795548:s=320x180:r=30:d=3" -c:v libx264 -profile:v high -preset veryfast -crf 30 -g 300 -bf 0 \
  -pix_fmt yuv420p -movflags +frag_keyframe+empty_moov+default_base_moof "${common[@]}" high.mp4
# no_idr_first.mp4 is written by TestWriteNoIDRFirst (slate package, -run with HLSORIGIN_WRITE_TESTDATA=1)
ls -l
