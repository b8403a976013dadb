#!/usr/bin/env bash
# Fetch Debian's source of the installed libcjson-dev (the same version, its
# security patches applied by dpkg-source) into third_party/cjson, so that
# kiemthu-sandbox can be linked static-pie: Debian ships no libcjson.a, and a
# static sandbox starts ~0.4 ms sooner (no dynamic loader, no libc.so; see
# README, Performance). Without it the Makefile links the sandbox dynamically,
# exactly as before; nothing else changes.
#
# apt checks the downloaded files against the hashes of the signed Sources
# index, as it checks every package it installs. The deb-src lines are the
# system's own deb lines with the type changed, in a private apt state under a
# temporary directory: /etc/apt is not touched.
#
# --optional: a failure (no network, no deb-src for this distribution) is a
# notice and exit 0, for make deps; without it, exit 1 (CI).
set -euo pipefail
cd "$(dirname "$0")/.."

optional=0
[ "${1:-}" = --optional ] && optional=1
fail() {
    echo "cjson-src: $*" >&2
    if [ $optional -eq 1 ]; then
        echo "cjson-src: kiemthu-sandbox stays dynamically linked (slower start, same behaviour)" >&2
        exit 0
    fi
    exit 1
}

dest=third_party/cjson
ver=$(dpkg-query -W -f='${source:Version}' libcjson-dev 2> /dev/null) || fail "libcjson-dev is not installed"
src=$(dpkg-query -W -f='${source:Package}' libcjson-dev)
if [ -f $dest/DEBIAN_VERSION ] && [ "$(cat $dest/DEBIAN_VERSION)" = "$ver" ] && [ -f $dest/cJSON.c ]; then
    exit 0
fi
command -v dpkg-source > /dev/null || fail "dpkg-source missing (apt-get install dpkg-dev)"
[ "$(id -u)" -eq 0 ] || fail "run as root (apt-get source with a private state directory)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/parts" "$tmp/lists/partial" "$tmp/archives/partial" "$tmp/cache" "$tmp/src-dl"
# apt's downloaders run as _apt, as for any install: it owns what they write
id _apt > /dev/null 2>&1 && chown -R _apt:root "$tmp/lists" "$tmp/archives" "$tmp/src-dl"
# deb822 files: "Types: deb" -> "Types: deb-src"; one-line files: "deb " -> "deb-src "
for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && sed -E 's/^Types:.*/Types: deb-src/' "$f" > "$tmp/parts/$(basename "$f")"
done
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] && sed -nE 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" >> "$tmp/parts/system.list"
done
apt=(apt-get -q -o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$tmp/parts"
    -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache=$tmp/cache" -o "Dir::Cache::Archives=$tmp/archives")
"${apt[@]}" update > "$tmp/log" 2>&1 || fail "apt-get update (deb-src): $(tail -n 3 "$tmp/log")"
(cd "$tmp/src-dl" && "${apt[@]}" source --download-only "$src=$ver") > "$tmp/log" 2>&1 ||
    fail "apt-get source $src=$ver: $(tail -n 3 "$tmp/log")"
dsc=$(ls "$tmp"/src-dl/*.dsc)
# apt verified every file against the signed index; dpkg-source verifies them
# against the .dsc and applies the Debian patches (the CVE fixes among them)
dpkg-source -q -x "$dsc" "$tmp/src" > "$tmp/log" 2>&1 || fail "dpkg-source -x: $(tail -n 3 "$tmp/log")"
[ -f "$tmp/src/cJSON.c" ] && [ -f "$tmp/src/cJSON.h" ] || fail "$dsc: no cJSON.c / cJSON.h"
# the header must be the one the build includes (libcjson-dev's)
cmp -s "$tmp/src/cJSON.h" /usr/include/cjson/cJSON.h || fail "cJSON.h of $src $ver differs from /usr/include/cjson/cJSON.h"
mkdir -p third_party
rm -rf "$dest.new"
mkdir "$dest.new"
cp "$tmp/src/cJSON.c" "$tmp/src/cJSON.h" "$tmp/src/LICENSE" "$dest.new/"
echo "$ver" > "$dest.new/DEBIAN_VERSION"
rm -rf "$dest"
mv "$dest.new" "$dest"
echo "cjson-src: $src $ver in $dest (kiemthu-sandbox links it statically)"
