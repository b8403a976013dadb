# Adjudication: a policy evaluated at create time and re-derived by verify,
# on evidence produced by real kiemthu-sandbox runs.
SANDBOX=$KT_BIN/kiemthu-sandbox
STRICT=$KT_SRC/profiles/seccomp-deny-by-default.json
SAFE=$KT_SRC/profiles/seccomp-startup-safe.json
PKEY=$(seckey pol.key test-ed25519.key)
PPUB=$FIXKEYS/test-ed25519.pub

# make_pipeline_evidence DIR MVP_EXIT [PROBE_PROFILE]: B4' with the real kiemthu-probe image
# (under PROBE_PROFILE as startup-safe, if given), an MVP-like run, guard, tests, venue
make_pipeline_evidence() { # ... [PROBE_PROFILE [SANDBOX_OPTION...]]: options for the probe run
    local E=$1 mvp_exit=$2 probe_safe=${3:-$SAFE}
    local extra=("${@:4}")
    # Another profile under a shipped name: kiemthu-sandbox would refuse to put it
    # beside the genuine copy (issue 15 item 4), so it is kept out of the evidence.
    [ "$probe_safe" != "$SAFE" ] && extra+=(--evidence "$(newdir)")
    mkdir -p "$E/profiles" "$E/guard" "$E/runs"
    cp "$STRICT" "$SAFE" "$E/profiles/"
    echo '{"ci":"local","run_id":"42","commit":"0123abc"}' > "$E/venue.json"
    echo '{"pass":true,"violations":[],"symbols_checked":12}' > "$E/guard/guard.json"
    local IN OUT; IN=$(newdir); OUT=$(newdir); chmod 777 "$OUT"; echo x > "$IN/f"
    # the probe and the MVP run from the demo's images, whose digests the policy pins
    [ -d "$T/images/probe" ] || KT_BIN=$KT_BIN bash "$KT_SRC/tests/images.sh" "$T/images" > /dev/null
    "$SANDBOX" run "${extra[@]}" -p "$STRICT" -p "$probe_safe" --in "$IN" --out "$OUT" --record "$E/runs/probe" \
        --cache "$T/cache" --image "oci:$T/images/probe" 2> /dev/null
    # the project's tests run in the sandbox; their JUnit XML comes out through /out
    OUT=$(newdir)
    "$SANDBOX" run -p "$STRICT" -p "$SAFE" --out "$OUT" --record "$E/runs/tests" \
        --ro-bind "$KT_SRC/tests/fixtures/junit/pytest-pass.xml:/app/junit.xml" -- /bin/sh -c 'cat /app/junit.xml > /out/junit.xml' 2> /dev/null
    # the sandbox copies each attempt's /out into its record (RECORD/<profile>/out/);
    # MVP_EXIT 1: a packet with a point outside its limits (verdict FAIL, exit 1)
    OUT=$(newdir); chmod 777 "$OUT"; IN=$(newdir)
    sed "s/\"value\": 4.2,/\"value\": $([ "$mvp_exit" -eq 0 ] && echo 4.2 || echo 40.2),/" \
        "$KT_SRC/fixtures/fix7-fixture-A-packet.json" > "$IN/fix7-fixture-A-packet.json"
    "$SANDBOX" run -p "$STRICT" -p "$SAFE" --in "$IN" --out "$OUT" --record "$E/runs/mvp" \
        --cache "$T/cache" --image "oci:$T/images/mvp" 2> /dev/null
}

# fake_probe_evidence DIR: issue 10 item 12's first attack - under the real
# sandbox and the shipped profiles, a program that is not kiemthu-probe prints
# 20 passing records
fake_probe_evidence() {
    local E=$1 report='{"probes":['
    make_pipeline_evidence "$E" 0
    rm -rf "$E/runs/probe"
    for i in $(seq 1 20); do report="$report{\"id\":\"p$i\",\"expect\":1,\"observed\":1,\"pass\":true}"; [ "$i" -lt 20 ] && report="$report,"; done
    report="$report],\"passed\":20,\"total\":20}"
    "$SANDBOX" run -p "$STRICT" -p "$SAFE" --record "$E/runs/probe" -- /bin/sh -c "echo '$report'" 2> /dev/null
}

# without_checks IN OUT ID...: the policy without the named checks (the policy before issue 10 item 12)
without_checks() {
    /usr/bin/python3 - "$@" << 'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["checks"] = [c for c in p["checks"] if c["id"] not in sys.argv[3:]]
json.dump(p, open(sys.argv[2], "w"))
PY
}

