#!/usr/bin/env bash
# One-command set-up for a fresh Debian 12 machine (run as root, or with sudo available).
#   bash packaging/setup.sh demo   install what is missing, build, open the workstation on the demo
#   bash packaging/setup.sh test   install what is missing, build, run the whole test suite
#   bash packaging/setup.sh build  install what is missing and build only
# The binary lands in build/bin/weaksight (WEAKSIGHT_BUILD_DIR overrides the folder).
set -euo pipefail

mode="${1:-build}"
case "$mode" in demo|test|build) ;; *)
  echo "usage: bash packaging/setup.sh demo|test|build" >&2; exit 2 ;;
esac

cd "$(dirname "$0")/.."
root="$(pwd)"
build_dir="${WEAKSIGHT_BUILD_DIR:-$root/build}"
jobs="$(nproc)"

bash packaging/install-deps.sh

start=$(date +%s)
# Release (-O3, no debug info) keeps the 2-core build short; ccache (found by CMake) makes rebuilds cheap.
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${WEAKSIGHT_BUILD_TYPE:-Release}" >/dev/null
cmake --build "$build_dir" -j"$jobs"
echo "weaksight: built in $(( $(date +%s) - start )) s -> $build_dir/bin/weaksight"

case "$mode" in
  demo)
    if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
      echo "weaksight: no display found. On a headless machine run: xvfb-run -a $build_dir/bin/weaksight gui --demo" >&2
      exit 1
    fi
    exec "$build_dir/bin/weaksight" gui --demo
    ;;
  test)
    cd "$build_dir"
    # The gui test starts its own X server through xvfb-run; benchmarks (label bench) are not tests.
    ctest --output-on-failure -j"$jobs" -LE bench --timeout 900
    # Fuzz targets (clang, libFuzzer, ASan + UBSan): each reader of untrusted input for 30 s.
    bash "$root/tests/fuzz/run.sh" "${WEAKSIGHT_FUZZ_SECONDS:-30}"
    ;;
esac
