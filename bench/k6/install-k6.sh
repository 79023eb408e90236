#!/usr/bin/env bash
# Installs the k6 load-testing tool for the Convene benches.
# k6 is built from source with the Go toolchain; everything Go writes (module
# cache, build cache, binary) goes under ~/.cache/convene/go so nothing lands in the repo.
# Idempotent: does nothing when a working k6 is already reachable.
set -euo pipefail

GO_ROOT_DIR="${CONVENE_GO_DIR:-$HOME/.cache/convene/go}"
export GOPATH="$GO_ROOT_DIR"
export GOBIN="$GO_ROOT_DIR/bin"
export GOCACHE="$GO_ROOT_DIR/cache"
export GOMODCACHE="$GO_ROOT_DIR/pkg/mod"
export GOFLAGS="${GOFLAGS:-} -modcacherw"
K6_VERSION="${K6_VERSION:-latest}"

if command -v k6 >/dev/null 2>&1 && k6 version >/dev/null 2>&1; then
  echo "k6 already installed: $(command -v k6) ($(k6 version | head -n1))"
  exit 0
fi
if [ -x "$GOBIN/k6" ] && "$GOBIN/k6" version >/dev/null 2>&1; then
  echo "k6 already installed: $GOBIN/k6 ($("$GOBIN/k6" version | head -n1))"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "install-k6: the Go toolchain is required (go not found on PATH)" >&2
  exit 1
fi

mkdir -p "$GOBIN" "$GOCACHE" "$GOMODCACHE"
echo "install-k6: building go.k6.io/k6@$K6_VERSION with $(go version) into $GOBIN (this takes several minutes)"
# Keep compile parallelism modest: the bench machine is shared.
nice -n 10 go install -p "${K6_BUILD_JOBS:-2}" "go.k6.io/k6@$K6_VERSION"
"$GOBIN/k6" version
echo "install-k6: done; run.mjs finds k6 at $GOBIN/k6 (or add $GOBIN to PATH)"
