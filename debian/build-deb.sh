#!/usr/bin/env bash
# Builds dosecab_VERSION_ARCH.deb around release binaries already built (make deb; docs/packaging.md).
# Usage: debian/build-deb.sh BIN_DIR CHECKOUTS_DIR
#   BIN_DIR        holds dosecabd and dosecabctl from `make release` (static Swift runtime)
#   CHECKOUTS_DIR  the release build's .build/checkouts (swift-argument-parser's sources)
# Runs dpkg-buildpackage in a staging copy, .build-deb/dosecab-VERSION, because it writes its
# results into the parent folder and its debhelper state into debian/: neither belongs in the
# working tree. Puts the .deb (and the -dbgsym .deb) into the top folder.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$(cd "$1" && pwd)"
checkouts="$(cd "$2" && pwd)"
cd "$root"

version="$(dpkg-parsechangelog -S Version)"
arch="$(dpkg-architecture -qDEB_HOST_ARCH)"
for b in dosecabd dosecabctl; do
    # The package's version is the programs' own: a changelog entry that was not bumped with
    # them (or binaries from another checkout) stops here, not at a clinic.
    got="$("$bin/$b" --version)"
    [[ "$got" == "${version%%[-+~]*}" ]] || {
        echo "build-deb: $bin/$b --version says $got, debian/changelog says $version" >&2; exit 1; }
done

out="$root/.build-deb"
stage="$out/dosecab-$version"
rm -rf "$stage" "$out"/dosecab_* "$out"/dosecab-dbgsym_*
mkdir -p "$stage/bin" "$stage/gen" "$out/tools"
cp -a debian systemd docs hardware README.md "$stage/"
cp "$bin/dosecabd" "$bin/dosecabctl" "$stage/bin/"

# Manual pages: swift-argument-parser's own manual generator (the tool its GenerateManual
# plugin runs), run on the very binaries being packaged. Not through the plugin: that would
# build the whole package a second time, without --static-swift-stdlib, into the release
# folder. The tool is built once from the resolved checkout, in a copy, so the checkout stays
# untouched.
tool="$out/tools/argparser-build/debug/generate-manual"
rev="$(git -C "$checkouts/swift-argument-parser" rev-parse HEAD 2>/dev/null || echo unknown)"
if [[ ! -x "$tool" || "$(cat "$out/tools/argparser.rev" 2>/dev/null)" != "$rev" ]]; then
    rm -rf "$out/tools/argparser-src" "$out/tools/argparser-build"
    cp -a "$checkouts/swift-argument-parser" "$out/tools/argparser-src"
    swift build --package-path "$out/tools/argparser-src" --scratch-path "$out/tools/argparser-build" \
        --product generate-manual
    echo "$rev" > "$out/tools/argparser.rev"
fi
date="$(date -u -d "$(dpkg-parsechangelog -S Date)" +%Y-%m-%d)"
"$tool" "$stage/bin/dosecabd" --section 8 --date "$date" --output-directory "$stage/gen"
"$tool" "$stage/bin/dosecabctl" --section 1 --date "$date" --output-directory "$stage/gen"
# What --help cannot say (files, environment, exit codes, security, see also), in mdoc like
# the rest, replacing the generator's generic EXIT STATUS section (always its last).
for page in dosecabd.8 dosecabctl.1; do
    grep -q '^\.Sh "EXIT STATUS"$' "$stage/gen/$page" || {
        echo "build-deb: generate-manual wrote no EXIT STATUS section into $page" >&2; exit 1; }
    { sed '/^\.Sh "EXIT STATUS"$/,$d' "$stage/gen/$page"; cat "docs/man/$page.tail"; } > "$stage/gen/$page.new"
    mv "$stage/gen/$page.new" "$stage/gen/$page"
done

# bash-completion sources its files, so the generator's "#!/bin/bash" line goes (lintian:
# bash-completion-with-hashbang).
"$stage/bin/dosecabctl" --generate-completion-script bash | sed '1{/^#!/d}' > "$stage/gen/dosecabctl.bash"
"$stage/bin/dosecabctl" --generate-completion-script zsh > "$stage/gen/_dosecabctl"
"$stage/bin/dosecabctl" --generate-completion-script fish > "$stage/gen/dosecabctl.fish"

(cd "$stage" && dpkg-buildpackage --build=binary --no-sign)

deb="dosecab_${version}_${arch}.deb"
cp "$out/$deb" "$root/$deb"
cp "$out"/dosecab-dbgsym_"${version}"_"${arch}".*deb "$root/" 2>/dev/null || true
echo "build-deb: wrote $deb ($(du -h "$root/$deb" | cut -f1))"
