# The vastguard GitHub Action: one static binary, at /vastguard (main step)
# and /vastguard-post (post step). A test (dockerfile_test.go) reads this file
# and builds exactly what it builds, so keep the build a single RUN of
# `go build` with its environment in front.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/vastguard .

# distroless static (the default, root variant): CA certificates, tzdata, no
# shell. No USER: Docker actions must run as root to write the workspace and
# the runner's file-command files. No WORKDIR: the runner sets
# --workdir /github/workspace.
FROM gcr.io/distroless/static-debian12
COPY --from=build /out/vastguard /vastguard
COPY --from=build /out/vastguard /vastguard-post
ENTRYPOINT ["/vastguard"]
