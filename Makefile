# hlsorigin — build, run, test, bench.
SHELL := /bin/bash
GO    ?= go
PKGS  := ./...
TEST_TIMEOUT ?= 40m

.PHONY: all build run test deps-test deps-bench vendor-web vet fmt-check size-check bench fuzz soak clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/hlsorigin ./cmd/hlsorigin

# Starts the origin on 127.0.0.1:8080 with Badger in ./data and a demo
# channel publishing the bundled fixture on a loop.
run: build
	bin/hlsorigin -demo

# Installs what tests need when the machine lacks it (we run as root in CI):
# ffmpeg (publish, decode, slate conversion with libx264/libx265/libvpx; with a
# font for "slate make" captions), prlimit (util-linux: bounds the converter and
# runs the connection flood test under NOFILE 1024), Debian chromium and node
# (browser tests), nginx (edge cache test, deploy/nginx), GStreamer (playbin with
# hlsdemux and libav), mpv and VLC (replays played by real players), and
# web/node_modules (hls.js, playwright-core) from the lock file.
APT := DEBIAN_FRONTEND=noninteractive apt-get install -y -qq
deps-test:
	@missing=""; \
	  command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing="$$missing ffmpeg"; \
	  command -v prlimit >/dev/null || missing="$$missing util-linux"; \
	  command -v chromium >/dev/null || missing="$$missing chromium"; \
	  command -v node >/dev/null && command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	  [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing="$$missing fonts-dejavu-core"; \
	  command -v nginx >/dev/null || missing="$$missing nginx-light"; \
	  command -v gst-launch-1.0 >/dev/null && [ -n "$$(gst-inspect-1.0 hlsdemux 2>/dev/null)" ] && [ -n "$$(gst-inspect-1.0 avdec_h264 2>/dev/null)" ] || \
	    missing="$$missing gstreamer1.0-tools gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav"; \
	  command -v mpv >/dev/null || missing="$$missing mpv"; \
	  command -v cvlc >/dev/null || missing="$$missing vlc-bin vlc-plugin-base"; \
	  if [ -n "$$missing" ]; then echo "installing$$missing"; apt-get update -qq && $(APT) $$missing >/dev/null; fi
	@cd web && { [ -d node_modules/playwright-core ] && [ -d node_modules/hls.js ] || npm ci --no-audit --no-fund --loglevel=error; }

# Refreshes the vendored hls.js (embedded in the binary) from npm.
vendor-web:
	cd web && npm ci --no-audit --no-fund --loglevel=error && npm run -s vendor

# Benchmarks also compare with nginx.
deps-bench: deps-test
	@command -v nginx >/dev/null || { \
	  echo "installing nginx"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; }

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# No tracked file over 5 MB outside fixtures/ (build artefacts, dumps and
# recordings stay out of the repository; test media lives in fixtures/).
MAX_TRACKED_BYTES := 5242880
size-check:
	@big=$$(git ls-files -z | grep -zv '^fixtures/' | xargs -0 -r stat -c '%s %n' 2>/dev/null | \
	  awk -v max=$(MAX_TRACKED_BYTES) '$$1 > max {print}'); \
	  if [ -n "$$big" ]; then echo "tracked files over 5 MB outside fixtures/:"; echo "$$big"; exit 1; fi

test: deps-test size-check fmt-check vet
	$(GO) test -race -timeout $(TEST_TIMEOUT) $(PKGS)

bench: deps-bench build
	bash bench/run.sh

# Short fuzz runs of every target (longer: FUZZTIME=5m make fuzz). Seed
# corpora are committed under each package's testdata/fuzz; a failing input
# is written there too (commit it with the fix: it becomes a regression test).
FUZZTIME ?= 30s
FUZZ_TARGETS := segments:FuzzParseSegment segments:FuzzParseInit segments:FuzzProbe \
  manifest:FuzzParseIngest manifest/hlscheck:FuzzChecker slate:FuzzPrepareUpload slate:FuzzSplice replay:FuzzParsePiece \
  api:FuzzCreateChannelBody api:FuzzPatchChannelBody api:FuzzPauseResumeBody api:FuzzRotateBody
fuzz:
	@for pt in $(FUZZ_TARGETS); do pkg=$${pt%%:*}; t=$${pt##*:}; echo "== $$pkg $$t"; \
	  $(GO) test ./$$pkg -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 10s || exit 1; done

soak:
	HLSORIGIN_SOAK=1 $(GO) test ./origin/store -run Soak -v -timeout 30m

clean:
	rm -rf bin
