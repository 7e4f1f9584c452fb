#!/usr/bin/env bash
# Entry point on a fresh Debian machine: installs prerequisites, then runs build.ps1 tasks with the
# repo-pinned pwsh. Usage: ./build.sh Test   |   ./build.sh Build Package Bench   |   ./build.sh Package -Runtime all
# Words before the first -Option are tasks; the rest are build.ps1 parameters, passed on quoted.
set -euo pipefail
cd "$(dirname "$0")"
bash build/install-prereqs.sh
export NO_COLOR=1 POWERSHELL_TELEMETRY_OPTOUT=1 POWERSHELL_UPDATECHECK=Off DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
tasks=()
while [ $# -gt 0 ] && [[ "$1" != -* ]]; do tasks+=("$1"); shift; done
[ ${#tasks[@]} -gt 0 ] || tasks=(Test)
params=""
for arg in "$@"; do
  if [[ "$arg" =~ ^-[A-Za-z]+:?$ ]]; then params+=" $arg"; else params+=" '${arg//\'/\'\'}'"; fi
done
exec dotnet pwsh -NoProfile -NonInteractive -Command "& ./build.ps1 -Task $(IFS=,; echo "${tasks[*]}")$params"
