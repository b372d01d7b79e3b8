#!/bin/bash
# Runs the TorchScript fixture tests on what tools/export_torchscript.py wrote into EXPORT_DIR (the
# torchscript_exports CTest fixture: the re-exported fixtures plus a torchvision ResNet-18, plain
# and frozen). Exits 77 (skipped) where nothing was exported (no Debian python3-torch /
# python3-torchvision).
# Usage: check-export-script.sh COMPUTE_TEST_BINARY EXPORT_DIR
set -euo pipefail
tests=$1
exports=$2
if [ ! -f "$exports/tiny_contract.pt" ]; then
  echo "skipped: nothing exported in $exports (see the torchscript_exports test)"
  exit 77
fi
WEAKSIGHT_TORCHSCRIPT_FIXTURES="$exports" "$tests" --gtest_filter='TorchScriptFixture.*'
