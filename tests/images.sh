#!/usr/bin/env bash
# images.sh OUTDIR - the demo's two images, reproducibly: OUTDIR/probe (the
# static kiemthu-probe) and OUTDIR/mvp (the sample MVP with exactly the
# shared objects ldd names), each one uncompressed layer written by
# kt-mkimage with fixed times and canonical JSON. The images hold nothing
# but the binaries (no label, no timestamp, nothing read from the host's
# package database), so the same binaries give the same manifest digests on
# every machine; the binaries are the same from a clean build with the same
# compiler and libraries (gcc, libc6, libcjson1, libnettle8, libseccomp2).
# Prints "probe sha256:..." and "mvp sha256:..." (what --image records).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${KT_BIN:-$top/build}
out=${1:-$top/out/images}
rm -rf "$out/probe" "$out/mvp"
mkdir -p "$out"

# The binaries go in without debug information or build ID, which change
# with every comment and line number of the sources; the code itself does not.
strip_copy() { objcopy --strip-debug --remove-section=.note.gnu.build-id "$1" "$2"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
strip_copy "$bin/kiemthu-probe" "$tmp/kiemthu-probe"
strip_copy "$bin/mvp/kiemthu-sample-inspector" "$tmp/inspector"

probe=$("$bin/tests/kt-mkimage" --out "$out/probe" --tag probe \
    --entrypoint /app/kiemthu-probe --env PATH=/app --dir /usr "$tmp/kiemthu-probe:/app/kiemthu-probe:0755")

# The MVP is dynamically linked (Debian ships cJSON only as a shared
# library): the image holds the binary and the objects the loader maps.
mvp_files=("$tmp/inspector:/app/inspector:0755")
while read -r lib; do
    [ -n "$lib" ] && mvp_files+=("$(readlink -f "$lib"):$lib:0755")
done < <(ldd "$bin/mvp/kiemthu-sample-inspector" | grep -oE '/[^ ]+' | sort -u)
mvp=$("$bin/tests/kt-mkimage" --out "$out/mvp" --tag mvp \
    --entrypoint /app/inspector --cmd /in/fix7-fixture-A-packet.json --cmd /out \
    --env PATH=/app --dir /usr "${mvp_files[@]}")
echo "probe $probe"
echo "mvp $mvp"
