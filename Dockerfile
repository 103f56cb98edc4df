# Multi-stage build: a static binary on a small Debian base with ffmpeg,
# which converts slate uploads (pictures, phone videos) at upload time
# (never on the live path); prlimit (util-linux, in the base) bounds it.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/hlsorigin ./cmd/hlsorigin

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 65532 --home-dir /nonexistent --shell /usr/sbin/nologin nonroot \
 && mkdir /data && chown nonroot /data
COPY --from=build /out/hlsorigin /hlsorigin
USER nonroot
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["/hlsorigin", "-addr", "0.0.0.0:8080", "-data", "/data"]
