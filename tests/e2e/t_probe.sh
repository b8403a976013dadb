# kiemthu-probe attests the sandbox from inside; B4' and exec-once end to end.
SANDBOX=$KT_BIN/kiemthu-sandbox
PROBE=$KT_BIN/kiemthu-probe
STRICT=$KT_SRC/profiles/seccomp-deny-by-default.json
SAFE=$KT_SRC/profiles/seccomp-startup-safe.json

probe_json_ok() { # probe_json_ok FILE MIN: valid report, all pass, at least MIN probes
    /usr/bin/python3 - "$1" "$2" << 'PY'
import json, sys
r = json.load(open(sys.argv[1]))
n = len(r["probes"])
assert n >= int(sys.argv[2]), n
assert r["total"] == n and r["passed"] == sum(p["pass"] for p in r["probes"]), r
bad = [p["id"] + ": " + p["observed"] for p in r["probes"] if not p["pass"]]
assert not bad, bad
PY
}

expect 0 "probe --help" "$PROBE" --help
file "$PROBE" 2> /dev/null | grep -q 'statically linked' && ok "kiemthu-probe is statically linked" ||
    { [ -n "${SAN_BUILD:-}" ] && skip "static probe check (sanitizer build links dynamically)" || not_ok "kiemthu-probe is statically linked"; }

# Outside any sandbox the probe must fail and say so (never attempting harm).
run "$PROBE" -o -
if [ "$RC" -eq 1 ] && grep -q '"id":"uid"' "$T/out"; then ok "on the bare host: probes fail, exit 1"
else not_ok "on the bare host: probes fail, exit 1 (exit $RC)"; fi

probe_in_sandbox() { # $1 label, $2 recdir, then SB_AS prefix in $3
    local who=$1 rec=$2 as=$3
    local IN OUT; IN=$(newdir); OUT=$(newdir); chmod 777 "$OUT"; echo x > "$IN/f"
    [ -n "$as" ] && chown -R 65534 "$OUT" "$(dirname "$rec")"
    run $as "$SANDBOX" run -p "$STRICT" -p "$SAFE" --in "$IN" --out "$OUT" --record "$rec" \
        --ro-bind "$PROBE:/app/kiemthu-probe" -- /app/kiemthu-probe --allow-mount /app/kiemthu-probe
    [ "$RC" -eq 0 ] && ok "$who: the probe passes inside the sandbox (exit 0)" || not_ok "$who: the probe inside the sandbox exit $RC"
    if probe_json_ok "$rec/seccomp-startup-safe/stdout" 30 2> "$T/err"; then ok "$who: >= 30 probes, all pass, counts consistent"
    else not_ok "$who: probe report: $(tail -1 "$T/err")"; fi
    cmp -s "$rec/seccomp-startup-safe/stdout" "$OUT/probe.json" && ok "$who: report also written to /out/probe.json" ||
        not_ok "$who: report also written to /out/probe.json"
    grep -q '"id":"profile-denied-syscalls","observed":"32/32"' "$rec/seccomp-startup-safe/stdout" &&
        ok "$who: all 32 syscalls the startup-safe profile denies fail with its errno" || not_ok "$who: profile-denied-syscalls 32/32"
}

if ! is_root; then
    skip "probe-in-sandbox tests (need root; the unprivileged run is checked below when possible)"
else
    PR=$(newdir)
    probe_in_sandbox root "$PR/root/rec" ""
    grep -q '"observed":"64 tasks (cgroup1 pids.max)"\|"observed":"64 tasks (cgroup2 pids.max)"' "$PR/root/rec/seccomp-startup-safe/stdout" &&
        ok "root: the probe reads the pids limit from the cgroup" || not_ok "root: the probe reads the pids limit from the cgroup"
    if setpriv --reuid=65534 --regid=65534 --clear-groups unshare -U true 2> /dev/null; then
        mkdir -p "$PR/unpriv"
        probe_in_sandbox unprivileged "$PR/unpriv/rec" "setpriv --reuid=65534 --regid=65534 --clear-groups"
        grep -q '(RLIMIT_NPROC)' "$PR/unpriv/rec/seccomp-startup-safe/stdout" &&
            ok "unprivileged: the probe reports the rlimit fallback" || not_ok "unprivileged: the probe reports the rlimit fallback"
    else
        skip "unprivileged probe run (user namespaces unavailable)"
    fi

    # B4' as one command
    run env KT_BIN="$KT_BIN" bash "$KT_SRC/tests/b4prime.sh" "$T/b4"
    [ "$RC" -eq 0 ] && ok "B4': exit 0" || not_ok "B4': exit $RC"
    grep -q 'seccomp-deny-by-default: not started' "$T/out" && grep -qE 'seccomp-startup-safe: started, ([0-9]+)/\1 probes pass' "$T/out" &&
        grep -q 'canonical = seccomp-startup-safe' "$T/out" && ok "B4': strict not started, startup-safe N/N, canonical startup-safe" ||
        not_ok "B4': summary ($(tr '\n' ' ' < "$T/out"))"
    # ... and its records satisfy the B4' part of the shipped policy
    b4_only_policy "$T/b4-policy.json"
    expect_msg 0 'verdict: PASS \(14/14 checks pass\)' "B4' evidence (from the probe image) bundles with the B4' checks: PASS" \
        "$BUNDLE" create -e "$T/b4/evidence" -k "$(seckey b4.key test-ed25519.key)" -p "$T/b4-policy.json" -o "$T/b4.tar"
    expect 0 "... and verifies offline" "$VERIFY" "$T/b4.tar" --key "$FIXKEYS/test-ed25519.pub"

    # exec-once: the strict profile made runnable, exactly one exec
    EO=$(newdir)
    run "$SANDBOX" run --exec-once -p "$STRICT" --record "$EO/sh" -- /bin/sh -c '/usr/bin/true; echo inner=$?'
    grep -q '^inner=126$' "$EO/sh/seccomp-deny-by-default/stdout" && grep -q 'Operation not permitted' "$EO/sh/seccomp-deny-by-default/stderr" &&
        ok "exec-once: /bin/sh starts under the strict profile, its inner exec is denied (EPERM)" || not_ok "exec-once: sh -c /usr/bin/true"
    grep -q '"exec_once":{"errno":1,"first_exec_allowed":true,"later_execs_denied":1}' "$EO/sh/seccomp-deny-by-default/run.json" &&
        ok "exec-once recorded in run.json" || not_ok "exec-once recorded in run.json"
    run env KT_BIN="$KT_BIN" bash "$KT_SRC/tests/b4prime.sh" "$T/b4eo" -- --exec-once
    grep -qE 'seccomp-deny-by-default: started, ([0-9]+)/\1 probes pass' "$T/out" && grep -q 'canonical = seccomp-deny-by-default' "$T/out" &&
        ok "B4' with --exec-once: the static probe attests the strict profile, all pass" || not_ok "B4' with --exec-once ($(tr '\n' ' ' < "$T/out"))"
    grep -q '"id":"exec-denied-after-start","observed":"Operation not permitted","pass":true' "$T/b4eo/evidence/runs/probe/seccomp-deny-by-default/stdout" &&
        ok "the probe attests: execve denied after start" || not_ok "the probe attests: execve denied after start"
fi
