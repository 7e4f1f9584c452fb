#!/usr/bin/env bash
# The manager image's root folder: Debian's libc6, libgcc-s1, libstdc++6, libssl3 and ca-certificates for the target
# architecture, unpacked with dpkg-deb, the non-root user 65532 and the self-contained manager in /app.
# Used by build/manager-image.sh (umoci, no Docker) and by src/PacketCluster.Manager/Dockerfile; see the former for why.
#
# Usage: build/manager-rootfs.sh <arch: amd64|arm64> <self-contained publish folder> <root folder to create>
set -euo pipefail
arch="$1"; publish="$2"; root="$3"
case "$arch" in amd64|arm64) ;; *) echo "manager root: unsupported architecture '$arch' (amd64 or arm64)" >&2; exit 2 ;; esac
[ -x "$publish/PacketCluster.Manager" ] || { echo "manager root: no self-contained PacketCluster.Manager in $publish" >&2; exit 1; }
for tool in dpkg-deb apt-get; do command -v "$tool" >/dev/null || { echo "manager root: '$tool' is missing" >&2; exit 1; }; done
mkdir -p "$root"
# The non-root user of distroless images; the Deployment runs with runAsNonRoot.
uid=65532
packages=(libc6 libgcc-s1 libstdc++6 libssl3 ca-certificates)

cache="${PACKETCLUSTER_IMAGE_CACHE:-$HOME/.cache/packetcluster/image-debs}/$arch"
mkdir -p "$cache/lists/partial" "$cache/archives/partial" "$cache/debs"
: > "$cache/status"
apt_opts=(-o "APT::Architecture=$arch" -o "APT::Architectures::=$arch" -o "Dir::State::Lists=$cache/lists"
          -o "Dir::State::status=$cache/status" -o "Dir::Cache=$cache" -o "Dir::Cache::archives=$cache/archives"
          -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root" -qq)
have_debs() { for p in "${packages[@]}"; do compgen -G "$cache/debs/${p}_*.deb" >/dev/null || return 1; done; }
if ! have_debs; then
  echo "manager root: fetching ${packages[*]} for $arch from the machine's apt sources" >&2
  apt-get "${apt_opts[@]}" update
  (cd "$cache/debs" && apt-get "${apt_opts[@]}" download "${packages[@]}")
fi

for p in "${packages[@]}"; do
  deb="$(ls "$cache/debs/${p}"_*.deb | sort -V | tail -n 1)"
  dpkg-deb -x "$deb" "$root"
done
# Documentation, manuals, locales and maintainer leftovers have no use in the image.
rm -rf "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/lintian" "$root/usr/share/locale" "$root/usr/share/gcc" \
       "$root/usr/share/gdb" "$root/usr/sbin" "$root/usr/bin" "$root/sbin" "$root/etc/ld.so.conf.d" "$root/usr/lib/ssl/misc" \
       "$root/usr/libexec" "$root/usr/lib/"*/gconv "$root/usr/lib/"*/audit "$root/etc/init.d"
# The CA bundle update-ca-certificates would write at install time.
mkdir -p "$root/etc/ssl/certs"
find "$root/usr/share/ca-certificates" -name '*.crt' -print0 | sort -z | xargs -0 cat > "$root/etc/ssl/certs/ca-certificates.crt"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%s:%s:nonroot:/home/nonroot:/sbin/nologin\n' "$uid" "$uid" > "$root/etc/passwd"
printf 'root:x:0:\nnonroot:x:%s:\n' "$uid" > "$root/etc/group"
printf 'hosts: files dns\n' > "$root/etc/nsswitch.conf"
mkdir -p "$root/tmp" "$root/home/nonroot" "$root/app"
chmod 1777 "$root/tmp"
# Only the executable: no .pdb, no build folders, no configuration that could hold a secret.
cp "$publish/PacketCluster.Manager" "$root/app/PacketCluster.Manager"
chmod 0755 "$root/app/PacketCluster.Manager"
if [ "$(id -u)" = 0 ]; then chown -R 0:0 "$root" && chown "$uid:$uid" "$root/home/nonroot"; fi
