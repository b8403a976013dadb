#!/usr/bin/env bash
# image-pins.sh [--check] - the digests profiles/policy.json pins for the
# demo's probe and MVP images (b4-image-pinned, p23-mvp-image-pinned), from
# the images tests/images.sh builds now. Without --check, rewrites the two
# pins in place; with --check, exits 1 (saying what changed) if they differ.
# A change to the probe, the MVP or the toolchain changes the images: the
# pins say which images the shipped policy accepts.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${KT_BIN:-$top/build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
KT_BIN=$bin bash "$top/tests/images.sh" "$tmp" > "$tmp/digests"
/usr/bin/python3 - "$top/profiles/policy.json" "$tmp/digests" "${1:-}" << 'PY'
import re, sys
path, digests, mode = sys.argv[1], sys.argv[2], sys.argv[3]
want = dict(line.split() for line in open(digests))
text = open(path).read()
ids = {"b4-image-pinned": want["probe"], "p23-mvp-image-pinned": want["mvp"]}
changed = []
for cid, digest in ids.items():
    pat = re.compile(r'("id": "%s", "type": "image_pinned", "run": "\w+", "digest": ")(sha256:[0-9a-f]{64})' % cid)
    m = pat.search(text)
    if not m:
        sys.exit("image-pins: no check %s in %s" % (cid, path))
    if m.group(2) != digest:
        changed.append("%s: pinned %s, built %s" % (cid, m.group(2), digest))
        text = text[:m.start(2)] + digest + text[m.end(2):]
if mode == "--check":
    for c in changed:
        print("image-pins: " + c)
    sys.exit(1 if changed else 0)
open(path, "w").write(text)
print("\n".join(changed) if changed else "image-pins: the pins are up to date")
PY
