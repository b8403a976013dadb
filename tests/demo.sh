#!/usr/bin/env bash
# make demo: the main job on the shipped fixtures, ending in kiemthu-verify's PASS.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${KT_BIN:-$top/build}
out=$top/out/demo
rm -rf "$out"
mkdir -p "$out"
export SOURCE_DATE_EPOCH=$(git -C "$top" log -1 --format=%ct 2> /dev/null || echo 0)

echo "== 1. a demo signing key, made on the spot (never a committed key)"
"$bin/kiemthu-bundle" keygen -o "$out/demo"

echo "== 2. bundle the sample evidence (fixtures/sample-evidence)"
"$bin/kiemthu-bundle" create --evidence "$top/fixtures/sample-evidence" --key "$out/demo.key" \
    -o "$out/bundle.tar"

echo "== 3. verify offline with the pinned public key"
"$bin/kiemthu-verify" "$out/bundle.tar" --key "$out/demo.pub"

echo "== 4. and by hand, without kiemthu (GNU tar, sha256sum, openssl)"
sh "$top/verify/kiemthu-verify-by-hand.sh" "$out/bundle.tar" "$out/demo.pub"

echo
echo "bundle: $out/bundle.tar, $(stat -c %s "$out/bundle.tar") bytes, sha256 $(sha256sum < "$out/bundle.tar" | cut -d' ' -f1)"
