# The vastguard GitHub Action's image: one static binary at /vastguard (the
# main step), with /vastguard-post (the post step) a symbolic link to it; the
# program tells the steps apart by the name it was started as.
#
# dockerfile_test.go reads this file and builds exactly what it builds: the
# builder's RUN lines may only be `go mod download`, one `go build` (its
# environment in front) and `ln -s`, and ARGs are the only expansions.
#
# Base images are pinned by the digest of their multi-platform index; the
# tag in front of it says what the digest was when pinned, and dependabot
# (docker ecosystem) moves both together.

# golang:1.26 = Go 1.26.8 on Debian trixie, pinned 2026-09-27. The builder
# runs on the build machine's platform and cross-compiles (CGO is off), so a
# multi-platform build needs no emulation.
FROM --platform=$BUILDPLATFORM golang:1.26@sha256:6c2a5538f964f1c82f97ad14988bf05de100d922d159d0e398b54c7b0ca0c6c9 AS build
ARG TARGETOS
ARG TARGETARCH
# The release workflow passes the tag and the commit; a plain build is "dev".
ARG VERSION=dev
ARG COMMIT=
WORKDIR /src
# Modules first: this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath \
    -ldflags "-s -w -X github.com/vastguard/vastguard/internal/version.version=$VERSION -X github.com/vastguard/vastguard/internal/version.commit=$COMMIT" \
    -o /out/vastguard .
# The post step's name, made here because distroless has no shell. COPY of
# the directory /out/ keeps the link a link (COPY follows a symlink only when
# it is the source path itself).
RUN ln -s vastguard /out/vastguard-post

# gcr.io/distroless/static-debian12:latest (the root variant), pinned
# 2026-09-27: CA certificates, tzdata, /etc/passwd; no shell, no package
# manager. No USER: Docker actions must run as root to write the workspace
# and the runner's file-command files. No WORKDIR: the runner sets
# --workdir /github/workspace.
FROM gcr.io/distroless/static-debian12:latest@sha256:d75cdd72874d4790092fcb1b058493ecf6bb5bf2b2b897045b00ff01d91843f2
ARG VERSION=dev
ARG COMMIT=
LABEL org.opencontainers.image.title="vastguard" \
      org.opencontainers.image.description="Short-lived, scoped Vast.ai API keys for GitHub Actions jobs, and a scanner for Vast.ai keys in git history" \
      org.opencontainers.image.url="https://github.com/vastguard/vastguard" \
      org.opencontainers.image.source="https://github.com/vastguard/vastguard" \
      org.opencontainers.image.documentation="https://github.com/vastguard/vastguard#readme" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="vastguard" \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.revision="$COMMIT"
COPY --from=build /out/ /
ENTRYPOINT ["/vastguard"]
