# stdin = file (issue 10 item 10): every bundle create makes gets the same
# verdict, checks and reasons from a pipe as from the file. A stream cannot
# be re-read, so the members a policy may read are kept in a memfd spool as
# they pass (verify/want.h); what truly cannot be checked is its own
# result (UNCHECKED, exit 3), never REJECT.
KEY=$(seckey k.key test-ed25519.key)
PUB=$FIXKEYS/test-ed25519.pub
same_from_stdin() { # same_from_stdin DESC BUNDLE [verify options]: outputs equal but the bundle name and the clock
    local desc=$1 b=$2; shift 2
    "$VERIFY" "$b" --key "$PUB" -f json "$@" | sed 's/"bundle":"[^"]*"//; s/"keys_judged_at":"[^"]*"//' > "$T/file.json"; local rf=${PIPESTATUS[0]}
    cat "$b" | "$VERIFY" - --key "$PUB" -f json "$@" | sed 's/"bundle":"[^"]*"//; s/"keys_judged_at":"[^"]*"//' > "$T/pipe.json"; local rp=${PIPESTATUS[1]}
    if [ "$rf" -eq "$rp" ] && cmp -s "$T/file.json" "$T/pipe.json"; then ok "$desc (exit $rf both ways)"
    else not_ok "$desc: file exit $rf, stdin exit $rp: $(diff "$T/file.json" "$T/pipe.json" | head -3)"; fi
}

# Evidence for every check type's --help example, behind 72 MiB of members
# no check reads (the old stream mode kept the first 64 MiB of small members).
E=$(newdir)
/usr/bin/python3 - "$E" "$KT_SRC" << 'PY'
import hashlib, json, os, sys
e, src = sys.argv[1], sys.argv[2]
def w(rel, data):
    p = os.path.join(e, rel); os.makedirs(os.path.dirname(p), exist_ok=True)
    open(p, "wb").write(data if isinstance(data, bytes) else data.encode())
pin = "0123456789abcdef" * 4
for run, profs in (("probe", ["seccomp-deny-by-default", "seccomp-startup-safe"]), ("mvp", ["seccomp-startup-safe"])):
    w("runs/%s/ladder.json" % run, json.dumps({"attempts": [{"attempted": True, "profile": p} for p in profs],
                                               "canonical": profs[-1]}))
    for p in profs:
        started = p == profs[-1]
        w("runs/%s/%s/run.json" % (run, p), json.dumps({"started": started, "exit_code": 0 if started else None,
            "profile_sha256": pin, "baseline": {"name": "baseline", "sha256": pin},
            "image_digest": "sha256:" + pin, "limits": {"pids": {"hit": False}, "memory": {"hit": False}},
            "filter_checked_points": 100, "filter_bpf_sha256": pin}))
        w("runs/%s/%s/stderr" % (run, p), "")
probes = [{"id": i, "expect": "x", "observed": "x", "pass": True} for i in ("uid", "gid", "no-new-privs")]
w("runs/probe/seccomp-startup-safe/stdout", json.dumps({"probes": probes, "passed": 3, "total": 3}))
rj, rm = b'{"verdict":"PASS"}\n', b"# PASS\n"
w("runs/mvp/seccomp-startup-safe/out/report.json", rj)
w("runs/mvp/seccomp-startup-safe/out/report.md", rm)
w("runs/mvp/seccomp-startup-safe/out/report.sha256", "%s  report.json\n%s  report.md\n" % (
    hashlib.sha256(rj).hexdigest(), hashlib.sha256(rm).hexdigest()))
for i in range(72):  # sorts before run.json and stdout, after ladder.json
    w("runs/mvp/seccomp-startup-safe/out/blob/%02d.bin" % i, os.urandom(1 << 20))
