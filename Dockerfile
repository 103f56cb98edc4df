# Multi-stage build: a static binary on a minimal base.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/hlsorigin ./cmd/hlsorigin

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/hlsorigin /hlsorigin
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["/hlsorigin", "-addr", "0.0.0.0:8080", "-data", "/data"]
