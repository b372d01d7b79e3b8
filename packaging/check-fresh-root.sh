#!/bin/bash
# Installs the Debian package into a fresh Debian 12 root (debootstrap, minbase) and runs it there:
# `weaksight --version`, `phantom`, `case-info`, and the workstation under Xvfb (`bench gui` on a
# small case), so the package's dependencies are proven on a machine that never saw the build.
# Not part of the test command (it downloads the dependencies, ~0.5 GB, and takes minutes); run it
# by hand as root:  bash packaging/check-fresh-root.sh BUILD_DIR [ROOT_DIR]
# The mirror is the first one in this machine's apt sources; packages already in this machine's
# apt cache are hard-linked into the new root's cache instead of being downloaded again.
set -euo pipefail
build=$(cd "$1" && pwd)
root=${2:-/tmp/weaksight-fresh-root}
[ "$(id -u)" -eq 0 ] || { echo "run as root (debootstrap, chroot)"; exit 2; }
command -v debootstrap > /dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap; }

mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
[ -n "$mirror" ] || { echo "no Debian mirror found in this machine's apt sources"; exit 2; }

out=$(mktemp -d /tmp/weaksight-deb-XXXXXX)
trap 'umount "$root/proc" 2>/dev/null || true; rm -rf "$out"' EXIT
(cd "$build" && cpack -G DEB -B "$out" > "$out/cpack.log" 2>&1) || { cat "$out/cpack.log"; exit 1; }
deb=$(ls "$out"/weaksight_*.deb)

start=$(date +%s)
if [ ! -x "$root/usr/bin/apt-get" ]; then
  echo "== debootstrap (minbase, bookworm) into $root"
  debootstrap --variant=minbase bookworm "$root" "$mirror" > "$out/debootstrap.log" 2>&1 ||
    { tail -30 "$out/debootstrap.log"; exit 1; }
fi
# The same archives as this machine (incl. security updates), listed once.
if cp /etc/apt/sources.list.d/*.sources "$root/etc/apt/sources.list.d/" 2>/dev/null; then
  rm -f "$root/etc/apt/sources.list"
fi
cp -al /var/cache/apt/archives/*.deb "$root/var/cache/apt/archives/" 2>/dev/null || true
mount -t proc proc "$root/proc" 2>/dev/null || echo "(no /proc in the root: mount not permitted here)"
cp "$deb" "$root/tmp/"
echo "== apt-get install ./$(basename "$deb") xvfb xauth (dependencies from the archive)"
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  "/tmp/$(basename "$deb")" xvfb xauth > "$out/install.log" 2>&1 || { tail -40 "$out/install.log"; exit 1; }
echo "installed in $(( $(date +%s) - start )) s; root: $(du -shx "$root" 2>/dev/null | cut -f1)"

run() { echo "\$ $*"; chroot "$root" env HOME=/root XDG_RUNTIME_DIR=/tmp "$@"; }
run weaksight --version
run weaksight phantom --out /tmp/ph --cases 1 --seed 3
run weaksight case-info /tmp/ph/case_00000 | head -8
run xvfb-run -a -s "-screen 0 1280x1024x24" env LIBGL_ALWAYS_SOFTWARE=1 weaksight bench gui --size 600 --repeats 5 --skip-resnet50 2>&1 | grep -v "^\[" | tail -15
echo "fresh-root check passed"