# resign_flipped IN OUT: every recorded "fail" made "pass", the verdict PASS, re-signed with
# the CI key and rebuilt with GNU tar - what someone holding the key could forge
resign_flipped() {
    resign_bundle "$1" "$2" "$PKEY" "$PPUB" \
        sed -i 's/"result":"fail"/"result":"pass"/g; s/"verdict":"FAIL"/"verdict":"PASS"/'
}

POLICY=$KT_SRC/profiles/policy.json
NCHECKS=$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["checks"]))' "$POLICY")

if ! is_root; then
    # unprivileged, limits fall back to rlimits whose hits cannot be known: the shipped
    # policy's limit checks are then errors, as they must be
    skip "policy end-to-end tests with the shipped policy (need root: cgroups that count limit hits)"
else
    GOOD=$(newdir); make_pipeline_evidence "$GOOD" 0
    expect_msg 0 "verdict: PASS \\($NCHECKS/$NCHECKS checks pass\\)" "create with the shipped policy: PASS, exit 0" \
        "$BUNDLE" create -e "$GOOD" -k "$PKEY" -p "$KT_SRC/profiles/policy.json" -o "$T/pass.tar"
    expect_msg 0 "checks:  $NCHECKS/$NCHECKS pass" "verify re-derives $NCHECKS/$NCHECKS from the raw evidence" "$VERIFY" "$T/pass.tar" --key "$PPUB"
    grep -q "policy:  seed-pipeline-b4prime-phase2-3, sha256 $(sha256sum < "$KT_SRC/profiles/policy.json" | cut -d' ' -f1) (the bundle's own)" "$T/out" &&
        ok "verify prints the policy's sha256 and that it is the bundle's" || not_ok "verify prints the policy's sha256 and that it is the bundle's"
    tar -xOf "$T/pass.tar" evidence/policy.json | cmp -s - "$KT_SRC/profiles/policy.json" &&
        ok "the policy is bundled as evidence/policy.json" || not_ok "the policy is bundled as evidence/policy.json"
    expect_msg 0 "checks:  $NCHECKS/$NCHECKS pass" "re-adjudication from stdin (members kept as they stream)" sh -c "'$VERIFY' - --key '$PPUB' < '$T/pass.tar'"
    expect_msg 0 '"checks":\[\{"description"' "verify --format json carries the checks" "$VERIFY" "$T/pass.tar" --key "$PPUB" --format json
    expect_msg 0 '^\| <code>b4&#45;canonical</code> \| pass \|' "verify --format markdown gives a table for GITHUB_STEP_SUMMARY" \
        "$VERIFY" "$T/pass.tar" --key "$PPUB" --format markdown

    # The MVP exits 1 (verdict FAIL): the bundle is still made and signed; verify says FAIL (1)
    # and names the checks.
    BADRUN=$(newdir); make_pipeline_evidence "$BADRUN" 1
    expect_msg 1 "verdict: FAIL \\($((NCHECKS - 2))/$NCHECKS" "create on a failing run: signed bundle, exit 1" \
        "$BUNDLE" create -e "$BADRUN" -k "$PKEY" -p "$KT_SRC/profiles/policy.json" -o "$T/fail.tar"
    [ -s "$T/fail.tar" ] && ok "the failing run's bundle exists" || not_ok "the failing run's bundle exists"
    expect_msg 1 'failing: p23-mvp-exit p23-report-verdict$' "verify: authentic, exit 1, the failing checks named" "$VERIFY" "$T/fail.tar" --key "$PPUB"

    # Flip the recorded verdict and re-sign it with the CI key (GNU tar + openssl only): exit 2.
    resign_flipped "$T/fail.tar" "$T/forged.tar"
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
    expect_msg 65 'typo.json: checks\[[0-9]+\] \(p23-guard\): unknown check type "guard_pased"; the check types are: run_started, ' \
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

    # Issue 10 item 12, attack 1: a program that prints 20 passing records, not kiemthu-probe.
    # The checks of old passed it; the pinned probe id list does not.
    FAKE=$(newdir); fake_probe_evidence "$FAKE"
    without_checks "$POLICY" "$T/old-policy.json" b4-probe-ids b4-profiles-pinned p23-mvp-profiles-pinned \
        b4-baseline b4-limits p23-mvp-baseline p23-mvp-limits b4-image-pinned p23-mvp-image-pinned
    expect_msg 0 'verdict: PASS' "attack 1 (20 forged probe records) passed the checks of old" \
        "$BUNDLE" create -e "$FAKE" -k "$PKEY" -p "$T/old-policy.json" -o "$T/fake-old.tar"
    expect_msg 1 "verdict: FAIL \\($((NCHECKS - 2))/$NCHECKS" "attack 1 fails the shipped policy (exit 1)" \
        "$BUNDLE" create -e "$FAKE" -k "$PKEY" -p "$POLICY" -o "$T/fake.tar"
    grep -q 'b4-probe-ids.*missing: .*; unexpected: p1, p2' "$T/out" && ok "attack 1: b4-probe-ids names the missing and unexpected probes" ||
        not_ok "attack 1: b4-probe-ids reason"
    expect_msg 1 'failing: b4-probe-ids b4-image-pinned$' "attack 1: verify re-derives the failures, the pinned probe image too (exit 1)" "$VERIFY" "$T/fake.tar" --key "$PPUB"
    resign_flipped "$T/fake.tar" "$T/fake-forged.tar"
    expect_msg 2 'recorded adjudication and the evidence disagree: check b4-probe-ids' \
        "attack 1 with its verdict flipped and re-signed: exit 2" "$VERIFY" "$T/fake-forged.tar" --key "$PPUB"

    # Attack 2: the probes run under a relaxed profile saved as seccomp-startup-safe.json
    # (three syscalls no probe tries are allowed); the evidence keeps the genuine copy, so the
    # profile's own hash check passes.
    RELAXED=$(newdir)/seccomp-startup-safe.json
    /usr/bin/python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
