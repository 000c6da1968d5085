#!/usr/bin/env bash
# Runs a benchmark: `bench.sh links`, `bench.sh chat` or `bench.sh all`, with options
# after it (`--help`). Builds the server first (the benchmarks run the build, as an
# operator would; `--no-build` skips that, to repeat a run), and raises the open-files soft limit to the hard limit, since the
# chat benchmark opens over ten thousand sockets on each side.
set -euo pipefail
cd "$(dirname "$0")/../.."

export BENCH_NOFILE_BEFORE="$(ulimit -Sn)"
hard="$(ulimit -Hn)"
if [ "$hard" = unlimited ]; then hard=1048576; fi
if ! ulimit -Sn "$hard" 2>/dev/null; then
  echo "bench: could not raise the open-files soft limit to $hard" >&2
fi
echo "bench: open-files soft limit $(ulimit -Sn) (was $BENCH_NOFILE_BEFORE, hard limit $(ulimit -Hn))"

build=yes
args=()
for arg in "$@"; do
  if [ "$arg" = --no-build ]; then build=no; else args+=("$arg"); fi
done
if [ "$build" = yes ]; then
  echo "bench: building the server (tsc -b packages/server)"
  npx tsc -b packages/server
else
  echo "bench: --no-build: running the server as last built"
fi

exec node --conditions=@switchboard/source --import tsx bench/main.ts "${args[@]}"
