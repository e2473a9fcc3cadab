#!/usr/bin/env bash
# Leak check: run small simulations (scripts/leakcheck_workload.py: a DRAM replay, a layer pass through the DRAM
# controller, C++ error paths; the whole-accelerator simulation has a marked place there) under valgrind memcheck, and
# fail on a definite or indirect leak, or a memory error, in tnpu's own code (scripts/leakcheck_report.py).
#
#   scripts/leakcheck.sh               # the installed tnpu (the current virtualenv)
#   scripts/leakcheck.sh --self-test   # also leak 4 KiB on purpose and expect the check to fail
#
# CPython is run with PYTHONMALLOC=malloc so that valgrind sees every block; CPython's and numpy's own blocks kept
# until exit are ignored by stack, known exceptions are in scripts/leakcheck.supp. Needs valgrind (apt-get install
# valgrind). A Release build works; RelWithDebInfo gives file:line in the report.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "leakcheck.sh: valgrind not found (apt-get install valgrind)" >&2; exit 2; }
python -c "import tnpu._core" || { echo "leakcheck.sh: install tnpu first (pip install .)" >&2; exit 2; }
out=build/leakcheck
mkdir -p "$out"
run() {  # $1: xml report, rest: workload arguments
  local xml="$1"
  shift
  PYTHONMALLOC=malloc valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect --num-callers=40 --suppressions=scripts/leakcheck.supp \
    --xml=yes --xml-file="$xml" python scripts/leakcheck_workload.py "$@"
  python scripts/leakcheck_report.py "$xml"
}
if [ "${1:-}" = "--self-test" ]; then
  echo "== self-test: a deliberate leak must be caught =="
  if run "$out/self-test.xml" --leak >"$out/self-test.log" 2>&1; then
    cat "$out/self-test.log" >&2
    echo "leakcheck.sh: the deliberate leak was NOT detected" >&2
    exit 1
  fi
  grep -qE "leakcheck: [1-9][0-9]* leak" "$out/self-test.log" || { cat "$out/self-test.log" >&2; exit 1; }
  echo "   caught (as it should be)"
fi
echo "== leak check =="
run "$out/valgrind.xml"
