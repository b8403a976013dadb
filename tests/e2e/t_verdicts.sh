# Verdicts that cannot be misread (issue 15 item 9): a bundle without a policy
# is AUTHENTIC (exit 4), never PASS; the by-hand script prints the verdict the
# CI recorded; -f json prints exactly one JSON object on every exit path;
# I/O and limit problems say "could not be checked", never "not authentic".

KEY=$(seckey k.key test-ed25519.key)
PUB=$FIXKEYS/test-ed25519.pub
BYHAND=$KT_SRC/verify/kiemthu-verify-by-hand.sh
export SOURCE_DATE_EPOCH=1718000000

# Evidence of one run r whose only attempt s started, and policies about it.
E=$(newdir)
mkdir -p "$E/runs/r/s"
echo '{"attempts":[{"attempted":true,"profile":"s"}],"canonical":"s"}' > "$E/runs/r/ladder.json"
echo '{"started":true,"exit_code":0}' > "$E/runs/r/s/run.json"
# a value whose text imitates the adjudication's verdict in manifest.json
printf '{"v":"x\\"verdict\\":\\"PASS\\"},\\"created\\":\\""}\n' > "$E/tricky.json"
policy() { # policy FILE EXPECT_STARTED
    cat > "$1" << P
{"kiemthuPolicy": 1, "name": "t", "verdict": "all", "checks": [
 {"id": "started", "type": "run_started", "run": "r", "profile": "s", "expect": $2, "description": "d"},
 {"id": "tricky", "type": "json_field", "file": "tricky.json", "pointer": "/v", "equals": "y", "description": "d"}]}
P
}
policy "$T/pass.json" true
sed -i 's/"equals": "y"/"equals": "x\\"verdict\\":\\"PASS\\"},\\"created\\":\\""/' "$T/pass.json"
policy "$T/fail.json" false
"$BUNDLE" create -q -e "$E" -k "$KEY" -o "$T/none.tar"
"$BUNDLE" create -q -e "$E" -k "$KEY" -p "$T/pass.json" -o "$T/pass.tar" > /dev/null
"$BUNDLE" create -q -e "$E" -k "$KEY" -p "$T/fail.json" -o "$T/fail.tar" 2> /dev/null
[ -s "$T/none.tar" ] && [ -s "$T/pass.tar" ] && [ -s "$T/fail.tar" ] && ok "three bundles: no policy, a PASS, a FAIL" ||
    not_ok "could not make the bundles"

# No policy: AUTHENTIC, exit 4, in every format; never a line that starts PASS.
run "$VERIFY" "$T/none.tar" --key "$PUB"
[ "$RC" -eq 4 ] && head -1 "$T/out" | grep -q '^AUTHENTIC .*NO POLICY' && ! grep -q '^PASS' "$T/out" &&
    grep -q 'not a PASS (exit 4)' "$T/out" && ok "no policy: 'AUTHENTIC ... NO POLICY', exit 4, no PASS line" ||
    not_ok "no-policy text (exit $RC)"
run "$VERIFY" "$T/none.tar" --key "$PUB" -f json
[ "$RC" -eq 4 ] && [ "$(jget "$T/out" '[d["verdict"], d["exit_code"], d["adjudicated"], d["policy"]]')" = '["AUTHENTIC", 4, false, null]' ] &&
    ok "no policy, JSON: verdict AUTHENTIC, exit_code 4, adjudicated false, policy null" || not_ok "no-policy JSON: $(cat "$T/out")"
run "$VERIFY" "$T/none.tar" --key "$PUB" -f markdown
[ "$RC" -eq 4 ] && head -1 "$T/out" | grep -q '^## kiemthu-verify: AUTHENTIC, no policy$' && ! grep -q PASS "$T/out" &&
    ok "no policy, Markdown: the heading says AUTHENTIC, no policy" || not_ok "no-policy Markdown (exit $RC)"
expect 4 "no policy, from a pipe: exit 4 too" sh -c "cat '$T/none.tar' | '$VERIFY' - --key '$PUB'"
expect_msg 0 '^PASS ' "no policy in the bundle, the auditor's --policy: PASS (0)" "$VERIFY" "$T/none.tar" --key "$PUB" --policy "$T/pass.json"
expect_msg 1 '^FAIL ' "no policy in the bundle, the auditor's failing --policy: FAIL (1)" "$VERIFY" "$T/none.tar" --key "$PUB" --policy "$T/fail.json"

