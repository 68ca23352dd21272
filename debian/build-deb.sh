#!/usr/bin/env bash
# Builds dosecab_VERSION_ARCH.deb around release binaries already built (make deb; docs/packaging.md).
# Usage: debian/build-deb.sh [--out DIR] [--version-suffix SUFFIX] BIN_DIR CHECKOUTS_DIR
#   BIN_DIR        holds dosecabd and dosecabctl from `make release` (static Swift runtime)
#   CHECKOUTS_DIR  the release build's .build/checkouts (swift-argument-parser's sources)
#   --out DIR      stage the build in DIR and leave the .deb files there, not in the top
#                  folder (the system tests build their packages in their run folder)
#   --version-suffix SUFFIX   package version debian/changelog's + SUFFIX (e.g. +systest1):
#                  a changelog entry is added to the staging copy only, never to debian/. The
#                  system tests use it for an upgrade to a higher version of the same programs;
#                  SUFFIX must start with + or ~ so that the programs' --version still matches.
# Runs dpkg-buildpackage in a staging copy, .build-deb/dosecab-VERSION, because it writes its
# results into the parent folder and its debhelper state into debian/: neither belongs in the
# working tree. Puts the .deb (and the -dbgsym .deb) into the top folder. DEB_BUILD_OPTIONS
# and DPKG_DEB_COMPRESSOR_TYPE pass through to dpkg-buildpackage (the system tests build with
# noddebs, and gzip: a package for a throwaway guest).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/.build-deb" copy_up=1 suffix=""
while (($#)); do
    case "$1" in
        --out) mkdir -p "${2:?--out needs a folder}"; out="$(cd "$2" && pwd)"; copy_up=0; shift 2 ;;
        --version-suffix) suffix="${2:?--version-suffix needs a suffix}"; shift 2 ;;
        -*) echo "build-deb: unknown option $1" >&2; exit 64 ;;
        *) break ;;
    esac
done
(($# == 2)) || { echo "usage: debian/build-deb.sh [--out DIR] [--version-suffix SUFFIX] BIN_DIR CHECKOUTS_DIR" >&2; exit 64; }
[[ -z "$suffix" || "$suffix" =~ ^[+~][A-Za-z0-9.+~]+$ ]] || {
    echo "build-deb: --version-suffix must start with + or ~ and hold only A-Z a-z 0-9 . + ~ (got '$suffix')" >&2; exit 64; }
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

base_version="$version"
version="$version$suffix"
stage="$out/dosecab-$version"
# The manual generator is built once per argument-parser version, wherever the package goes.
tools="$root/.build-deb/tools"
rm -rf "$stage" "$out"/dosecab_"$version"_* "$out"/dosecab-dbgsym_"$version"_*
mkdir -p "$stage/bin" "$stage/gen" "$tools"
cp -a debian systemd docs hardware README.md "$stage/"
cp "$bin/dosecabd" "$bin/dosecabctl" "$stage/bin/"
if [[ -n "$suffix" ]]; then
    # A new entry on top of the staging copy's changelog, with the maintainer and date of the
    # entry below it (so the manual pages' date does not change).
    { printf 'dosecab (%s) %s; urgency=medium\n\n' "$version" "$(dpkg-parsechangelog -S Distribution)"
      printf '  * Rebuild of %s with the version suffix %s (debian/build-deb.sh\n' "$base_version" "$suffix"
      printf '    --version-suffix): the same programs, a higher package version.\n\n'
      printf ' -- %s  %s\n\n' "$(dpkg-parsechangelog -S Maintainer)" "$(dpkg-parsechangelog -S Date)"
      cat debian/changelog; } > "$stage/debian/changelog"
    [[ "$(dpkg-parsechangelog -l "$stage/debian/changelog" -S Version)" == "$version" ]] || {
        echo "build-deb: the staging changelog does not say version $version" >&2; exit 1; }
fi

# Manual pages: swift-argument-parser's own manual generator (the tool its GenerateManual
# plugin runs), run on the very binaries being packaged. Not through the plugin: that would
# build the whole package a second time, without --static-swift-stdlib, into the release
# folder. The tool is built once from the resolved checkout, in a copy, so the checkout stays
# untouched.
tool="$tools/argparser-build/debug/generate-manual"
rev="$(git -C "$checkouts/swift-argument-parser" rev-parse HEAD 2>/dev/null || echo unknown)"
if [[ ! -x "$tool" || "$(cat "$tools/argparser.rev" 2>/dev/null)" != "$rev" ]]; then
    rm -rf "$tools/argparser-src" "$tools/argparser-build"
    cp -a "$checkouts/swift-argument-parser" "$tools/argparser-src"
    swift build --package-path "$tools/argparser-src" --scratch-path "$tools/argparser-build" \
        --product generate-manual
    echo "$rev" > "$tools/argparser.rev"
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
if ((copy_up)); then
    cp "$out/$deb" "$root/$deb"
    cp "$out"/dosecab-dbgsym_"${version}"_"${arch}".*deb "$root/" 2>/dev/null || true
    echo "build-deb: wrote $deb ($(du -h "$root/$deb" | cut -f1))"
else
    # The staging copy (two unstripped binaries, about 220 MB) is of no use in a test's run folder.
    rm -rf "$stage"
    echo "build-deb: wrote $out/$deb ($(du -h "$out/$deb" | cut -f1))"
fi
