#!/usr/bin/env bash
# Build tnpu._core with AddressSanitizer + UndefinedBehaviorSanitizer into a separate virtualenv and run the test
# suite but the tests marked slow (or the pytest arguments given) under it. Any sanitizer report fails the run.
#
#   scripts/sanitize.sh                 # whole suite
#   scripts/sanitize.sh tests/test_kernel.py -k order
#
# CPython itself is not instrumented, so the ASan runtime is preloaded; leak detection is off here because the
# interpreter's own allocations would drown it (scripts/leakcheck.sh checks for leaks with valgrind instead).
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${TNPU_SANITIZE_VENV:-build/sanitize-venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet scikit-build-core pybind11 numpy pytest hypothesis
fi
# shellcheck disable=SC1091
. "$venv/bin/activate"
pip install --quiet --no-build-isolation \
  -Ccmake.build-type=RelWithDebInfo \
  -Ccmake.define.TNPU_SANITIZE=address,undefined \
  -Ccmake.define.TNPU_WERROR=ON \
  -Cbuild-dir=build/sanitize \
  ".[test]"
asan_lib="$(g++ -print-file-name=libasan.so)"
ubsan_lib="$(g++ -print-file-name=libubsan.so)"
export LD_PRELOAD="$asan_lib $ubsan_lib"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:strict_init_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export TNPU_SANITIZED=1
python -c "import tnpu._core as c; assert 'address' in c.sanitizers, c.sanitizers; print('sanitized core:', c.sanitizers)"
# Without arguments: the whole suite but the `slow` end-to-end runs (the README's main command, a minute natively,
# would take ten under the sanitizers; its code paths are covered by the accelerator tests at small batches).
if [ "$#" -eq 0 ]; then set -- -m "not slow"; fi
pytest -q -p no:cacheprovider "$@"
