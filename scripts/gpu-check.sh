#!/usr/bin/env bash
# gpu-check.sh — runs the CUDA tests and the CUDA benchmarks on a GPU machine that has no Node and no
# node_modules, through the folder ../shared/tools/gpu-pack prepares (.gpu/: a node binary, the built
# addon, dist/). Results go to $OUT (default ./gpu-results): one log per step.
#
# On the dev machine (CUDA toolkit present, no GPU needed):
#   npm run build:native && npx tsc -p tsconfig.json
#   ../shared/tools/gpu-pack node_modules/pngjs node_modules/cli-progress node_modules/is-fullwidth-code-point
# (the runtime dependencies dist/lib loads; ~1 MB), and carry .gpu/ along (the device tool: carry ['.gpu']),
# then, on the GPU machine, from the repository root (with .gpu/ carried along):
#   bash scripts/gpu-check.sh            # tests + benchmarks
#   bash scripts/gpu-check.sh --quick    # tests + a shorter benchmark
# The test files require('tap'); where node_modules is absent, scripts/gpu/node_path/tap (a minimal
# TAP runner) stands in for it, and .gpu/node_modules supplies the runtime dependencies.
# Exit status: 0 when every test passed.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
OUT=${OUT:-$root/gpu-results}
mkdir -p "$OUT"
if [ ! -f .gpu/boot.sh ]; then
  echo "gpu-check: .gpu/boot.sh is missing: run ../shared/tools/gpu-pack on the dev machine first" >&2
  exit 2
fi
quick=""
[ "${1:-}" = "--quick" ] && quick="--quick"
export TENSORDIFF_NUM_THREADS=${TENSORDIFF_NUM_THREADS:-4}
[ -d node_modules/tap ] || export NODE_PATH="$root/scripts/gpu/node_path:$root/.gpu/node_modules"
run() { bash .gpu/boot.sh "$@"; }

echo "== addon and device" | tee "$OUT/info.log"
run node -e "const td=require('./dist/lib/index.js'); console.log(JSON.stringify(td.backend.info(), null, 1))" 2>&1 | tee -a "$OUT/info.log"
(ldd build/Release/tensordiff.node || true) 2>&1 | tee -a "$OUT/info.log"
if ldd build/Release/tensordiff.node 2>/dev/null | grep -Eq 'libcuda\.so|libcudart\.so|libcublas'; then
  echo "gpu-check: FAIL: the addon links a shared CUDA library" | tee -a "$OUT/info.log"
fi

status=0
for f in dist/test/cuda/*.test.js dist/test/device.test.js; do
  name=$(basename "$f" .js)
  echo "== $f" | tee "$OUT/$name.log"
  if ! run node "$f" 2>&1 | tee -a "$OUT/$name.log"; then status=1; fi
  grep -q '^not ok' "$OUT/$name.log" && status=1
done

echo "== bench" | tee "$OUT/bench.log"
run node dist/bench/cuda.js $quick 2>&1 | tee -a "$OUT/bench.log"

echo "gpu-check: tests $([ $status = 0 ] && echo passed || echo FAILED); logs in $OUT"
exit $status
