#!/usr/bin/env bash
# Weaksight's CAM engine beside pytorch-grad-cam and TorchCAM on this machine, in one run (issue 19):
# `weaksight_bench_cam` first, then tools/bench_reference_cams.py on the same models, crop and
# device, which prints each library's ms per crop, Weaksight's, and the speed-up over the faster
# library per method (n/a where a library lacks the method).
#
# Needs (exits 77, "skipped", naming what is missing):
#   - the built bench binary: build/bin/weaksight_bench_cam, or $WEAKSIGHT_BENCH_CAM;
#   - a PyTorch with torchvision: Debian's python3-torch / python3-torchvision on the CPU (PyTorch
#     1.13, the same library as the libtorch-dev Weaksight links), any PyTorch on a GPU machine;
#     $WEAKSIGHT_PYTHON picks the interpreter (default /usr/bin/python3);
#   - the two libraries unpacked from fetched snapshots by tools/prepare-reference-cams.sh into the
#     ignored .gpu/ref (or $WEAKSIGHT_REFERENCE_CAMS); never committed.
# Usage: tools/bench-side-by-side.sh [--device cpu|cuda] [--models resnet18,resnet50] [--repeats N]
#                                    [--methods gradcam,scorecam,...]   (Weaksight's method names)
# On the 2-core CI-class CPU, ResNet-18 with every method takes about 6 minutes (the libraries'
# exact Score-CAM is 8 s a call).
set -uo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
device=cpu models=resnet18 repeats=11 methods=""
while [ $# -gt 0 ]; do
  case "$1" in
    --device) device="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    --repeats) repeats="$2"; shift 2 ;;
    --methods) methods="$2"; shift 2 ;;
    *) echo "usage: $0 [--device cpu|cuda] [--models a,b] [--repeats N] [--methods m,n]" >&2; exit 2 ;;
  esac
done
bench="${WEAKSIGHT_BENCH_CAM:-$here/build/bin/weaksight_bench_cam}"
python="${WEAKSIGHT_PYTHON:-/usr/bin/python3}"
references="${WEAKSIGHT_REFERENCE_CAMS:-$here/.gpu/ref}"
[ -x "$bench" ] || { echo "skipped: no bench binary at $bench (build the project first)"; exit 77; }
"$python" -c 'import torch, torchvision' 2>/dev/null \
  || { echo "skipped: $python has no torch/torchvision (apt-get install python3-torch python3-torchvision)"; exit 77; }
for library in pytorch_grad_cam torchcam ttach; do
  [ -d "$references/$library" ] || { echo "skipped: $references/$library is missing (fetch jacobgil/pytorch-grad-cam, frgfm/torch-cam and qubvel/ttach, then run tools/prepare-reference-cams.sh)"; exit 77; }
done
log="$(mktemp /tmp/weaksight-bench-cam.XXXXXX)"
trap 'rm -f "$log"' EXIT
# The bench always prints batched Grad-CAM; it takes engine method names only.
method_args=()
if [ -n "$methods" ]; then
  engine_methods="$(tr ',' '\n' <<< "$methods" | grep -v '^batched gradcam$' | paste -sd, -)"
  [ -n "$engine_methods" ] && method_args=(--methods "$engine_methods")
fi
"$bench" --device "$device" --models "$models" --repeats "$repeats" --no-reduced-precision "${method_args[@]}" | tee "$log" \
  || { echo "weaksight_bench_cam failed"; exit 1; }
echo
reference_methods=()
[ -n "$methods" ] && reference_methods=(--methods "$methods")
PYTHONPATH="$references${PYTHONPATH:+:$PYTHONPATH}" "$python" "$here/tools/bench_reference_cams.py" --device "$device" \
  --models "$models" --repeats "$repeats" --weaksight-log "$log" "${reference_methods[@]}"
