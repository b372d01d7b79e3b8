#!/usr/bin/env bash
# The layer rules of docs/architecture.md, checked over the sources' #includes and, when the build
# folder is given, over what the built binaries link. Exit 1 with every broken rule listed.
#   bash tools/check-layers.sh SOURCE_ROOT [BINARY_DIR]
set -uo pipefail
root="${1:?usage: check-layers.sh SOURCE_ROOT [BINARY_DIR]}"
bin="${2:-}"
broken=0

# forbid DIRS PATTERN WHY: no file under DIRS may have an #include line matching PATTERN.
forbid() {
  local dirs="$1" pattern="$2" why="$3" hits=""
  for d in $dirs; do
    [ -d "$root/$d" ] || continue
    hits+=$(grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($pattern)" "$root/$d" \
              --include='*.h' --include='*.cpp' 2>/dev/null | sed "s|^$root/||")
  done
  if [ -n "$hits" ]; then
    echo "layer rule broken: $why"
    echo "$hits" | sed 's/^/  /'
    broken=1
  fi
}

gui='Q[A-Za-z]+|qt|vtk|ui/'
torch='torch/|ATen/|c10/'
forbid "core" "$gui|sqlite3|storage/|render/" "core has no Qt, VTK or SQL"
forbid "core/common core/io core/cases core/masks core/phantom" "$torch|core/compute/|core/dataset/|core/research/" \
  "the io library (io, cases, masks, phantom) uses neither LibTorch nor the compute or research code"
forbid "core/compute" "itk|gdcm|core/io/|core/cases/|core/phantom/|core/dataset/|core/research/|nlohmann/" \
  "the compute core depends on LibTorch and spdlog only (it builds alone on GPU machines)"
forbid "core/dataset core/research" "$torch" "the research code reaches LibTorch through the compute core's Torch-free headers"
forbid "core/review" "$torch|core/research/|core/compute/(Classifier|ClassifierImpl|CamKernels|Device|Trainer|CamBenchmark)\\.h" \
  "the review core uses no LibTorch and no research code (only the compute core's Torch-free names and formats)"
forbid "core/proposals" "$torch|core/research/|core/dataset/|core/compute/(Classifier|ClassifierImpl|CamKernels|Device|Trainer|Evaluation|CamBenchmark)\\.h" \
  "the proposals use no LibTorch and no research code (only the compute core's Torch-free isProposed)"
forbid "storage" "$gui|$torch|core/dataset/|core/research/|core/compute/(Classifier|ClassifierImpl|CamKernels|Device|Trainer|Evaluation|CamBenchmark)\\.h" \
  "storage uses no Qt, VTK, LibTorch or research code (only the compute core's Torch-free formats)"
forbid "render" "Q[A-Za-z]+|qt|ui/|storage/|sqlite3|$torch|core/compute/|core/dataset/|core/research/" \
  "render owns VTK pipelines and knows nothing of Qt, the store or the compute core"
forbid "core storage render" "ui/" "nothing below ui includes ui"

# Public compute headers never include Torch; only the private implementation headers may.
public_torch=$(grep -lE "^[[:space:]]*#[[:space:]]*include[[:space:]]*<($torch)" "$root"/core/compute/*.h 2>/dev/null |
               grep -vE '/(ClassifierImpl|CamKernels)\.h$' | sed "s|^$root/||")
if [ -n "$public_torch" ]; then
  echo "layer rule broken: public compute headers include Torch:"
  echo "$public_torch" | sed 's/^/  /'
  broken=1
fi

# The link graph: review, proposals, storage, render and their tests link no LibTorch.
if [ -n "$bin" ]; then
  for exe in weaksight_review_tests weaksight_proposals_tests weaksight_bench_proposals weaksight_storage_tests weaksight_render_tests weaksight_bench_store weaksight_store_writer; do
    if [ ! -x "$bin/$exe" ]; then
      echo "note: $bin/$exe not built; its link check skipped"
      continue
    fi
    if ldd "$bin/$exe" | grep -qE 'libtorch|libc10'; then
      echo "layer rule broken: $exe links LibTorch:"
      ldd "$bin/$exe" | grep -E 'libtorch|libc10' | sed 's/^/  /'
      broken=1
    fi
  done
fi

if [ "$broken" -eq 0 ]; then
  echo "layer rules hold"
fi
exit "$broken"
