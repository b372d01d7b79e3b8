#!/usr/bin/env bash
# Builds the fuzz targets with clang (libFuzzer, ASan, UBSan) and runs each for a bounded time.
#   bash tests/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]    (default 30 s, every target)
# Seeds: the project's own writers, plus the real files in ../shared/data when that folder exists.
# The inputs in tests/fuzz/regressions/<target>/ (crashes found before, fixed) run first, every time.
# Exit status non-zero if any target crashes, leaks, hangs (> 10 s on one input) or runs out of
# memory; the inputs that did are kept in $build/artifacts/<target>/ (replay: fuzz_<target> FILE).
set -euo pipefail
seconds="${1:-30}"
shift || true
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${WEAKSIGHT_FUZZ_BUILD_DIR:-$root/build-fuzz}"
targets=("$@")
((${#targets[@]})) || targets=(volume_header mask_codec coco_rle crop_dataset cam_cache store_blobs)

# Quiet when it works; the build's own messages when it does not (a reader source added to the
# project but not to tests/fuzz/CMakeLists.txt fails to link here).
mkdir -p "$build"
if ! { cmake -S "$here" -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ &&
  cmake --build "$build" -j"$(nproc)"; } >"$build/build.log" 2>&1; then
  echo "fuzz targets: the build failed ($build/build.log):"
  grep -E 'error|undefined reference' "$build/build.log" | head -20
  exit 1
fi

rm -rf "$build/seeds"
data=()
[ -d "$root/../shared/data" ] && data=("$root/../shared/data")
"$build/weaksight_fuzz_seeds" "$build/seeds" "${data[@]}" | head -1

# The harnesses' scratch folders go here, and are removed with the last run.
export TMPDIR="$build/tmp"
rm -rf "$TMPDIR" && mkdir -p "$TMPDIR"
export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1"
run_target() {
  local target="$1" seconds="$2" build="$3" here="$4"
  local corpus="$build/corpus/$target" artifacts="$build/artifacts/$target" log="$build/logs/$target.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  local options=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/")
  if compgen -G "$here/regressions/$target/*" >/dev/null && ! "$build/fuzz_$target" "${options[@]}" \
      "$here/regressions/$target"/* >"$log" 2>&1; then
    echo "fuzz_$target: a regression input fails again (see $log)"
    return 1
  fi
  if ! "$build/fuzz_$target" "${options[@]}" -max_total_time="$seconds" "$corpus" "$build/seeds/$target" \
      >"$log" 2>&1; then
    echo "fuzz_$target: FAILED after $(grep -o 'number_of_executed_units: [0-9]*' "$log" | cut -d' ' -f2) runs:"
    grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -5
    return 1
  fi
  printf 'fuzz_%-14s %4s s  %9s runs  %5s corpus inputs  0 crashes\n' "$target" "$seconds" \
    "$(grep -o 'number_of_executed_units: [0-9]*' "$log" | cut -d' ' -f2)" "$(ls "$corpus" | wc -l)"
}
export -f run_target
status=0
printf '%s\n' "${targets[@]}" | xargs -P "$(nproc)" -I{} bash -c 'run_target "$@"' _ {} "$seconds" "$build" "$here" ||
  status=$?
rm -rf "$TMPDIR"
exit "$status"
