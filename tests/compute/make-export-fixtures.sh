#!/bin/bash
# CTest fixture set-up (torchscript_exports): runs tools/export_torchscript.py the way
# make-fixtures.sh does, plus a torchvision ResNet-18 (plain and frozen, 45 MB each: not committed),
# into OUT_DIR, for the tests that require the fixture. Where Debian's python3-torch /
# python3-torchvision are missing it writes nothing and says so; the tests then skip themselves.
# Usage: make-export-fixtures.sh OUT_DIR
set -euo pipefail
out=$1
python=${WEAKSIGHT_PYTHON:-/usr/bin/python3}
rm -rf "$out"
if ! "$python" -c "import torch, torchvision" 2>/dev/null; then
  echo "no exports: $python has no torch/torchvision (apt-get install python3-torch python3-torchvision)"
  exit 0
fi
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/../fixtures/torchscript/make-fixtures.sh" "$out" --resnet18
