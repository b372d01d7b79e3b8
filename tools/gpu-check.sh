#!/usr/bin/env bash
# The prepared device check: builds the compute core alone (no Qt/VTK/ITK/SQLite) against the
# machine's own LibTorch (PyTorch's), runs its tests with CUDA present (CpuAndCudaAgree incl.
# float16 Score-CAM, the CUDA free-memory batch size, the TorchScript fixtures), the CAM benchmark
# (incl. batched Grad-CAM and float16 Score-CAM with its error) and the training benchmark on the
# GPU. Results go to $OUT (or /tmp/weaksight-gpu). About 6-8 minutes on an H200 machine.
#
# Before the device call, here:  mkdir -p .gpu && cp -r /usr/src/googletest .gpu/  (once; .gpu/ is
# ignored) and run with carry [".gpu"]:  bash tools/gpu-check.sh
set -uo pipefail
out="${OUT:-/tmp/weaksight-gpu}"
mkdir -p "$out"
python="$(command -v python3)"
prefix="$("$python" -c 'import torch;print(torch.utils.cmake_prefix_path)')"
{ nvidia-smi; "$python" -c 'import torch;print("torch", torch.__version__, "cuda", torch.version.cuda)'; } > "$out/machine.txt" 2>&1
cmake -S . -B build-gpu -G Ninja -DWEAKSIGHT_COMPUTE_ONLY=ON -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$prefix" -DWEAKSIGHT_GTEST_SOURCE_DIR="$PWD/.gpu/googletest" \
      > "$out/configure.log" 2>&1 || { tail -40 "$out/configure.log"; exit 1; }
cmake --build build-gpu -j"$(nproc)" > "$out/build.log" 2>&1 || { grep -B2 -A12 "error" "$out/build.log" | head -80; exit 1; }
WEAKSIGHT_PYTHON="$python" timeout 240 ctest --test-dir build-gpu --output-on-failure -j4 -LE bench 2>&1 | tee "$out/tests.log" | tail -25
timeout 180 build-gpu/bin/weaksight_bench_cam --device cuda --models resnet18,resnet50 --repeats 20 2>&1 | tee "$out/bench-cuda.log"
timeout 120 build-gpu/bin/weaksight_bench_train --device cuda --models tiny,resnet18,resnet50 --batch 60 --repeats 5 2>&1 | tee "$out/bench-train-cuda.log"
