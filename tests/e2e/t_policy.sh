# Adjudication: a policy evaluated at create time and re-derived by verify,
# on evidence produced by real kiemthu-sandbox runs.
SANDBOX=$KT_BIN/kiemthu-sandbox
STRICT=$KT_SRC/profiles/seccomp-deny-by-default.json
SAFE=$KT_SRC/profiles/seccomp-startup-safe.json
PKEY=$(seckey pol.key test-ed25519.key)
PPUB=$FIXKEYS/test-ed25519.pub

# make_pipeline_evidence DIR MVP_EXIT: B4'-like and MVP-like runs, guard, tests, venue
make_pipeline_evidence() {
    local E=$1 mvp_exit=$2
    mkdir -p "$E/profiles" "$E/guard" "$E/tests" "$E/runs"
    cp "$STRICT" "$SAFE" "$E/profiles/"
    echo '{"ci":"local","run_id":"42","commit":"0123abc"}' > "$E/venue.json"
    echo '{"pass":true,"violations":[],"symbols_checked":12}' > "$E/guard/guard.json"
    cp "$KT_SRC/tests/fixtures/junit/pytest-pass.xml" "$E/tests/junit.xml"
    # a probe stand-in that prints a 20-probe report (kiemthu-probe replaces it)
    local report='{"probes":['
    for i in $(seq 1 20); do report="$report{\"id\":\"p$i\",\"expect\":1,\"observed\":1,\"pass\":true}"; [ "$i" -lt 20 ] && report="$report,"; done
    report="$report],\"passed\":20,\"total\":20}"
    "$SANDBOX" run -p "$STRICT" -p "$SAFE" --record "$E/runs/probe" -- /bin/sh -c "echo '$report'" 2> /dev/null
    local OUT; OUT=$(newdir); chmod 777 "$OUT"
    "$SANDBOX" run -p "$STRICT" -p "$SAFE" --out "$OUT" --record "$E/runs/mvp" -- /bin/sh -c \
        "echo '{\"verdict\":\"PASS\"}' > /out/report.json; echo '# FIX7 report' > /out/report.md;
         cd /out && sha256sum report.json report.md > report.sha256; exit $mvp_exit" 2> /dev/null
    cp -r "$OUT" "$E/runs/mvp/seccomp-startup-safe/out"
}

if ! is_root && ! unshare -U true 2> /dev/null; then
    skip "policy end-to-end tests (need the sandbox: root or user namespaces)"
