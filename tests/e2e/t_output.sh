# Output safety (issue 10 item 11): nothing from a bundle, the evidence or a
# policy reaches a terminal or a CI summary raw. Every output of create and
# verify, in every format, is printable ASCII and newlines only; Markdown
# carries no tag but its own.
KEY=$(seckey k.key test-ed25519.key)
PUB=$FIXKEYS/test-ed25519.pub
only_text() { # only_text FILE: no byte outside 0x20-0x7E but newline
    [ "$(LC_ALL=C tr -d '\n\040-\176' < "$1" | wc -c)" -eq 0 ]
}

if ! /usr/bin/python3 -c 'import cryptography' 2> /dev/null; then
    skip "crafted-bundle output safety (needs Debian's python3-cryptography to sign the crafted bundles)"
else
    MAL=$(newdir)
    /usr/bin/python3 "$KT_SRC/tests/malicious/make_bundles.py" "$MAL" "$FIXKEYS/test-ed25519.key" \
        "$FIXKEYS/test-other.key" > /dev/null
    bad="" n=0
    while IFS=$'\t' read -r name code reason; do
        for fmt in text json markdown; do
            "$VERIFY" "$MAL/$name.tar" --key "$PUB" -f "$fmt" > "$T/o" 2> "$T/e"
            only_text "$T/o" && only_text "$T/e" || bad="$bad $name/$fmt"
            n=$((n + 1))
        done
    done < "$MAL/expect.tsv"
    [ -z "$bad" ] && ok "$n outputs of verify (every crafted bundle x text, json, markdown): printable ASCII only" ||
        not_ok "raw bytes in:$bad"
    run "$VERIFY" "$MAL/12-ansi-member.tar" --key "$PUB"
    [ "$RC" -eq 2 ] && head -1 "$T/out" | grep -q '^REJECT ' && grep -q '\\x1b\[1A\\x1b\[2K\\x0d' "$T/out" &&
        ! grep -q '^PASS' "$T/out" && ok "a member name that erases the REJECT line and draws PASS is shown escaped" ||
        not_ok "erase-and-draw member name"
    run "$VERIFY" "$MAL/12-ansi-keyid.tar" --key "$PUB"
    grep -q 'names key \\x1b\[2K\\x0dPASS \\u{202E}0' "$T/out" && ok "the envelope keyid is shown escaped (ESC, CR, U+202E)" ||
        not_ok "keyid escaping: $(cat "$T/out")"
    run "$VERIFY" "$MAL/12-ansi-payload-type.tar" --key "$PUB" -f json
    grep -q 'payloadType is \\"\\\\x1b\]0;pwned\\\\x07' "$T/out" && ok "the payloadType is shown escaped in JSON" ||
        not_ok "payloadType escaping: $(cat "$T/out")"
fi

# A real pipeline: a payload's output names and probe ids, a policy's name,
# all hostile; create's and verify's outputs in every format.
H=$(newdir)
mkdir -p "$H/runs/probe/p/out"
printf '{"attempts":[{"attempted":true,"profile":"p"}],"canonical":"p"}\n' > "$H/runs/probe/ladder.json"
echo '{"started":true,"exit_code":0}' > "$H/runs/probe/p/run.json"
/usr/bin/python3 - "$H/runs/probe/p/stdout" << 'PY'
import json, sys
ids = ["ok", "\u001b[1A\u001b[2K\r\u001b[32mPASS 17/17\u001b[0m <h2>PASS</h2><img src=x onerror=alert(1)> | x |",
       "\u202egnp.exe \u009b31m"]
probes = [{"id": i, "expect": "x", "observed": "y", "pass": n == 0} for n, i in enumerate(ids)]
json.dump({"probes": probes, "passed": 1, "total": len(ids)}, open(sys.argv[1], "w"))
PY
printf x > "$H/runs/probe/p/out/$(printf 'evil\033[2J\r')"
cat > "$T/hpolicy.json" << 'P'
{"kiemthuPolicy": 1, "name": "<h2>ALL GOOD</h2><img src=x onerror=alert(1)>", "verdict": "all", "checks": [
 {"id": "probes", "type": "probe_report", "description": "<b>probes</b> | pass |", "run": "probe",
  "profile": "p", "min_probes": 1}]}
P
run "$BUNDLE" create -e "$H" -k "$KEY" -p "$T/hpolicy.json" -o "$T/h.tar"
[ "$RC" -eq 1 ] && only_text "$T/out" && only_text "$T/err" && grep -q 'first failing: .*PASS 17/17' "$T/out" &&
    ok "create: its check table and verdict show the payload's probe ids without control bytes" ||
    not_ok "create output (exit $RC)"
for fmt in text json markdown; do
    run "$VERIFY" "$T/h.tar" --key "$PUB" -f "$fmt"
    [ "$RC" -eq 1 ] && only_text "$T/out" && only_text "$T/err" && ok "verify -f $fmt of a FAIL with hostile strings: printable ASCII only" ||
        not_ok "verify -f $fmt (exit $RC)"
done
run "$VERIFY" "$T/h.tar" --key "$PUB" -f markdown
tags=$(grep -o '<[^>]*>' "$T/out" | sort -u | tr '\n' ' ')
[ "$tags" = "</code> <code> " ] && ok "Markdown: no tag but <code> (the policy's <h2>/<img> and the probe's are text)" ||
    not_ok "Markdown tags: $tags"
grep -q '&#60;h2&#62;ALL GOOD&#60;&#47;h2&#62;&#60;img src&#61;x onerror&#61;alert&#40;1&#41;&#62;' "$T/out" &&
    ok "Markdown: the policy name is HTML-escaped" || not_ok "Markdown policy name"
[ "$(grep -c '^| ' "$T/out")" -eq 2 ] && ! grep '^| <code>probes' "$T/out" | grep -q ' | x |' &&
    ok "Markdown: a '|' in a reason cannot add table cells" || not_ok "Markdown table: $(grep '^|' "$T/out")"
ln -s /etc/hostname "$H/runs/probe/p/out/$(printf 'link\033[2J\r\302\233')"
run "$BUNDLE" create -e "$H" -k "$KEY" -o "$T/h2.tar"
[ "$RC" -eq 65 ] && only_text "$T/err" && grep -q 'link\\x1b\[2J\\x0d\\u{009B} is a symbolic link' "$T/err" &&
    ok "create: an error naming a hostile file name shows it escaped" || not_ok "create error escaping (exit $RC)"
