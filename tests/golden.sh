#!/usr/bin/env bash
# tests/golden.sh [--update]: make the golden bundles from committed inputs
# (fixtures/sample-evidence with fixtures/golden/policy.json, and a folder of
# file names that need the encoding and pax path records), signed with the
# committed test key at a fixed SOURCE_DATE_EPOCH, and compare them with the
# committed bytes in fixtures/golden/ (cmp). Ed25519 is deterministic, so the
# bytes change only if the format, the manifest or a check's wording does:
# that is what this catches, which two runs of the same build cannot.
# --update rewrites the committed bytes (do it only for a deliberate change,
# and say so in docs/FORMAT.md). Prints one TAP line per bundle.
set -u
: "${KT_BIN:?KT_BIN must point at the build directory}"
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$src/fixtures/keys/test-ed25519.key" "$work/k.key" && chmod 600 "$work/k.key"

names=$work/names
mkdir -p "$names/out/sub dir"
printf 'spaced\n' > "$names/out/a b"
printf 'percent\n' > "$names/out/100%"
printf 'utf-8\n' > "$names/out/r$(printf '\303\251')sum$(printf '\303\251')"
printf 'long\n' > "$names/out/$(printf 'x%.0s' $(seq 1 150))"
printf 'pax\n' > "$names/out/$(for _ in $(seq 1 80); do printf '\341\272\241'; done)"
printf '{"deep": true}\n' > "$names/out/sub dir/deep.json"

rc=0
golden() { # golden NAME EVIDENCE [create options]
    local name=$1 ev=$2; shift 2
    local want=$src/fixtures/golden/$name.tar got=$work/$name.tar
    env -u GITHUB_ACTIONS SOURCE_DATE_EPOCH=1718000000 "$KT_BIN/kiemthu-bundle" create -q -e "$ev" \
        -k "$work/k.key" -o "$got" "$@" > /dev/null || { echo "not ok - golden $name: create failed"; rc=1; return; }
    if [ "${UPDATE:-}" = 1 ]; then
        cp "$got" "$want" && echo "ok - golden $name: wrote $want ($(stat -c %s "$want") bytes)"
    elif cmp -s "$got" "$want"; then
        echo "ok - golden $name: create reproduces the committed $(stat -c %s "$want") bytes ($(sha256sum < "$want" | cut -c1-16)...)"
    else
        echo "not ok - golden $name: the bytes differ from fixtures/golden/$name.tar ($(cmp "$got" "$want" 2>&1 | head -1));"
        echo "#   if the format, the manifest or a reason's wording changed on purpose: make golden, commit, note it in docs/FORMAT.md"
        rc=1
    fi
}
# A member over 64 MiB (bundle format 3: its subject carries the chain values
# of its SHA-256, docs/FORMAT.md section 3). 72 MiB + 3 bytes of AES-128-CTR
# keystream under an all-zero key: the same bytes everywhere, and too many to
# commit, so what is committed is the manifest and the bundle's sha256.
golden_large() {
    local ev=$work/large want=$src/fixtures/golden/large got=$work/large.tar
    mkdir -p "$ev"
    openssl enc -aes-128-ctr -K 00000000000000000000000000000000 -iv 00000000000000000000000000000000 \
        -nosalt -in /dev/zero 2> /dev/null | head -c $((72 * 1048576 + 3)) > "$ev/keystream.bin"
    [ "$(sha256sum < "$ev/keystream.bin" | cut -c1-64)" = 85200a889c565605400eb118368cd0530390af3ae6018c69c2f42c4e1abf3e8b ] ||
        { echo "not ok - golden large: openssl's AES-128-CTR keystream is not the one expected"; rc=1; return; }
    env -u GITHUB_ACTIONS SOURCE_DATE_EPOCH=1718000000 "$KT_BIN/kiemthu-bundle" create -q -e "$ev" \
        -k "$work/k.key" -o "$got" > /dev/null || { echo "not ok - golden large: create failed"; rc=1; return; }
    tar -xOf "$got" manifest.json > "$work/large.manifest.json"
    sha256sum < "$got" | cut -c1-64 > "$work/large.tar.sha256"
    if [ "${UPDATE:-}" = 1 ]; then
        cp "$work/large.manifest.json" "$want.manifest.json" && cp "$work/large.tar.sha256" "$want.tar.sha256" &&
            echo "ok - golden large: wrote $want.manifest.json and $want.tar.sha256"
    elif cmp -s "$work/large.manifest.json" "$want.manifest.json" && cmp -s "$work/large.tar.sha256" "$want.tar.sha256"; then
        echo "ok - golden large: create reproduces the committed manifest (9 chain values) and the bundle's sha256 ($(cut -c1-16 "$want.tar.sha256")...)"
    else
        echo "not ok - golden large: the manifest or the bundle differs from fixtures/golden/large.*"
        echo "#   if the format changed on purpose: make golden, commit, note it in docs/FORMAT.md"
        rc=1
    fi
}
[ "${1:-}" = --update ] && UPDATE=1
golden sample "$src/fixtures/sample-evidence" --policy "$src/fixtures/golden/policy.json"
golden names "$names"
golden_large
exit $rc
