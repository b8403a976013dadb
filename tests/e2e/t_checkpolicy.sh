# kiemthu-bundle check-policy: validate a policy, evaluate it on evidence without signing.
POLICY=$KT_SRC/profiles/policy.json

expect_msg 0 'a valid policy, "seed-pipeline-b4prime-phase2-3", sha256 [0-9a-f]{64}$' \
    "check-policy accepts the shipped policy" "$BUNDLE" check-policy --policy "$POLICY"
expect_msg 64 'usage: kiemthu-bundle check-policy --policy FILE' "check-policy without --policy: usage (64)" \
    "$BUNDLE" check-policy
expect_msg 64 '' "check-policy with a stray argument: usage (64)" "$BUNDLE" check-policy -p "$POLICY" extra
expect_msg 66 'cannot open .*/missing.json' "a missing policy file: 66" "$BUNDLE" check-policy -p "$T/missing.json"

# JSON errors give line and column; an unknown type lists the valid ones
printf '{\n  "kiemthuPolicy": 1,\n  "name": "x",,\n  "verdict": "all"\n}\n' > "$T/syntax.json"
expect_msg 65 'syntax.json: invalid JSON near line 3, column 1[56] \(byte 3[89]\)' \
    "a JSON syntax error: 65, with line and column" "$BUNDLE" check-policy -p "$T/syntax.json"
sed 's/"type": "probe_ids"/"type": "probe_id"/' "$POLICY" > "$T/typo.json"
expect_msg 65 'unknown check type "probe_id"; the check types are: run_started, exit_code, .*probe_ids.*, venue_fields$' \
    "an unknown check type: 65, and the valid ones listed" "$BUNDLE" check-policy -p "$T/typo.json"
sed 's/"min_probes": 20/"min_probes": "20"/' "$POLICY" > "$T/kind.json"
expect_msg 65 'parameter "min_probes" has the wrong type: it must be integer' \
    "a parameter of the wrong kind: 65, naming the kind" "$BUNDLE" check-policy -p "$T/kind.json"
sed 's/"sha256": "658100ea/"sha256": "658100EA/' "$POLICY" > "$T/pin.json"
expect_msg 65 'it must be sha256, 64 lowercase hex digits' "a malformed pin: 65" "$BUNDLE" check-policy -p "$T/pin.json"

# --help: every check type, its parameters and an example; POLICY.md documents each one
run "$BUNDLE" check-policy --help
types=$(sed -n 's/^  \([a-z0-9_]*\): .*/\1/p' "$T/out")
n=$(echo "$types" | wc -l)
[ "$RC" -eq 0 ] && [ "$n" -eq 18 ] && [ "$(grep -c '^    example: {' "$T/out")" -eq "$n" ] &&
    ok "check-policy --help lists the $n check types, each with an example" || not_ok "check-policy --help ($n types, exit $RC)"
missing=""
for t in $types; do grep -q "^| \`$t\` |" "$KT_SRC/docs/POLICY.md" && grep -q "\"type\": \"$t\"" "$KT_SRC/docs/POLICY.md" || missing="$missing $t"; done
[ -z "$missing" ] && ok "docs/POLICY.md has a table row and an example for every check type" || not_ok "POLICY.md lacks:$missing"
# every example --help prints is a valid check
{
    echo '{"kiemthuPolicy": 1, "name": "examples", "verdict": "all", "checks": ['
    sed -n 's/^    example: //p' "$T/out" | sed '$!s/$/,/'
    echo ']}'
} > "$T/examples.json"
expect 0 "every example in --help is a valid check" "$BUNDLE" check-policy -p "$T/examples.json"

# --evidence: the check table and verdict, as create prints them, and nothing signed or written
E=$(newdir)
mkdir -p "$E/runs/r/s" "$E/guard"
echo '{"attempts":[{"attempted":true,"profile":"s"}],"canonical":"s"}' > "$E/runs/r/ladder.json"
echo '{"exit_code":3,"started":true,"image_digest":"sha256:00"}' > "$E/runs/r/s/run.json"
echo '{"pass":true,"violations":[]}' > "$E/guard/guard.json"
cat > "$T/small.json" << 'JSON'
{"kiemthuPolicy": 1, "name": "small", "verdict": "all", "checks": [
 {"id": "guard", "type": "guard_passed", "file": "guard/guard.json", "description": "guard passed"},
 {"id": "exit", "type": "exit_code", "run": "r", "profile": "@canonical", "expect": 0, "description": "exit 0"},
 {"id": "field", "type": "json_field", "file": "runs/r/s/run.json", "pointer": "/exit_code", "equals": 0, "description": "exit 0 again"}
]}
JSON
before=$(find "$E" "$T" -newer "$T/small.json" | wc -l)
expect_msg 1 'verdict: FAIL \(1/3 checks pass\)' "check-policy --evidence: the verdict, exit 1 on a failing check" \
    "$BUNDLE" check-policy -p "$T/small.json" -e "$E"
grep -q '^  fail  exit  *r/s exited 3 (expected 0)$' "$T/out" && grep -q '^  pass  guard ' "$T/out" &&
    grep -q '^  fail  field  *runs/r/s/run.json/exit_code is 3, expected 0$' "$T/out" &&
    ok "... each check's result and reason, the actual value next to the expected one" || not_ok "check-policy table"
[ "$(find "$E" -newer "$T/small.json" | wc -l)" -eq 0 ] && ok "... and nothing written into the evidence" || not_ok "check-policy wrote into the evidence"
# the same table create records in the signed manifest
cp "$T/small.json" "$E/policy.json"
run "$BUNDLE" create -e "$E" -k "$(seckey cp.key test-ed25519.key)" -o "$T/small.tar"
grep '^  \(pass\|fail\|error\) ' "$T/out" > "$T/create-table"
rm "$E/policy.json"
run "$BUNDLE" check-policy -p "$T/small.json" -e "$E"
grep '^  \(pass\|fail\|error\) ' "$T/out" | cmp -s - "$T/create-table" && ok "check-policy's table is create's, line for line" ||
    not_ok "check-policy and create tables differ"
expect_msg 66 'evidence directory .*/nope does not exist|cannot open evidence directory' "check-policy on a missing evidence dir: 66" \
    "$BUNDLE" check-policy -p "$T/small.json" -e "$T/nope"
sed 's/"equals": 0/"equals": 3/; s/"expect": 0/"expect": 3/' "$T/small.json" > "$T/small-pass.json"
expect_msg 0 'verdict: PASS \(3/3 checks pass\)' "check-policy --evidence: exit 0 when every check passes" \
    "$BUNDLE" check-policy -p "$T/small-pass.json" -e "$E"
