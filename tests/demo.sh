#!/usr/bin/env bash
# make demo: the seed's pipeline, natively and offline, on the shipped fixtures,
# ending in kiemthu-verify's PASS. Everything lands in out/demo/ (git-ignored).
#   1. capability guard over the sample MVP (a violation stops here, exit 3)
#   2. the MVP's acceptance tests, in the sandbox: JUnit XML out through /out
#   3. B4': kiemthu-probe, from its reproducible image (tests/images.sh), under
#      the strict, then the startup-safe profile
#   4. the MVP, from its image, under the canonical profile on the FIX7 packet
#      -> report triplet
# Nothing the project under test supplies (its tests, its program) runs on the
# host: only in the sandbox, and each attempt's /out lands in its own record.
#   5. kiemthu-bundle create: demo key made now, SOURCE_DATE_EPOCH of the commit,
#      the shipped policy
#   6. kiemthu-verify with the demo public key
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${KT_BIN:-$top/build}
out=${KT_DEMO_OUT:-$top/out/demo}
ev=$out/evidence
strict=$top/profiles/seccomp-deny-by-default.json
safe=$top/profiles/seccomp-startup-safe.json
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$top" log -1 --format=%ct 2> /dev/null || echo 0)}
step() { printf '\n== %s\n' "$*"; }

step "3. B4': probes under the strict, then the startup-safe profile (first, it lays out $out)"
KT_BIN=$bin bash "$top/tests/b4prime.sh" "$out" | tail -4

step "1. capability guard over the sample MVP"
mkdir -p "$ev/guard" "$ev/in"
if ! "$bin/kiemthu-guard" "$bin/mvp/kiemthu-sample-inspector" --source "$top/fixtures/mvp/src" \
    -o "$ev/guard/guard.json" > /dev/null; then
    echo "the capability guard found a violation:"; cat "$ev/guard/guard.json"; exit 3
fi
echo "guard: pass, $(grep -o '"symbols_checked":[0-9]*' "$ev/guard/guard.json" | cut -d: -f2) imported symbols checked"

step "2. the MVP's acceptance tests (cmocka, JUnit XML), in the sandbox"
mkdir -p "$out/tests-in/fixtures"
cp "$top/fixtures/fix7-fixture-A-packet.json" "$out/tests-in/fixtures/"
set +e
"$bin/kiemthu-sandbox" run -p "$strict" -p "$safe" --in "$out/tests-in" --chdir /in \
    --out "$out/tests-out" --record "$ev/runs/tests" \
    --env CMOCKA_MESSAGE_OUTPUT=xml --env CMOCKA_XML_FILE=/out/junit.xml \
    --ro-bind "$bin/mvp/test_inspector:/app/test_inspector" -- /app/test_inspector > /dev/null
tests_rc=$?
set -e
tests_canonical=$(sed -n 's/.*"canonical":"\([^"]*\)".*/\1/p' "$ev/runs/tests/ladder.json")
echo "tests: exit $tests_rc under $tests_canonical; $(grep -o 'tests="[0-9]*" failures="[0-9]*" errors="[0-9]*"' "$ev/runs/tests/$tests_canonical/out/junit.xml")"

step "4. the MVP in the sandbox on fixtures/fix7-fixture-A-packet.json"
cp "$top/fixtures/fix7-fixture-A-packet.json" "$out/in/"
set +e
"$bin/kiemthu-sandbox" run -p "$strict" -p "$safe" --in "$out/in" --out "$out/mvp-out" \
    --record "$ev/runs/mvp" --cache "$out/cache" --image "oci:$out/images/mvp"
mvp_rc=$?
set -e
canonical=$(sed -n 's/.*"canonical":"\([^"]*\)".*/\1/p' "$ev/runs/mvp/ladder.json")
cp "$out/in/fix7-fixture-A-packet.json" "$ev/in/"
echo "mvp: exit $mvp_rc under $canonical; $(cat "$ev/runs/mvp/$canonical/out/report.json")"
commit=$(git -C "$top" rev-parse HEAD 2> /dev/null || echo unknown)
# Where it ran, from the CI's variables (ci, run id, ...); the commit from git,
# and outside CI a run id of our own, as the shipped policy asks for both.
venue=(--set commit="$commit")
[ "${GITHUB_ACTIONS:-}" = true ] || venue+=(--set run_id="local-$SOURCE_DATE_EPOCH")
"$bin/kiemthu-bundle" venue -o "$ev/venue.json" "${venue[@]}" > /dev/null

if [ -n "${KT_DEMO_NO_SIGN:-}" ]; then
    echo "evidence: $ev (signing is left to a separate job: KT_DEMO_NO_SIGN)"
    exit 0
fi

step "5. bundle: a demo key made now (never a committed key), the shipped policy"
"$bin/kiemthu-bundle" keygen -o "$out/demo" > /dev/null
set +e
"$bin/kiemthu-bundle" create --evidence "$ev" --key "$out/demo.key" --policy "$top/profiles/policy.json" \
    -o "$out/bundle.tar" > "$out/create.txt"
create_rc=$?
set -e
tail -1 "$out/create.txt"

step "6. kiemthu-verify, offline, with the demo public key pinned"
set +e
"$bin/kiemthu-verify" "$out/bundle.tar" --key "$out/demo.pub" | tee "$out/verify.txt"
verify_rc=${PIPESTATUS[0]}
set -e

step "result, in the seed's terms"
rec=$ev/runs/probe
probes=$(grep -o '"passed":[0-9]*' "$rec/seccomp-startup-safe/stdout" | head -1 | cut -d: -f2)/$(grep -o '"total":[0-9]*' "$rec/seccomp-startup-safe/stdout" | tail -1 | cut -d: -f2)
echo "strict: $(grep -q '"started":false' "$rec/seccomp-deny-by-default/run.json" && echo 'not started (execve denied)' || echo started)"
echo "startup-safe: started, $probes probes pass; canonical = $(sed -n 's/.*"canonical":"\([^"]*\)".*/\1/p' "$rec/ladder.json")"
echo "images: $(tr '\n' ' ' < "$out/images.txt")(reproducible: tests/images.sh; pinned by the policy)"
echo "checks: $(sed -n 's/^  checks:  //p' "$out/verify.txt")"
echo "bundle: $out/bundle.tar, $(stat -c %s "$out/bundle.tar") bytes, sha256 $(sha256sum < "$out/bundle.tar" | cut -d' ' -f1)"
[ "$create_rc" -eq 0 ] && [ "$verify_rc" -eq 0 ] && echo "verdict: PASS" || { echo "verdict: FAIL (create $create_rc, verify $verify_rc)"; exit 1; }
