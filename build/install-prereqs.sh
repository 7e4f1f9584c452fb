#!/usr/bin/env bash
# Installs what the build and tests need on a fresh Debian machine that has the .NET SDK:
# Debian packages (cloud-init for `cloud-init schema`, openssl, etcd via kube-binaries.sh, kubectl when absent),
# the repo-pinned pwsh (dotnet tool restore) and Pester from NuGet. Idempotent; quick when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
need=()
command -v cloud-init >/dev/null 2>&1 || need+=(cloud-init)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v kubectl >/dev/null 2>&1 || need+=(kubernetes-client)
if [ ${#need[@]} -gt 0 ]; then
  echo "prereqs: installing ${need[*]}" >&2
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

dotnet tool restore >/dev/null
dotnet restore tools/pester/Pester.proj --packages .tools/nuget -v q >/dev/null
