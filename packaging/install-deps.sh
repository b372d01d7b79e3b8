#!/usr/bin/env bash
# Installs the Debian 12 packages Weaksight needs to build, test and run.
# Idempotent and non-interactive; only calls apt-get when something is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  qt6-base-dev qt6-base-dev-tools qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools
  libqt6opengl6-dev qt6-svg-dev qt6-charts-dev libgl-dev
  libvtk9-dev libinsighttoolkit5-dev libgdcm-dev libdcmtk-dev
  libtorch-dev libopenblas0-pthread
  libspdlog-dev libfmt-dev libsqlite3-dev zlib1g-dev libssl-dev
  libcli11-dev nlohmann-json3-dev libgtest-dev libgmock-dev
  xvfb xauth libgl1-mesa-dri qt6-translations-l10n fonts-dejavu-core
  lintian
  clang libclang-rt-14-dev
  python3-torch python3-torchvision python3-pydicom
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "weaksight: installing ${#missing[@]} missing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "weaksight: all Debian packages present"
fi
