# Member names are the encoding of the file names (docs/FORMAT.md §1): a
# policy names a file by its encoded name, and create, check-policy and
# verify all read the same file for it.
KEY=$(seckey k.key test-ed25519.key)
PUB=$FIXKEYS/test-ed25519.pub
N=$(newdir)
mkdir -p "$N/runs/r/p/out"
echo '{"started":true,"exit_code":0}' > "$N/runs/r/p/run.json"
echo '{"v":"spaced"}' > "$N/runs/r/p/out/a b"
echo '{"v":"literal"}' > "$N/runs/r/p/out/a%20b" # encoded: a%2520b, another file
cat > "$T/names-policy.json" << 'P'
{"kiemthuPolicy": 1, "name": "names", "verdict": "all", "checks": [
 {"id": "spaced", "type": "json_field", "description": "the file named 'a b'",
  "file": "runs/r/p/out/a%20b", "pointer": "/v", "equals": "spaced"},
 {"id": "literal", "type": "json_field", "description": "the file named 'a%20b'",
  "file": "runs/r/p/out/a%2520b", "pointer": "/v", "equals": "literal"},
 {"id": "raw-name-is-no-member", "type": "files_present", "description": "out/a b is a member as a%20b",
  "run": "r", "profile": "p", "files": ["out/a%20b", "out/a%2520b"]}]}
P
expect_msg 0 'verdict: PASS \(3/3' "create: the policy's encoded names read the right files" \
    "$BUNDLE" create -e "$N" -k "$KEY" -p "$T/names-policy.json" -o "$T/n.tar"
expect_msg 0 'PASS' "check-policy --evidence reads the same files by the same names" \
    "$BUNDLE" check-policy -p "$T/names-policy.json" -e "$N"
expect_msg 0 'checks:  3/3 pass' "verify re-derives the same results" "$VERIFY" "$T/n.tar" --key "$PUB"
sed 's|"file": "runs/r/p/out/a%20b"|"file": "runs/r/p/out/a b"|' "$T/names-policy.json" > "$T/raw.json"
expect_msg 1 'verdict: FAIL' "a raw (unencoded) name in a policy names no member" \
    "$BUNDLE" create -e "$N" -k "$KEY" -p "$T/raw.json" -o "$T/n2.tar"
