# hlsorigin — build, run, test, bench.
SHELL := /bin/bash
GO    ?= go
PKGS  := ./...
TEST_TIMEOUT ?= 40m

.PHONY: all build run test deps deps-test vet fmt-check unit e2e bench fuzz soak clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/hlsorigin ./cmd/hlsorigin

# Starts the origin on 127.0.0.1:8080 with Badger in ./data and a demo
# channel publishing the bundled fixture on a loop.
run: build
	bin/hlsorigin -demo

# Installs what tests need when the machine lacks it (ffmpeg; we run as root in CI).
deps-test:
	@command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || { \
	  echo "installing ffmpeg"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null; }

# Benchmarks also compare with nginx.
deps-bench: deps-test
	@command -v nginx >/dev/null || { \
	  echo "installing nginx"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; }

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

test: deps-test fmt-check vet
	$(GO) test -race -timeout $(TEST_TIMEOUT) $(PKGS)

bench: deps-bench build
	bash bench/run.sh

# Short fuzz runs of every target (longer: FUZZTIME=5m make fuzz).
FUZZTIME ?= 30s
fuzz:
	$(GO) test ./segments -run '^$$' -fuzz FuzzParseSegment -fuzztime $(FUZZTIME)
	$(GO) test ./segments -run '^$$' -fuzz FuzzParseInit -fuzztime $(FUZZTIME)
	$(GO) test ./manifest -run '^$$' -fuzz FuzzParseIngest -fuzztime $(FUZZTIME)

soak:
	HLSORIGIN_SOAK=1 $(GO) test ./origin/store -run Soak -v -timeout 30m

clean:
	rm -rf bin