for r in p["syscalls"]:
    r["names"] = [n for n in r["names"] if n not in ("process_vm_readv", "process_vm_writev", "setns")]
json.dump(p, open(sys.argv[2], "w"), indent=2)' "$SAFE" "$RELAXED"
    RX=$(newdir); make_pipeline_evidence "$RX" 0 "$RELAXED"
    grep -q '"started":true' "$RX/runs/probe/seccomp-startup-safe/run.json" && grep -Eq '^\{"passed":([0-9]+),"probes":.*"total":\1\}$' "$RX/runs/probe/seccomp-startup-safe/stdout" &&
        ok "attack 2: every probe passes under the relaxed profile" || not_ok "attack 2: probes under the relaxed profile"
    expect_msg 0 'verdict: PASS' "attack 2 (relaxed profile under the shipped name) passed the checks of old" \
        "$BUNDLE" create -e "$RX" -k "$PKEY" -p "$T/old-policy.json" -o "$T/relaxed-old.tar"
    expect_msg 1 "verdict: FAIL \\($((NCHECKS - 1))/$NCHECKS" "attack 2 fails the shipped policy (exit 1)" \
        "$BUNDLE" create -e "$RX" -k "$PKEY" -p "$POLICY" -o "$T/relaxed.tar"
    grep -q "b4-profiles-pinned.*seccomp-startup-safe/run.json: profile_sha256 is $(sha256sum < "$RELAXED" | cut -d' ' -f1), pinned 658100ea" "$T/out" &&
        ok "attack 2: the reason shows the profile that ran next to the pinned one" || not_ok "attack 2: b4-profiles-pinned reason"
    expect_msg 1 'failing: b4-profiles-pinned$' "attack 2: verify re-derives the failure (exit 1)" "$VERIFY" "$T/relaxed.tar" --key "$PPUB"
    resign_flipped "$T/relaxed.tar" "$T/relaxed-forged.tar"
    expect_msg 2 'recorded adjudication and the evidence disagree: check b4-profiles-pinned' \
        "attack 2 with its verdict flipped and re-signed: exit 2" "$VERIFY" "$T/relaxed-forged.tar" --key "$PPUB"

    # Probes run with --baseline none (the sandbox's escape hatch for old runs) fail the shipped policy.
    NB=$(newdir); make_pipeline_evidence "$NB" 0 "$SAFE" --baseline none
    grep -q '"baseline":"none"' "$NB/runs/probe/seccomp-startup-safe/run.json" && ok "--baseline none is recorded in run.json" ||
        not_ok "--baseline none is recorded in run.json"
    expect_msg 1 'verdict: FAIL' "probes run with --baseline none fail the shipped policy (exit 1)" \
        "$BUNDLE" create -e "$NB" -k "$PKEY" -p "$POLICY" -o "$T/nobase.tar"
    grep -q 'b4-baseline .*ran with --baseline none' "$T/out" && ok "... b4-baseline says why" || not_ok "b4-baseline reason"
    expect_msg 1 'failing: .*b4-baseline' "verify re-derives it (exit 1)" "$VERIFY" "$T/nobase.tar" --key "$PPUB"
fi

