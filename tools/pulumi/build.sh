#!/usr/bin/env bash
# Find or build the Pulumi CLI and its Python runtime; print the path of `pulumi` last on stdout.
#
# Order: 1) a compatible `pulumi` on PATH with the Python language host and the
# dynamic-provider plugin beside it; 2) a complete build in the user cache (seconds);
# 3) build from the Go module proxy into a temp dir, then move it into the cache atomically.
# Progress goes to stderr. Nothing is written inside the repo.
set -euo pipefail

PULUMI_VERSION=3.259.0  # the CLI (pkg/v3 + sdk/v3); keep equal to providers/engine.py
LANGHOST_VERSION=3.79.0 # sdk/v3 release the Python language host is built from (langhost/go.mod)
GO_MIN=1.25.11          # the go directive of pkg/v3 and of both wrapper modules
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE_ROOT=${SERVINGOPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/servingops}
DEST=$CACHE_ROOT/pulumi/v$PULUMI_VERSION
BUNDLE=(pulumi pulumi-language-python pulumi-language-python-exec pulumi-resource-pulumi-python)
VERSION_PKG=github.com/pulumi/pulumi/sdk/v3/go/common/version.Version
export GOTOOLCHAIN=local

log() { echo "pulumi-build: $*" >&2; }
die() {
  echo "error: $1" >&2
  echo "  hint: $2" >&2
  exit 1
}

# True when every file of the runtime bundle is an executable in dir $1.
complete() {
  local f
  for f in "${BUNDLE[@]}"; do [ -x "$1/$f" ] || return 1; done
}

# Print the PATH pulumi if it is v$PULUMI_VERSION's major.minor and has the bundle beside it.
path_pulumi() {
  local exe ver
  exe=$(command -v pulumi 2>/dev/null) || return 1
  complete "$(dirname "$exe")" || return 1
  ver=$(PULUMI_SKIP_UPDATE_CHECK=true "$exe" version 2>/dev/null) || return 1
  [[ $ver =~ ^v?${PULUMI_VERSION%.*}\. ]] || return 1
  echo "$exe"
}

check_go() {
  command -v go >/dev/null 2>&1 ||
    die "Go is not installed; it is needed once to build the Pulumi CLI v$PULUMI_VERSION" \
      "install Go >= $GO_MIN, or put pulumi v$PULUMI_VERSION with pulumi-language-python beside it on PATH"
  local have
  have=$(go env GOVERSION)
  have=${have#go}
  [ "$(printf '%s\n%s\n' "$GO_MIN" "$have" | sort -V | head -n1)" = "$GO_MIN" ] ||
    die "Go $have is too old to build the Pulumi CLI v$PULUMI_VERSION (needs >= $GO_MIN)" \
      "install a newer Go (GOTOOLCHAIN=local: no toolchain is downloaded)"
}

# go build one main package of the wrapper module in dir $1, version $2, into $3.
go_build() {
  local start=$SECONDS
  log "building $(basename "$4") v$2 ..."
  (cd "$1" && go build -mod=readonly -trimpath -tags osusergo,grpcnotrace \
    -ldflags "-s -w -X $VERSION_PKG=v$2" -o "$3/" "$4") >&2 ||
    die "go build of $4 failed (see the output above)" \
      "check that the Go module proxy is reachable (go env GOPROXY) and retry \`make pulumi\`"
  log "built $(basename "$4") in $((SECONDS - start))s"
}

# Copy the two Python launch scripts from the sdk/v3 module; module zips drop exec bits.
copy_scripts() {
  local sdk
  sdk=$(cd "$HERE" && go list -mod=readonly -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)
  [ -n "$sdk" ] && [ -d "$sdk/python" ] ||
    die "the sdk/v3 module source was not found in the module cache" "retry \`make pulumi\`"
  install -m 755 "$sdk/python/cmd/pulumi-language-python-exec" "$1/"
  install -m 755 "$sdk/python/dist/pulumi-resource-pulumi-python" "$1/"
}

BUILD_TMP=
build() {
  local tmp start=$SECONDS
  mkdir -p "$CACHE_ROOT/pulumi"
  tmp=$(mktemp -d "$CACHE_ROOT/pulumi/.build-v$PULUMI_VERSION.XXXXXX")
  chmod 755 "$tmp"
  BUILD_TMP=$tmp
  trap '[ -z "$BUILD_TMP" ] || rm -rf "$BUILD_TMP"' EXIT
  go_build "$HERE" "$PULUMI_VERSION" "$tmp/bin" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  go_build "$HERE/langhost" "$LANGHOST_VERSION" "$tmp/bin" \
    github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python
  copy_scripts "$tmp/bin"
  [ "$("$tmp/bin/pulumi" version)" = "v$PULUMI_VERSION" ] ||
    die "the built pulumi does not report v$PULUMI_VERSION" "delete $tmp and retry"
  printf 'pulumi %s\npulumi-language-python %s\nbuilt %s with %s\n' "$PULUMI_VERSION" \
    "$LANGHOST_VERSION" "$(date -u +%FT%TZ)" "$(go env GOVERSION)" >"$tmp/BUILDINFO"
  install_atomically "$tmp"
  log "done in $((SECONDS - start))s: $DEST/bin"
}

# Move the finished build into place; a half-written cache never exists under $DEST.
install_atomically() {
  if [ -e "$DEST" ] && ! complete "$DEST/bin"; then
    mv "$DEST" "$1.stale" && rm -rf "$1.stale"
  fi
  mv -T "$1" "$DEST" 2>/dev/null || complete "$DEST/bin" ||
    die "could not move the build into $DEST" "check permissions on $CACHE_ROOT"
}

main() {
  local exe
  if exe=$(path_pulumi); then
    log "using pulumi on PATH: $exe"
  elif complete "$DEST/bin"; then
    log "using cached build: $DEST/bin"
    exe=$DEST/bin/pulumi
  else
    log "no pulumi v$PULUMI_VERSION found; building it once into $DEST (several minutes cold)"
    check_go
    build
    exe=$DEST/bin/pulumi
  fi
  echo "$exe"
}

main "$@"
