#!/usr/bin/env bash
# Puts pytorch-grad-cam, TorchCAM and ttach (pytorch-grad-cam's one dependency that the GPU machine
# lacks) into .gpu/ref for tools/bench_reference_cams.py, from git snapshots of their public
# repositories. .gpu/ is ignored: their code is carried to the device machine, never committed.
#   bash tools/prepare-reference-cams.sh GRADCAM_GIT_DIR TORCHCAM_GIT_DIR TTACH_GIT_DIR
# (bare git directories of jacobgil/pytorch-grad-cam, frgfm/torch-cam and qubvel/ttach).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 3 ] || { sed -n 2,6p "$0"; exit 2; }
out=.gpu/ref
rm -rf "$out" && mkdir -p "$out"
git --git-dir="$1" archive HEAD pytorch_grad_cam | tar -x -C "$out"
git --git-dir="$2" archive HEAD torchcam | tar -x -C "$out"
git --git-dir="$3" archive HEAD ttach | tar -x -C "$out"
# TorchCAM reads its own version from the installed metadata: give the unpacked copy some.
version="$(git --git-dir="$2" show HEAD:pyproject.toml | sed -n 's/^version = "\(.*\)"/\1/p' | head -1)"
mkdir -p "$out/torchcam-$version.dist-info"
printf 'Metadata-Version: 2.1\nName: torchcam\nVersion: %s\n' "$version" > "$out/torchcam-$version.dist-info/METADATA"
{
  for d in "$1" "$2" "$3"; do echo "$(git --git-dir="$d" log -1 --format='%H %cs') $d"; done
} > "$out/SOURCES.txt"
cat "$out/SOURCES.txt"
