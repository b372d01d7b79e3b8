#!/bin/bash
# Builds the Debian package with CPack and checks it: the files a desktop install needs, the
# dependencies dpkg-shlibdeps derived (Qt, VTK, ITK, LibTorch, SQLite), the man page covering every
# subcommand, the desktop entry and AppStream metainfo well-formed.
# Usage: check-deb.sh BUILD_DIR WEAKSIGHT_BINARY
set -euo pipefail
build=$1
binary=$2
out=$(mktemp -d /tmp/weaksight-deb-XXXXXX)
trap 'rm -rf "$out"' EXIT
(cd "$build" && cpack -G DEB -B "$out" > "$out/cpack.log" 2>&1) || { cat "$out/cpack.log"; exit 1; }
deb=$(ls "$out"/weaksight_*.deb)
echo "package: $(basename "$deb") ($(du -h "$deb" | cut -f1))"
fail=0
contents=$(dpkg-deb -c "$deb")
for path in ./usr/bin/weaksight ./usr/share/applications/weaksight.desktop \
            ./usr/share/icons/hicolor/scalable/apps/weaksight.svg \
            ./usr/share/icons/hicolor/48x48/apps/weaksight.png ./usr/share/icons/hicolor/256x256/apps/weaksight.png \
            ./usr/share/metainfo/org.weaksight.Weaksight.metainfo.xml ./usr/share/man/man1/weaksight.1.gz \
            ./usr/share/doc/weaksight/README.md; do
  grep -q " $path\$" <<<"$contents" || { echo "missing in the package: $path"; fail=1; }
done
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for lib in libqt6widgets6 libqt6charts6 libvtk9.1 libinsighttoolkit5 libtorch libsqlite3 qt6-qpa-plugins libgl1-mesa-dri \
           qt6-translations-l10n fonts-dejavu-core; do
  grep -q "$lib" <<<"$depends" || { echo "dependency missing: $lib"; fail=1; }
done
# The man page names every subcommand the binary has.
dpkg-deb -x "$deb" "$out/root"
man=$(zcat "$out/root/usr/share/man/man1/weaksight.1.gz" | sed "s/\\\\-/-/g")
for sub in $("$binary" --help | sed -n '/^Subcommands:/,$p' | awk 'NR > 1 && NF { print $1 }'); do
  grep -q "^\.B $sub\b" <<<"$man" || { echo "man page lacks the subcommand: $sub"; fail=1; }
done
# The PNG icons are real PNGs of their size.
for size in 16 48 256; do
  file=$out/root/usr/share/icons/hicolor/${size}x${size}/apps/weaksight.png
  [ "$(head -c 8 "$file" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || { echo "not a PNG: $file"; fail=1; }
  width=$(od -An -tu1 -j16 -N4 "$file" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
  [ "$width" = "$size" ] || { echo "$file is $width pixels wide, not $size"; fail=1; }
done
meta=$out/root/usr/share/metainfo/org.weaksight.Weaksight.metainfo.xml
grep -q '<id>org.weaksight.Weaksight</id>' "$meta" || { echo "metainfo id"; fail=1; }
grep -q '<launchable type="desktop-id">weaksight.desktop</launchable>' "$meta" || { echo "metainfo launchable"; fail=1; }
grep -q "<release version=\"$("$binary" --version | awk 'NR == 1 { print $2 }')\"" "$meta" || { echo "metainfo release version"; fail=1; }
grep -q '^Exec=weaksight gui %f$' "$out/root/usr/share/applications/weaksight.desktop" || { echo "desktop Exec line"; fail=1; }
if command -v desktop-file-validate > /dev/null; then
  desktop-file-validate "$out/root/usr/share/applications/weaksight.desktop" || fail=1
fi
# The packaged binary runs (its libraries resolve on this Debian 12 system).
"$out/root/usr/bin/weaksight" --version || fail=1
# Debian policy (lintian is in packaging/install-deps.sh): no errors or warnings.
if command -v lintian > /dev/null; then
  lintian --fail-on error,warning --tag-display-limit 0 "$deb" 2> >(grep -v "root privileges" >&2) || { echo "lintian complained"; fail=1; }
else
  echo "lintian not installed: policy check skipped"
fi
# apt would resolve its dependencies from the Debian archive (where apt's package lists exist).
if compgen -G "/var/lib/apt/lists/*_Packages*" > /dev/null; then
  apt-get install --simulate -qq "$deb" > "$out/apt.log" 2>&1 || { cat "$out/apt.log"; echo "apt cannot install it"; fail=1; }
else
  echo "no apt package lists here: install simulation skipped"
fi
exit $fail
