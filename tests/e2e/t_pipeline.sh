# The capability guard, the sample MVP, and make demo's whole pipeline.
GUARD=$KT_BIN/kiemthu-guard
MVPBIN=$KT_BIN/mvp/kiemthu-sample-inspector

expect 0 "guard --help" "$GUARD" --help
expect_msg 0 '"pass":true' "guard passes the sample MVP (binary and sources)" "$GUARD" "$MVPBIN" --source "$KT_SRC/fixtures/mvp/src" -o "$T/guard.json"
grep -q '"violations":\[\]' "$T/guard.json" && ok "guard writes guard.json with no violations" || not_ok "guard writes guard.json"
expect_msg 3 '"category":"network","symbol":"socket","where":"dynsym"' "guard fails a binary that imports socket (exit 3)" "$GUARD" "$KT_BIN/mvp/bad-socket"
expect_msg 3 '"symbol":"socket","where":"bad_socket.c"' "guard's source scan finds socket()" "$GUARD" "$MVPBIN" --source "$KT_SRC/fixtures/mvp/bad"
expect_msg 3 'uninspectable' "guard refuses a static binary it cannot inspect" "$GUARD" "$KT_BIN/kiemthu-probe"
expect 0 "... unless --allow-static" "$GUARD" "$KT_BIN/kiemthu-probe" --allow-static
expect_msg 65 'not an ELF file' "guard on a non-ELF file (65)" "$GUARD" "$KT_SRC/README.md"

# The MVP itself (its cmocka tests run as part of the demo and below).
expect_msg 0 'FIX7: 12 points, 12 within limits: PASS' "MVP on fixture A: PASS" "$MVPBIN" "$KT_SRC/fixtures/fix7-fixture-A-packet.json" "$(newdir)"
echo '{' > "$T/broken.json"
expect_msg 2 'invalid packet' "MVP on a malformed packet: exit 2" "$MVPBIN" "$T/broken.json" "$(newdir)"
(cd "$KT_SRC" && CMOCKA_MESSAGE_OUTPUT=xml CMOCKA_XML_FILE="$T/mvp-junit.xml" "$KT_BIN/mvp/test_inspector" > /dev/null 2>&1)
grep -q 'tests="5" failures="0" errors="0"' "$T/mvp-junit.xml" && ok "MVP acceptance tests write JUnit XML (5 tests, 0 failures)" || not_ok "MVP JUnit XML"

if is_root; then
    run env KT_BIN="$KT_BIN" KT_DEMO_OUT="$T/demo" bash "$KT_SRC/tests/demo.sh"
    [ "$RC" -eq 0 ] && ok "make demo's pipeline: exit 0" || not_ok "make demo's pipeline: exit $RC"
    n=$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["checks"]))' "$KT_SRC/profiles/policy.json")
    grep -q "^checks: $n/$n pass$" "$T/out" && grep -q '^verdict: PASS$' "$T/out" && grep -q '^strict: not started (execve denied)$' "$T/out" &&
        ok "demo ends: strict not started, checks $n/$n (every check of the shipped policy), verdict PASS" || not_ok "demo summary ($(tail -5 "$T/out" | tr '\n' ' '))"
    expect 0 "the demo bundle verifies by hand too" sh "$KT_SRC/verify/kiemthu-verify-by-hand.sh" "$T/demo/bundle.tar" "$T/demo/demo.pub"
else
    skip "demo pipeline (needs root for the sandbox's cgroups)"
fi
