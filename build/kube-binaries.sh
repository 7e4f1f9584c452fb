#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kube-scheduler and kubeadm v1.20.2 from Debian's `kubernetes`
# source package (bookworm) into a cache outside the repository, and installs etcd from Debian.
# Reused when the cache already holds all of them; a cache from an older build that lacks some gets only those built.
#
# Usage: build/kube-binaries.sh            -> prints the cache directory on its last line
# Env:   PACKETCLUSTER_KUBE_CACHE (default: $HOME/.cache/packetcluster/kube-1.20.2)
set -euo pipefail

cache="${PACKETCLUSTER_KUBE_CACHE:-$HOME/.cache/packetcluster/kube-1.20.2}"
bins=(kube-apiserver kube-controller-manager kube-scheduler kubeadm)

missing_bins() { for b in "${bins[@]}"; do [ -x "$cache/$b" ] || echo "$b"; done; }
have_all() { [ -z "$(missing_bins)" ]; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

ensure_packages() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# etcd is needed at run time whether or not the build is cached; etcdctl (etcd-client) for the HA test.
ensure_packages etcd-server etcd-client

if have_all; then
  echo "kube binaries: cached in $cache" >&2
  echo "$cache"
  exit 0
fi

ensure_packages golang-go rsync jq golang-github-modern-go-reflect2-dev dpkg-dev

# The source package comes through the machine's own Debian archive (a mirror or proxy included): the deb-src entry
# copies the URI and keyring of the configured `deb` source for this release, and names no archive of its own.
# kubernetes 1.20.2 is bookworm's source package, so that suite is asked for whatever the machine runs.
machine_deb_source() {
  local codename
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")"
  # deb822 files: the first stanza with Types deb whose Suites name this release.
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v want="$codename" '
      function flush() { if (deb && suite && uri != "") { print uri, (key == "" ? "-" : key); found = 1; exit } deb = suite = 0; uri = key = "" }
      /^[[:space:]]*$/ { flush(); next }
      /^Types:/    { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
      /^URIs:/     { uri = $2 }
      /^Suites:/   { for (i = 2; i <= NF; i++) if ($i == want) suite = 1 }
      /^Signed-By:/ { key = $2 }
      END { if (!found) flush() }' "$f"
  done | head -n 1 | grep . && return 0
  # One-line format: deb [signed-by=KEY ...] URI SUITE COMPONENTS...
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk -v want="$codename" '
    $1 == "deb" { key = "-"; i = 2
      if ($2 ~ /^\[/) { for (; i <= NF; i++) { if ($i ~ /signed-by=/) { key = $i; sub(/.*signed-by=/, "", key); sub(/\]$/, "", key) } if ($i ~ /\]$/) { i++; break } } }
      if ($(i + 1) == want) { print $i, key; exit } }' | grep .
}

if ! apt-cache showsrc kubernetes 2>/dev/null | grep -q '^Version: .*1\.20\.2'; then
  read -r uri keyring < <(machine_deb_source) || { echo "kube binaries: no 'deb' source for this Debian release in /etc/apt; add one (a mirror is fine) and rerun" >&2; exit 1; }
  src_list=/etc/apt/sources.list.d/zz-packetcluster-src.sources
  {
    printf 'Types: deb-src\nURIs: %s\nSuites: bookworm\nComponents: main\n' "$uri"
    [ "$keyring" = - ] || printf 'Signed-By: %s\n' "$keyring"
  } | as_root tee "$src_list" >/dev/null
  echo "kube binaries: added deb-src $uri bookworm (from the machine's deb source) in $src_list" >&2
  as_root apt-get update -qq
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/packetcluster-kube-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$work"
echo "kube binaries: downloading Debian source package kubernetes" >&2
apt-get source --download-only kubernetes >/dev/null 2>&1
tarball="$(ls kubernetes_*.orig.tar.gz | head -n1)"
tar xzf "$tarball"
tree="$work/kubernetes-1.20.2"
[ -d "$tree" ] || { echo "expected kubernetes-1.20.2 in $tarball" >&2; exit 1; }

# The vendored reflect2 1.0.1 crashes on Go >= 1.18 (SIGSEGV on the first CR encode); Debian's 1.0.2 works.
rm -rf "$tree/vendor/github.com/modern-go/reflect2"
cp -r /usr/share/gocode/src/github.com/modern-go/reflect2 "$tree/vendor/github.com/modern-go/reflect2"

export GOPATH="$work/gopath" GOCACHE="$work/gocache" CGO_ENABLED=0 HOME="$work/home"
mkdir -p "$GOPATH/src/k8s.io" "$HOME"
ln -s "$tree" "$GOPATH/src/k8s.io/kubernetes"
cd "$GOPATH/src/k8s.io/kubernetes"
mapfile -t wanted < <(missing_bins)
echo "kube binaries: building ${wanted[*]} (about 9 minutes on 2 cores for all four)" >&2
make WHAT="${wanted[*]/#/cmd/}" >"$work/make.log" 2>&1 &
make_pid=$!
started=$SECONDS
# A line a minute, so a first run shows it is alive; the loop ends with make.
while kill -0 "$make_pid" 2>/dev/null; do
  sleep 5
  if (( (SECONDS - started) % 60 < 5 )) && kill -0 "$make_pid" 2>/dev/null; then
    echo "kube binaries: still building, $(( (SECONDS - started) / 60 )) min so far (last: $(tail -n 1 "$work/make.log" | cut -c1-100))" >&2
  fi
done
wait "$make_pid" || { tail -n 40 "$work/make.log" >&2; exit 1; }

rm -rf "$cache.partial"; mkdir -p "$cache.partial"
for b in "${bins[@]}"; do
  if [ -x "_output/local/bin/linux/amd64/$b" ]; then cp "_output/local/bin/linux/amd64/$b" "$cache.partial/$b"; else cp "$cache/$b" "$cache.partial/$b"; fi
done
rm -rf "$cache"; mv "$cache.partial" "$cache"
echo "kube binaries: built into $cache" >&2
echo "$cache"