else
    GOOD=$(newdir); make_pipeline_evidence "$GOOD" 0
    expect_msg 0 'verdict: PASS \(17/17 checks pass\)' "create with the shipped policy: PASS, exit 0" \
        "$BUNDLE" create -e "$GOOD" -k "$PKEY" -p "$KT_SRC/profiles/policy.json" -o "$T/pass.tar"
    expect_msg 0 'checks:  17/17 pass' "verify re-derives 17/17 from the raw evidence" "$VERIFY" "$T/pass.tar" --key "$PPUB"
    grep -q "policy:  seed-pipeline-b4prime-phase2-3, sha256 $(sha256sum < "$KT_SRC/profiles/policy.json" | cut -d' ' -f1) (the bundle's own)" "$T/out" &&
        ok "verify prints the policy's sha256 and that it is the bundle's" || not_ok "verify prints the policy's sha256 and that it is the bundle's"
    tar -xOf "$T/pass.tar" evidence/policy.json | cmp -s - "$KT_SRC/profiles/policy.json" &&
        ok "the policy is bundled as evidence/policy.json" || not_ok "the policy is bundled as evidence/policy.json"
    expect_msg 0 'checks:  17/17 pass' "re-adjudication from stdin (members kept as they stream)" sh -c "'$VERIFY' - --key '$PPUB' < '$T/pass.tar'"
    expect_msg 0 '"checks":\[\{"description"' "verify --format json carries the checks" "$VERIFY" "$T/pass.tar" --key "$PPUB" --format json
    expect_msg 0 '^\| `b4-canonical` \| pass \|' "verify --format markdown gives a table for GITHUB_STEP_SUMMARY" \
        "$VERIFY" "$T/pass.tar" --key "$PPUB" --format markdown

    # The MVP exits 1: the bundle is still made and signed; verify says FAIL (1) and names the check.
    BADRUN=$(newdir); make_pipeline_evidence "$BADRUN" 1
    expect_msg 1 'verdict: FAIL \(16/17' "create on a failing run: signed bundle, exit 1" \
        "$BUNDLE" create -e "$BADRUN" -k "$PKEY" -p "$KT_SRC/profiles/policy.json" -o "$T/fail.tar"
    [ -s "$T/fail.tar" ] && ok "the failing run's bundle exists" || not_ok "the failing run's bundle exists"
    expect_msg 1 'failing: p23-mvp-exit$' "verify: authentic, exit 1, the failing check named" "$VERIFY" "$T/fail.tar" --key "$PPUB"

    # Flip the recorded verdict and re-sign it with the CI key (GNU tar + openssl only): exit 2.
    F=$(newdir); tar -xf "$T/fail.tar" -C "$F"
    sed -i 's/"result":"fail"/"result":"pass"/g; s/"verdict":"FAIL"/"verdict":"PASS"/' "$F/manifest.json"
    type='application/vnd.in-toto+json'
    { printf 'DSSEv1 %s %s %s ' "${#type}" "$type" "$(wc -c < "$F/manifest.json")"; cat "$F/manifest.json"; } > "$T/pae"
    openssl pkeyutl -sign -inkey "$PKEY" -rawin -in "$T/pae" -out "$T/sig" 2> /dev/null
    keyid=$(openssl pkey -pubin -in "$PPUB" -outform DER | sha256sum | cut -d' ' -f1)
    printf '{"payload":"%s","payloadType":"%s","signatures":[{"keyid":"%s","sig":"%s"}]}\n' \
        "$(base64 -w0 < "$F/manifest.json")" "$type" "$keyid" "$(base64 -w0 < "$T/sig")" > "$F/manifest.dsse.json"
    sde=$(sed -n 's/.*"sourceDateEpoch":\([0-9]*\).*/\1/p' "$F/manifest.json")
    (cd "$F" && tar --format=ustar --owner=0 --group=0 --numeric-owner --mode=0644 --mtime="@$sde" -b1 \
        --no-recursion -cf "$T/forged.tar" $(tar -tf "$T/fail.tar"))
    expect 0 "the forged bundle is authentic to the by-hand check (signature, digests, canonical tar)" \
        sh "$KT_SRC/verify/kiemthu-verify-by-hand.sh" "$T/forged.tar" "$PPUB"
    expect_msg 2 'recorded adjudication and the evidence disagree: check p23-mvp-exit' \
        "a re-signed flipped verdict: exit 2, the disagreeing check named" "$VERIFY" "$T/forged.tar" --key "$PPUB"

    # An auditor's stricter policy: the same authentic bundle fails (exit 1).
    sed 's/"min_tests": 5/"min_tests": 100/' "$KT_SRC/profiles/policy.json" > "$T/strict-policy.json"
    expect_msg 1 'failing: p23-tests$' "an auditor policy stricter than the bundle's: exit 1" \
        "$VERIFY" "$T/pass.tar" --key "$PPUB" --policy "$T/strict-policy.json"
    grep -q "(the auditor's, given with --policy)" "$T/out" && ok "verify says the policy is the auditor's" || not_ok "verify says the policy is the auditor's"

    # A policy with an unknown check type is an error, never a pass.
    sed 's/"type": "guard_passed"/"type": "guard_pased"/' "$KT_SRC/profiles/policy.json" > "$T/typo.json"
    expect_msg 65 'typo.json: checks\[8\] \(p23-guard\): unknown check type "guard_pased"' \
        "create refuses a policy with an unknown check type (65)" "$BUNDLE" create -e "$GOOD" -k "$PKEY" -p "$T/typo.json" -o "$T/x.tar"
    expect_msg 64 'unknown check type' "verify --policy refuses it too (64)" "$VERIFY" "$T/pass.tar" --key "$PPUB" --policy "$T/typo.json"
    [ -e "$T/x.tar" ] && not_ok "no bundle for a malformed policy" || ok "no bundle for a malformed policy"
    # evidence/policy.json and --policy must agree
    cp "$T/strict-policy.json" "$GOOD/policy.json"
    expect_msg 65 'differs from --policy' "evidence policy.json differing from --policy is refused" \
        "$BUNDLE" create -e "$GOOD" -k "$PKEY" -p "$KT_SRC/profiles/policy.json" -o "$T/x.tar"
    expect_msg 1 'verdict: FAIL' "without --policy the evidence's own policy.json is used" \
        "$BUNDLE" create -e "$GOOD" -k "$PKEY" -o "$T/own.tar"
    rm "$GOOD/policy.json"
fi
