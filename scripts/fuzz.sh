#!/usr/bin/env bash
# Coverage-guided fuzzing of the C++ parsers with libFuzzer (clang, AddressSanitizer + UndefinedBehaviorSanitizer).
#
#   scripts/fuzz.sh            # every harness for 60 s
#   scripts/fuzz.sh 20         # every harness for 20 s (what CI runs)
#   scripts/fuzz.sh 3600 fuzz_dram_trace   # one harness for an hour (the documented long run)
#
# Harnesses are in fuzz/ (see fuzz/README.md); their seed corpora are generated from traces/ by fuzz/make_corpus.py
# into build/fuzz/seeds, and what libFuzzer finds is kept in build/fuzz/corpus/<harness> between runs. A crash, a
# sanitizer report, an uncaught exception, a timeout (a hang) or an out-of-memory fails the script; the reproducer
# is written to build/fuzz/artifacts/.
# Needs clang and libFuzzer: on Debian/Ubuntu `apt-get install clang libclang-rt-14-dev` (or a newer pair).
set -euo pipefail
cd "$(dirname "$0")/.."
budget="${1:-60}"
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(fuzz_dram_trace fuzz_task_graph)
clangxx="${CXX_FUZZ:-$(command -v clang++ || true)}"
if [ -z "$clangxx" ]; then
  echo "fuzz.sh: clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2
  exit 2
fi
build=build/fuzz
cmake -S fuzz -B "$build/cmake" -G Ninja -DCMAKE_CXX_COMPILER="$clangxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build/cmake" --parallel "${CMAKE_BUILD_PARALLEL_LEVEL:-2}" --target "${harnesses[@]}"
python3 fuzz/make_corpus.py "$build/seeds" >/dev/null
mkdir -p "$build/artifacts"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
status=0
for h in "${harnesses[@]}"; do
  corpus="$build/corpus/$h"
  mkdir -p "$corpus"
  echo "== $h: ${budget} s =="
  # -timeout: one input taking over 10 s is a hang; -rss_limit_mb: a parser must stream, not hoard memory.
  if ! "$build/cmake/$h" "$corpus" "$build/seeds/$h" -max_total_time="$budget" -timeout=10 -rss_limit_mb=1024 \
      -max_len=16384 -print_final_stats=1 -artifact_prefix="$build/artifacts/$h-" 2>"$build/$h.log"; then
    tail -n 60 "$build/$h.log" >&2
    echo "fuzz.sh: $h FAILED (reproducer in $build/artifacts/; rerun: $build/cmake/$h ARTIFACT)" >&2
    status=1
  else
    grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)" "$build/$h.log" || true
    echo "   corpus: $(find "$corpus" -type f | wc -l) inputs"
  fi
done
exit "$status"