w("profiles/seccomp-startup-safe.json", open(os.path.join(src, "profiles/seccomp-startup-safe.json"), "rb").read())
w("tests/junit.xml", open(os.path.join(src, "tests/fixtures/junit/cmocka-pass.xml")).read())
w("guard/guard.json", json.dumps({"pass": True, "violations": []}))
w("venue.json", json.dumps({"ci": "local", "run_id": 1, "commit": "abc"}))
PY
"$BUNDLE" check-policy --help > "$T/help"
{
    echo '{"kiemthuPolicy": 1, "name": "every check type", "verdict": "all", "checks": ['
    sed -n 's/^    example: //p' "$T/help" | sed '$!s/$/,/'
    echo ']}'
} > "$T/all-types.json"
run "$BUNDLE" create -e "$E" -k "$KEY" -p "$T/all-types.json" -o "$T/big.tar"
npass=$(grep -c '^  pass ' "$T/out")
ntypes=$(grep -c '^    example: ' "$T/help")
# every check found what it reads (no "error"); some fail on purpose (pins)
[ "$RC" -le 1 ] && [ "$(stat -c %s "$T/big.tar")" -gt $((72 << 20)) ] && ! grep -q '^  error ' "$T/out" &&
    [ "$(grep -c '^  \(pass\|fail\) ' "$T/out")" -eq "$ntypes" ] &&
    ok "a $(($(stat -c %s "$T/big.tar") >> 20)) MiB bundle with one check of each of the $ntypes types, each finding its files ($npass pass)" ||
    not_ok "the all-types bundle (exit $RC, $npass of $ntypes checks pass)"
same_from_stdin "stdin = file: a 72+ MiB bundle, every check type" "$T/big.tar"
same_from_stdin "stdin = file: the same under an auditor's --policy" "$T/big.tar" --policy "$T/all-types.json"
cat "$T/big.tar" | /usr/bin/time -f '%M' -o "$T/rss" "$VERIFY" - --key "$PUB" > /dev/null
[ "$(tail -1 "$T/rss")" -le $((64 * 1024)) ] && ok "from stdin in $(($(tail -1 "$T/rss") / 1024)) MiB RSS (the spool is a memfd)" ||
    not_ok "stdin RSS $(tail -1 "$T/rss") KiB"

# Truly uncheckable: the spool limit is smaller than what the policy reads.
run sh -c "cat '$T/big.tar' | '$VERIFY' - --key '$PUB' --spool-max 100"
[ "$RC" -eq 3 ] && grep -q '^UNCHECKED -: could not be checked' "$T/out" && grep -q 'was not kept from the stream' "$T/out" &&
    ok "a member a check needs but the spool could not keep: UNCHECKED (exit 3), not REJECT" || not_ok "spool limit (exit $RC)"
run sh -c "cat '$T/big.tar' | '$VERIFY' - --key '$PUB' --spool-max 100 -f json"
grep -q '"verdict":"UNCHECKED","exit_code":3\|"exit_code":3.*"verdict":"UNCHECKED"' "$T/out" && ok "JSON says UNCHECKED, exit_code 3" ||
    not_ok "JSON UNCHECKED: $(head -c 300 "$T/out")"
run "$VERIFY" "$T/big.tar" --key "$PUB" --max-size 1000
[ "$RC" -eq 3 ] && grep -q 'total size limit' "$T/out" && ok "--max-size exceeded: could not be checked (3), not REJECT" ||
    not_ok "--max-size (exit $RC)"

# Every crafted bundle: the same exit code from stdin as from the file.
if /usr/bin/python3 -c 'import cryptography' 2> /dev/null; then
    MAL=$(newdir)
    /usr/bin/python3 "$KT_SRC/tests/malicious/make_bundles.py" "$MAL" "$FIXKEYS/test-ed25519.key" \
        "$FIXKEYS/test-other.key" > /dev/null
    diff="" n=0
    while IFS=$'\t' read -r name code reason; do
        "$VERIFY" "$MAL/$name.tar" --key "$PUB" > /dev/null 2>&1; rf=$?
        "$VERIFY" - --key "$PUB" < "$MAL/$name.tar" > /dev/null 2>&1; rp=$?
        [ "$rf" -eq "$rp" ] || diff="$diff $name($rf/$rp)"
        n=$((n + 1))
    done < "$MAL/expect.tsv"
    [ -z "$diff" ] && ok "all $n crafted bundles: the same exit code from stdin as from the file" ||
        not_ok "file/stdin differ:$diff"
else
    skip "crafted bundles from stdin (needs Debian's python3-cryptography)"
fi