# With a policy: PASS 0, FAIL 1, adjudicated.
run "$VERIFY" "$T/pass.tar" --key "$PUB" -f json
[ "$RC" -eq 0 ] && [ "$(jget "$T/out" '[d["verdict"], d["adjudicated"], d["policy"]["bundled"]]')" = '["PASS", true, true]' ] &&
    ok "bundled policy PASS: exit 0, adjudicated" || not_ok "PASS bundle (exit $RC): $(head -c 300 "$T/out")"
expect_msg 1 '^FAIL .*' "bundled policy FAIL: exit 1" "$VERIFY" "$T/fail.tar" --key "$PUB"

# The by-hand script prints the verdict the CI recorded (not re-derived).
run sh "$BYHAND" "$T/pass.tar" "$PUB"
[ "$RC" -eq 0 ] && grep -q '^PASS (recorded verdict, checked by hand): .*recorded PASS, 2/2 checks pass' "$T/out" &&
    ok "by hand, recorded PASS: 'PASS (recorded verdict...)', 2/2, exit 0" || not_ok "by hand PASS (exit $RC)"
run sh "$BYHAND" "$T/fail.tar" "$PUB"
[ "$RC" -eq 1 ] && grep -q '^FAIL (recorded verdict, checked by hand): .*recorded FAIL, 0/2 checks pass' "$T/out" &&
    ! grep -q 'PASS (' "$T/out" && ok "by hand, recorded FAIL: 'FAIL (recorded verdict...)', exit 1, never 'PASS (by hand)'" ||
    not_ok "by hand FAIL (exit $RC): $(cat "$T/out")"
grep -q 'verdict\\":\\"PASS' "$T/fail.tar" && ok "... although the FAIL manifest quotes '\"verdict\":\"PASS\"},\"created\":' in a reason" ||
    not_ok "the tricky reason is not in the manifest"
run sh "$BYHAND" "$T/none.tar" "$PUB"
[ "$RC" -eq 4 ] && grep -q '^AUTHENTIC (by hand), NO POLICY: .*this is not a PASS' "$T/out" &&
    ok "by hand, no policy: AUTHENTIC ... NO POLICY, exit 4" || not_ok "by hand no policy (exit $RC)"
expect_msg 2 '^REJECT' "by hand, another key: REJECT (2)" sh "$BYHAND" "$T/fail.tar" "$FIXKEYS/test-other.pub"
expect 64 "by hand, no arguments: 64" sh "$BYHAND"

