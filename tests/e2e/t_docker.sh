# Evidence from a docker-based CI: sandbox/docker/run-evidence.sh with the
# seed's exact flags, against a stand-in docker that checks them.
RUNEV=$KT_SRC/sandbox/docker/run-evidence.sh
FAKEBIN=$(newdir); cp "$KT_SRC/tests/helpers/fake-docker" "$FAKEBIN/docker"
DEV=$(newdir); DIN=$(newdir); DOUT=$(newdir)
# the stand-in prints a passing report with the probe ids the shipped policy pins
report=$(/usr/bin/python3 -c '
import json, sys
ids = [c for c in json.load(open(sys.argv[1]))["checks"] if c["id"] == "b4-probe-ids"][0]["ids"]
print(json.dumps({"probes": [{"id": i, "expect": 1, "observed": 1, "pass": True} for i in ids],
                  "passed": len(ids), "total": len(ids)}, separators=(",", ":")))' "$KT_SRC/profiles/policy.json")
run env PATH="$FAKEBIN:$PATH" FAKE_DOCKER_STDOUT="$report" FAKE_DOCKER_LOG="$T/docker.log" bash "$RUNEV" \
    --evidence "$DEV" --run probe --image kiemthu/probe:test --in "$DIN" --out "$DOUT" \
    --profile "$KT_SRC/profiles/seccomp-deny-by-default.json" --profile "$KT_SRC/profiles/seccomp-startup-safe.json" -- /app/main.py
[ "$RC" -eq 0 ] && ok "docker run-evidence: exit 0 (the canonical profile's)" || not_ok "docker run-evidence: exit $RC ($(cat "$T/err"))"
[ "$(grep -c '^docker run' "$T/docker.log")" -eq 2 ] && ok "docker run called once per profile, with exactly the seed's flags" || not_ok "docker run calls: $(cat "$T/docker.log")"
grep -q '"started":false' "$DEV/runs/probe/seccomp-deny-by-default/run.json" && grep -q 'OCI runtime create failed' "$DEV/runs/probe/seccomp-deny-by-default/stderr" &&
    ok "strict profile: not started, the daemon's error kept as stderr" || not_ok "strict profile: not started"
grep -q '"image_digest":"sha256:0000000000000000000000000000000000000000000000000000000000000007"' "$DEV/runs/probe/seccomp-startup-safe/run.json" &&
    ok "image digest from docker inspect" || not_ok "image digest from docker inspect"
/usr/bin/python3 -c 'import json,sys; [json.load(open(f)) for f in sys.argv[1:]]' "$DEV"/runs/probe/*/run.json "$DEV/runs/probe/ladder.json" 2> /dev/null &&
    ok "run.json and ladder.json are valid JSON" || not_ok "run.json and ladder.json are valid JSON"
# the evidence bundles and verifies under the B4' checks
# (less the two only kiemthu-sandbox can satisfy: docker runs have no kiemthu baseline
# filter and record no limit hits)
b4_only_policy "$T/docker-policy.json" b4-baseline b4-limits
expect_msg 0 'verdict: PASS \(10/10' "docker evidence bundles with the B4' checks: PASS" \
    "$BUNDLE" create -e "$DEV" -k "$(seckey dk.key test-ed25519.key)" -p "$T/docker-policy.json" -o "$T/docker.tar"
expect 0 "docker evidence bundle verifies offline" "$VERIFY" "$T/docker.tar" --key "$FIXKEYS/test-ed25519.pub"
# a flag that is not the seed's is caught by the stand-in
sed 's/--pids-limit 64/--pids-limit 128/' "$RUNEV" > "$T/drifted.sh"
run env PATH="$FAKEBIN:$PATH" bash "$T/drifted.sh" --evidence "$(newdir)" --run probe --image i --in "$DIN" --out "$DOUT" \
    --profile "$KT_SRC/profiles/seccomp-startup-safe.json"
grep -q "the seed's is '64'" "$T/err" "$(newdir)" 2> /dev/null || grep -rq "the seed's is '64'" "$T" 2> /dev/null &&
    ok "the stand-in docker rejects a drifted flag" || not_ok "the stand-in docker rejects a drifted flag"
