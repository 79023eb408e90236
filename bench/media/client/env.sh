# Sourced by the build: every Go artefact under ~/.cache/convene/go, nothing in the repo.
export GOPATH="${CONVENE_GO_DIR:-$HOME/.cache/convene/go}"
export GOCACHE="$GOPATH/cache"
export GOMODCACHE="$GOPATH/pkg/mod"
export GOFLAGS="-mod=mod -modcacherw"
