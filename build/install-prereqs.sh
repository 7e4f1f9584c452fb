#!/usr/bin/env bash
# Installs what the build and tests need on a fresh Debian machine that has the .NET SDK:
# Debian packages (cloud-init for `cloud-init schema`, openssl, procps and python3 for the Pester tests, umoci,
# skopeo and runc for the manager's image, etcd via kube-binaries.sh, kubectl when absent),
# the repo-pinned pwsh (dotnet tool restore) and Pester from NuGet. Idempotent; quick when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
need=()
command -v cloud-init >/dev/null 2>&1 || need+=(cloud-init)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v kubectl >/dev/null 2>&1 || need+=(kubernetes-client)
# The Pester tests find processes with pgrep and drive a terminal with a small Python pty script.
command -v pgrep >/dev/null 2>&1 || need+=(procps)
command -v python3 >/dev/null 2>&1 || need+=(python3)
# The manager's image (build.ps1 Image): umoci packs it, skopeo writes and reads the OCI archive, runc runs it in a test.
command -v umoci >/dev/null 2>&1 || need+=(umoci)
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
command -v runc >/dev/null 2>&1 || need+=(runc)
if [ ${#need[@]} -gt 0 ]; then
  echo "prereqs: installing ${need[*]}" >&2
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

dotnet tool restore >/dev/null
dotnet restore tools/pester/Pester.proj --packages .tools/nuget -v q >/dev/null
