#!/usr/bin/env bash
# Entry point on a fresh Debian machine: installs prerequisites, then runs build.ps1 tasks with the
# repo-pinned pwsh. Usage: ./build.sh Test   |   ./build.sh Build Package Bench
set -euo pipefail
cd "$(dirname "$0")"
bash build/install-prereqs.sh
export NO_COLOR=1 POWERSHELL_TELEMETRY_OPTOUT=1 POWERSHELL_UPDATECHECK=Off DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
tasks=("${@:-Test}")
exec dotnet pwsh -NoProfile -NonInteractive -Command "& ./build.ps1 -Task $(IFS=,; echo "${tasks[*]}")"
