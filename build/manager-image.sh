#!/usr/bin/env bash
# Builds the manager's OCI image (what provider-components.yaml deploys as ghcr.io/packetcluster/manager:<version>)
# without Docker and without pulling a base image: a root made of Debian's own packages plus the self-contained
# manager, packed by umoci and written as an OCI archive by skopeo.
#
# Usage: build/manager-image.sh <version> <arch: amd64|arm64> <self-contained publish folder> <out.tar> [revision]
# The root comes from build/manager-rootfs.sh, which the Dockerfile runs too, so both build the same image.
#
# Why this root: the self-contained, single-file manager needs only the C and C++ runtimes (libc6, libgcc-s1,
# libstdc++6), OpenSSL for TLS to the Packet API and the kube-apiserver (libssl3) and the CA bundle (ca-certificates);
# globalization is invariant, so no ICU. Those five .debs, unpacked with dpkg-deb, make a "distroless" root: no shell,
# no package manager, nothing to patch but what Debian already ships security fixes for. debootstrap would add about
# 200 MB of base system the manager never runs. The .debs come through the machine's own apt sources (a mirror or
# proxy works), fetched for the target architecture with a private apt state, so the machine's configuration is not
# changed; they are cached in ~/.cache/packetcluster/image-debs/<arch>.
set -euo pipefail

version="$1"; arch="$2"; publish="$3"; out="$4"; revision="${5:-unknown}"
case "$arch" in amd64|arm64) ;; *) echo "manager image: unsupported architecture '$arch' (amd64 or arm64)" >&2; exit 2 ;; esac
[ -x "$publish/PacketCluster.Manager" ] || { echo "manager image: no self-contained PacketCluster.Manager in $publish" >&2; exit 1; }
for tool in umoci skopeo; do command -v "$tool" >/dev/null || { echo "manager image: '$tool' is missing (build/install-prereqs.sh installs it)" >&2; exit 1; }; done

uid=65532
work="$(mktemp -d "${TMPDIR:-/tmp}/packetcluster-image.XXXXXX")"
trap 'rm -rf "$work"' EXIT
root="$work/root"
bash "$(dirname "$0")/manager-rootfs.sh" "$arch" "$publish" "$root"
# Fixed times, so the same inputs give the same layer.
created="$(git -C "$(dirname "$0")/.." log -1 --format=%cI 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)"
find "$root" -exec touch -h -d "$created" {} +

layout="$work/layout"
tag="$version"
umoci init --layout "$layout"
umoci new --image "$layout:$tag"
umoci insert --image "$layout:$tag" --history.created "$created" --history.created_by "build/manager-image.sh" "$root" /
config=(--config.entrypoint /app/PacketCluster.Manager --config.workingdir /app --config.user "$uid:$uid"
        --config.env PATH=/app --config.env MALLOC_ARENA_MAX=2 --config.env DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
        --config.env HOME=/home/nonroot --config.exposedports 9440/tcp --config.stopsignal SIGTERM
        --architecture "$arch" --os linux --created "$created" --author "PacketCluster contributors"
        --config.label "org.opencontainers.image.title=packetcluster-manager"
        --config.label "org.opencontainers.image.description=The PacketCluster manager: Cluster API reconcilers for Packet (Equinix Metal) that keep a pivoted cluster"
        --config.label "org.opencontainers.image.version=$version"
        --config.label "org.opencontainers.image.revision=$revision"
        --config.label "org.opencontainers.image.created=$created"
        --config.label "org.opencontainers.image.licenses=Apache-2.0"
        --config.label "org.opencontainers.image.source=https://github.com/packetcluster/packetcluster"
        --config.label "org.opencontainers.image.vendor=PacketCluster contributors")
umoci config --image "$layout:$tag" --no-history "${config[@]}"
umoci gc --layout "$layout"
mkdir -p "$(dirname "$out")"
rm -f "$out"
skopeo copy --quiet "oci:$layout:$tag" "oci-archive:$out:ghcr.io/packetcluster/manager:$version"
echo "manager image: $out ($(du -h "$out" | cut -f1), linux/$arch)" >&2
