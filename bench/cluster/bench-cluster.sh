#!/usr/bin/env bash
# `npm run bench:cluster`: builds the server (the nodes run the build; `--no-build` skips
# it), raises the open-files soft limit to the hard limit (a thousand sockets on each side
# of the balancer), and runs bench/cluster/main.ts with the options given.
set -euo pipefail
cd "$(dirname "$0")/../.."

export BENCH_NOFILE_BEFORE="$(ulimit -Sn)"
hard="$(ulimit -Hn)"
if [ "$hard" = unlimited ]; then hard=1048576; fi
ulimit -Sn "$hard" 2>/dev/null || echo "bench:cluster: could not raise the open-files soft limit to $hard" >&2

args=()
build=yes
for arg in "$@"; do
  if [ "$arg" = --no-build ]; then build=no; else args+=("$arg"); fi
done
if [ "$build" = yes ]; then
  echo "bench:cluster: building the server (tsc -b packages/server)"
  npx tsc -b packages/server
fi
exec node --conditions=@switchboard/source --import tsx bench/cluster/main.ts "${args[@]}"