# Every new check type on crafted run records (fields other parts of kiemthu write: the
# baseline, limit hits, image digests): create records each result, and verify re-derives
# exactly the same ones from the bundle (else it would exit 2).
CR=$(newdir)
h64() { printf "%064d" 0 | tr 0 "$1"; }
mkrun() { # mkrun RUN PROFILE STARTED EXIT DIGEST PSHA MORE
    mkdir -p "$CR/runs/$1/$2"
    printf '{"exit_code":%s,"image_digest":"sha256:%s","profile":"%s","profile_sha256":"%s","started":%s%s}\n' \
        "$4" "$5" "$2" "$6" "$3" "$7" > "$CR/runs/$1/$2/run.json"
    printf '{"attempts":[{"attempted":true,"profile":"strict"},{"attempted":true,"profile":"safe"}],"canonical":"safe"}\n' \
        > "$CR/runs/$1/ladder.json"
}
BASE=",\"baseline\":{\"name\":\"baseline\",\"sha256\":\"$(h64 4)\"}"
LIMITS=',"limits":{"cpus":{"hit":false},"memory":{"hit":false},"memory_swap":{"hit":null},"pids":{"hit":true}}'
mkrun good strict false null "$(h64 a)" "$(h64 1)" "$BASE"
mkrun good safe true 0 "$(h64 a)" "$(h64 2)" "$BASE$LIMITS"
mkrun nobase strict false null "$(h64 a)" "$(h64 1)" ',"baseline":"none"'
mkrun nobase safe true 0 "$(h64 b)" "$(h64 3)" ',"baseline":"none"'
{
    echo '{"kiemthuPolicy": 1, "name": "new-check-types", "verdict": "all", "checks": ['
    c() { printf '{"id": "%s", "type": "%s", "description": "d", %s}%s\n' "$1" "$2" "$3" "$4"; }
    c pins-pass run_profiles_pinned "\"run\": \"good\", \"profiles\": {\"strict\": \"$(h64 1)\", \"safe\": \"$(h64 2)\"}" ,
    c pins-fail run_profiles_pinned "\"run\": \"nobase\", \"profiles\": {\"strict\": \"$(h64 1)\", \"safe\": \"$(h64 2)\"}" ,
    c base-pass run_baseline "\"run\": \"good\", \"sha256\": \"$(h64 4)\"" ,
    c base-fail run_baseline '"run": "nobase"' ,
    c image-pass image_pinned "\"run\": \"good\", \"digest\": \"sha256:$(h64 a)\"" ,
    c image-fail image_pinned "\"run\": \"nobase\", \"digest\": \"sha256:$(h64 a)\"" ,
    c limits-pass limit_not_hit '"run": "good", "profile": "@canonical", "limits": ["cpus", "memory"]' ,
    c limits-fail limit_not_hit '"run": "good", "profile": "@canonical", "limits": ["pids"]' ,
    c limits-unknown limit_not_hit '"run": "good", "profile": "@canonical", "limits": ["memory_swap"]' ,
    c limits-absent limit_not_hit '"run": "nobase", "profile": "@canonical", "limits": ["pids"]' ''
    echo ']}'
} > "$CR/policy.json"
expect_msg 1 'verdict: FAIL \(4/10 checks pass\)' "new check types on crafted records: create records 4 pass, 4 fail, 2 error" \
    "$BUNDLE" create -e "$CR" -k "$(seckey cr.key test-ed25519.key)" -o "$T/crafted.tar"
expect 1 "verify re-derives every one of them (exit 1, not 2)" "$VERIFY" "$T/crafted.tar" --key "$FIXKEYS/test-ed25519.pub" --format json
if /usr/bin/python3 -c '
import json, sys, tarfile
got = {c["id"]: c["result"] for c in json.load(open(sys.argv[1]))["checks"]}
m = json.load(tarfile.open(sys.argv[2]).extractfile("manifest.json"))
rec = {c["id"]: c["result"] for c in m["predicate"]["adjudication"]["checks"]}
want = {"pins-pass": "pass", "pins-fail": "fail", "base-pass": "pass", "base-fail": "fail",
        "image-pass": "pass", "image-fail": "fail", "limits-pass": "pass", "limits-fail": "fail",
        "limits-unknown": "error", "limits-absent": "error"}
assert got == rec == want, (got, rec)' "$T/out" "$T/crafted.tar" > "$T/cmp" 2>&1; then
    ok "verify's results equal the recorded ones and the expected ones, check by check"
else
    not_ok "recorded vs re-derived: $(tail -1 "$T/cmp")"
fi
# ... and a record that says otherwise, re-signed, is caught
resign_flipped "$T/crafted.tar" "$T/crafted-forged.tar"
expect_msg 2 'recorded adjudication and the evidence disagree: check pins-fail' \
    "crafted records, results flipped and re-signed: exit 2" "$VERIFY" "$T/crafted-forged.tar" --key "$FIXKEYS/test-ed25519.pub"
