#!/bin/bash
# Runs tools/export_torchscript.py the way make-fixtures.sh does, into a temporary folder, and the
# TorchScript fixture tests on what it wrote (plus a torchvision ResNet-18, plain and frozen).
# Exits 77 (skipped) where Debian's python3-torch / python3-torchvision are not installed.
# Usage: check-export-script.sh COMPUTE_TEST_BINARY
set -euo pipefail
tests=$1
python=${WEAKSIGHT_PYTHON:-/usr/bin/python3}
if ! "$python" -c "import torch, torchvision" 2>/dev/null; then
  echo "skipped: $python has no torch/torchvision (apt-get install python3-torch python3-torchvision)"
  exit 77
fi
out=$(mktemp -d /tmp/weaksight-torchscript-XXXXXX)
trap 'rm -rf "$out"' EXIT
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/../fixtures/torchscript/make-fixtures.sh" "$out" --resnet18
WEAKSIGHT_TORCHSCRIPT_FIXTURES="$out" "$tests" --gtest_filter='TorchScriptFixture.*'