# -f json: exactly one JSON object on stdout, its exit_code the exit status,
# nothing on stderr, on every exit path.
one_json() { # one_json WANT DESC CMD...
    local want=$1 desc=$2; shift 2
    run "$@"
    local got
    got=$(/usr/bin/python3 -c '
import json, sys
s = open(sys.argv[1]).read()
try:
    d = json.loads(s)
except ValueError as e:
    print("not one JSON object: %s" % e); sys.exit()
if not isinstance(d, dict) or s.count("\n") != 1 or not s.endswith("}\n"):
    print("not exactly one object and a newline"); sys.exit()
need = {"schema", "tool", "bundle", "verdict", "exit_code", "adjudicated", "key_id", "key_file", "created",
        "members", "evidence_members", "reason", "policy", "checks"}
if need - set(d):
    print("missing keys %s" % sorted(need - set(d))); sys.exit()
print(d["exit_code"])' "$T/out")
    if [ "$RC" -eq "$want" ] && [ "$got" = "$want" ] && [ ! -s "$T/err" ]; then
        ok "-f json, exit $want: $desc"
    else
        not_ok "-f json, $desc: exit $RC (want $want), exit_code '$got', stderr $(wc -c < "$T/err") bytes"
    fi
}
cp "$T/pass.tar" "$T/tampered.tar"
printf 'X' | dd of="$T/tampered.tar" bs=1 seek=600 conv=notrunc 2> /dev/null
mkdir "$T/adir"
one_json 0 "PASS" "$VERIFY" -f json "$T/pass.tar" --key "$PUB"
one_json 1 "FAIL" "$VERIFY" -f json "$T/fail.tar" --key "$PUB"
one_json 2 "REJECT: another key" "$VERIFY" -f json "$T/pass.tar" --key "$FIXKEYS/test-other.pub"
one_json 2 "REJECT: a changed byte" "$VERIFY" -f json "$T/tampered.tar" --key "$PUB"
one_json 3 "UNCHECKED: --max-size" "$VERIFY" -f json "$T/pass.tar" --key "$PUB" --max-size 10
one_json 3 "UNCHECKED: the bundle does not exist" "$VERIFY" -f json "$T/none-such.tar" --key "$PUB"
one_json 3 "UNCHECKED: the bundle is a directory (read error)" "$VERIFY" -f json "$T/adir" --key "$PUB"
one_json 3 "UNCHECKED: from stdin, --spool-max below what the policy reads" \
    sh -c "cat '$T/pass.tar' | '$VERIFY' - -f json --key '$PUB' --spool-max 10"
if is_root && command -v setpriv > /dev/null; then
    cp "$T/pass.tar" "$T/private.tar"; chmod 600 "$T/private.tar"
    one_json 3 "UNCHECKED: the bundle is unreadable (uid 65534)" as_nobody "$VERIFY" -f json "$T/private.tar" --key "$PUB"
else
    skip "unreadable bundle (needs root to run as uid 65534)"
fi
one_json 4 "AUTHENTIC, no policy" "$VERIFY" -f json "$T/none.tar" --key "$PUB"
one_json 64 "an unknown option before -f json" "$VERIFY" --bogus "$T/pass.tar" --key "$PUB" -f json
one_json 64 "an unknown short option" "$VERIFY" -f json -z "$T/pass.tar" --key "$PUB"
one_json 64 "--key without its argument, at the end" "$VERIFY" -f json "$T/pass.tar" --key
one_json 64 "no bundle" "$VERIFY" -f json --key "$PUB"
one_json 64 "two bundles" "$VERIFY" -f json "$T/pass.tar" "$T/fail.tar" --key "$PUB"
one_json 64 "no --key" "$VERIFY" -f json "$T/pass.tar"
one_json 64 "--key names no file" "$VERIFY" -f json "$T/pass.tar" --key "$T/none.pub"
one_json 64 "--key is a secret key" "$VERIFY" -f json "$T/pass.tar" --key "$KEY"
one_json 64 "--policy names no file" "$VERIFY" -f json "$T/pass.tar" --key "$PUB" --policy "$T/none.json"
one_json 64 "--max-size is not a number" "$VERIFY" -f json "$T/pass.tar" --key "$PUB" --max-size 1e3
one_json 64 "a later -f xml" "$VERIFY" -f json "$T/pass.tar" --key "$PUB" -f xml
keys=(); for i in $(seq 17); do keys+=(--key "$PUB"); done
one_json 64 "17 keys" "$VERIFY" -f json "$T/pass.tar" "${keys[@]}"
one_json 64 "--help with an argument" "$VERIFY" -f json --help=x
one_json 0 "--version" "$VERIFY" -f json --version
one_json 0 "--help" "$VERIFY" --help -f json
jget "$T/out" 'd["usage"]' | grep -q '^Usage: kiemthu-verify' && ok "-f json --help carries the usage text in \"usage\"" ||
    not_ok "--help JSON: $(head -c 200 "$T/out")"
[ "$(jget "$T/out" 'd["verdict"]')" = null ] && ok "... and no verdict (null)" || not_ok "--help verdict"
run sh -c "'$VERIFY' -f json '$T/pass.tar' --key '$PUB' > /dev/full"
[ "$RC" -eq 3 ] && grep -q 'cannot write the report to standard output' "$T/err" &&
    ok "stdout unwritable (/dev/full): exit 3 and the reason on stderr, not a verdict's code" || not_ok "/dev/full (exit $RC)"

# I/O and limit problems: "could not be checked", never "not authentic".
words() { # words DESC CMD...: exit 3, "could not be checked", no "not authentic"
    local desc=$1; shift
    run "$@"
    [ "$RC" -eq 3 ] && grep -q 'could not be checked' "$T/out" && ! grep -qi 'not authentic' "$T/out" "$T/err" &&
        ok "$desc: UNCHECKED, 'could not be checked', never 'not authentic'" || not_ok "$desc (exit $RC): $(head -2 "$T/out")"
}
words "missing bundle" "$VERIFY" "$T/none-such.tar" --key "$PUB"
words "a directory" "$VERIFY" "$T/adir" --key "$PUB"
words "--max-size" "$VERIFY" "$T/pass.tar" --key "$PUB" --max-size 10
words "--spool-max from stdin" sh -c "cat '$T/pass.tar' | '$VERIFY' - --key '$PUB' --spool-max 10"
run "$VERIFY" "$T/none-such.tar" --key "$PUB" -f markdown
[ "$RC" -eq 3 ] && grep -q 'could not be checked' "$T/out" && ! grep -q 'not authentic' "$T/out" &&
    ok "Markdown, missing bundle: could not be checked" || not_ok "Markdown missing bundle (exit $RC)"

# An I/O error while the policy or a check re-reads a member (EIO injected by
# strace into the verifier's pread64 of the bundle): could not be checked,
# never REJECT (before, a check that could not read was an "error" result
# that disagreed with the record: "not authentic").
if command -v strace > /dev/null && strace -o /dev/null true 2> /dev/null; then
    export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 # LeakSanitizer cannot run under ptrace
    # the ordinals, among all pread64 calls (ld.so makes some), of the first
    # and last re-read of the bundle's descriptor (or the stream's spool); the
    # first pass over a bundle file asks for 256 KiB at a time (and gets less,
    # or nothing, at the end), a re-read for one member's size, which it gets
    # (ALL=1: the first pass's reads count too)
    nth() { # nth LOG NAME: "first last" pread64 ordinals on the fd that openat/memfd_create gave NAME
        awk -v name="$2" -v all="${ALL:-0}" '/^(openat|memfd_create)\(/ && index($0, name) { n = split($0, a, "= "); fd = a[n] + 0 }
            /^pread64\(/ { i++; split(substr($0, 9), b, ","); cnt = -1; got = -2
                if (match($0, /, [0-9]+, [0-9]+\) += -?[0-9]+/)) { split(substr($0, RSTART + 2), c, /[ ,)=]+/); cnt = c[1] + 0; got = c[3] + 0 }
                if (fd != "" && b[1] + 0 == fd && (all || (cnt != 262144 && got == cnt))) { if (!f) f = i; l = i } }
            END { print f, l }' "$1"
    }
    strace -o "$T/pr.log" -e trace=openat,memfd_create,pread64 "$VERIFY" "$T/pass.tar" --key "$PUB" > /dev/null 2>&1
    read -r first last < <(nth "$T/pr.log" pass.tar)
    if [ -n "$first" ] && [ -n "$last" ] && [ "$last" -gt "$first" ]; then
        for w in "$first policy.json" "$last a check's file"; do
            run strace -o /dev/null -e trace=pread64 -e inject=pread64:error=EIO:when="${w%% *}" "$VERIFY" "$T/pass.tar" --key "$PUB"
            [ "$RC" -eq 3 ] && grep -q 'could not be re-read from the bundle: Input/output error' "$T/out" && ! grep -q 'not authentic' "$T/out" &&
                ok "EIO re-reading ${w#* }: UNCHECKED (3), 'could not be checked', not REJECT" || not_ok "EIO on ${w#* } (exit $RC): $(head -2 "$T/out")"
        done
    else
        not_ok "could not find the bundle's pread64 calls in the trace"
    fi
    # the first pass's own first read of the bundle file
    read -r rfirst _ < <(ALL=1 nth "$T/pr.log" pass.tar)
    if [ -n "$rfirst" ] && [ -n "$first" ] && [ "$rfirst" -lt "$first" ]; then
        run strace -o /dev/null -e trace=pread64 -e inject=pread64:error=EIO:when="$rfirst" "$VERIFY" "$T/pass.tar" --key "$PUB"
        [ "$RC" -eq 3 ] && grep -q 'cannot read the bundle: Input/output error' "$T/out" && ! grep -q 'not authentic' "$T/out" &&
            ok "EIO reading the bundle: UNCHECKED (3), 'could not be checked', not REJECT" || not_ok "EIO reading the bundle (exit $RC): $(head -2 "$T/out")"
    else
        not_ok "could not find the first pass's pread64 calls in the trace (first $rfirst, re-reads from $first)"
    fi
    sh -c "cat '$T/pass.tar' | strace -o '$T/ps.log' -e trace=openat,memfd_create,pread64 '$VERIFY' - --key '$PUB'" > /dev/null 2>&1
    read -r sfirst _ < <(nth "$T/ps.log" kiemthu-verify-spool)
    run sh -c "cat '$T/pass.tar' | strace -o /dev/null -e trace=pread64 -e inject=pread64:error=EIO:when=${sfirst:-1} '$VERIFY' - --key '$PUB' -f json"
    [ "$RC" -eq 3 ] && [ "$(jget "$T/out" 'd["verdict"]')" = UNCHECKED ] && ok "EIO re-reading the spool of a stream: UNCHECKED (3)" ||
        not_ok "EIO on the spool (exit $RC): $(head -c 300 "$T/out")"
else
    skip "I/O errors on re-reads (needs strace with ptrace allowed)"
fi
