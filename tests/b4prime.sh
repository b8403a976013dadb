#!/usr/bin/env bash
# b4prime.sh [OUTDIR] - the seed's B4' attestation, natively: kiemthu-probe under
# seccomp-deny-by-default.json, then seccomp-startup-safe.json, every attempt
# recorded. Leaves OUTDIR/evidence ready for kiemthu-bundle create (the sandbox
# puts the profiles it used in evidence/profiles/: its --record is evidence/runs/probe).
# Extra arguments after -- go to kiemthu-sandbox (e.g. --exec-once).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${KT_BIN:-$top/build}
out=${1:-$top/out/b4}
shift || true
[ "${1:-}" = "--" ] && shift
extra=("$@")
rm -rf "$out"
mkdir -p "$out/in" "$out/out"
chmod 0777 "$out/out" # the payload runs as uid 65532, as in the seed
cp "$top/fixtures/fix7-fixture-A-packet.json" "$out/in/" 2> /dev/null || echo '{}' > "$out/in/packet.json"

# The probe runs from its image, as in the seed: built reproducibly here
# (tests/images.sh; the policy pins its digest), verified and unpacked into
# a cache of this run's own.
KT_BIN=$bin bash "$top/tests/images.sh" "$out/images" > "$out/images.txt"
probe_args=() # arguments for the probe (the image's Entrypoint)
for a in "${extra[@]}"; do [ "$a" = --exec-once ] && probe_args=(-- --exec-denied); done
set +e
"$bin/kiemthu-sandbox" run "${extra[@]}" \
    --profile "$top/profiles/seccomp-deny-by-default.json" \
    --profile "$top/profiles/seccomp-startup-safe.json" \
    --in "$out/in" --out "$out/out" --record "$out/evidence/runs/probe" \
    --cache "$out/cache" --image "oci:$out/images/probe" "${probe_args[@]}"
rc=$?
set -e

summary() { # the seed's terms, from the records
    local rec=$out/evidence/runs/probe
    for p in seccomp-deny-by-default seccomp-startup-safe; do
        [ -f "$rec/$p/run.json" ] || { echo "  $p: not tried"; continue; }
        if grep -q '"started":true' "$rec/$p/run.json"; then
            local pr; pr=$(grep -o '"passed":[0-9]*' "$rec/$p/stdout" | head -1 | cut -d: -f2)
            local tot; tot=$(grep -o '"total":[0-9]*' "$rec/$p/stdout" | tail -1 | cut -d: -f2)
            echo "  $p: started, ${pr:-0}/${tot:-0} probes pass"
        else
            echo "  $p: not started ($(sed -n 's/.*"outcome":"\([^"]*\)".*/\1/p' "$rec/$p/run.json"))"
        fi
    done
    echo "  canonical = $(sed -n 's/.*"canonical":"\([^"]*\)".*/\1/p' "$rec/ladder.json")"
}
echo "B4' attestation (records in $out/evidence/runs/probe; image $(sed -n 's/^probe //p' "$out/images.txt")):"
summary
exit $rc
