# kiemthu-verify --list and --extract DIR (issue 15 item 7): the members, from
# the verified stream; written only once the whole bundle verified, from the
# bytes it verified, beneath DIR only, never following a link, names decoded
# only where that is printable; crafted and changing bundles.

KEY=$(seckey k.key test-ed25519.key)
PUB=$FIXKEYS/test-ed25519.pub
export SOURCE_DATE_EPOCH=1718000000
nothing_in() { [ -d "$1" ] && [ -z "$(ls -A "$1")" ]; }
no_partial() { ! find "$1" -name '.kiemthu-partial.*' | grep -q .; }

# Evidence with names of every kind: plain, encoded, unprintable, '%'.
E=$(newdir)
mkdir -p "$E/runs/r/s/out/sub dir"
echo '{"attempts":[{"attempted":true,"profile":"s"}],"canonical":"s"}' > "$E/runs/r/ladder.json"
echo '{"started":true,"exit_code":0}' > "$E/runs/r/s/run.json"
printf 1 > "$E/runs/r/s/out/a b"
printf 2 > "$E/runs/r/s/out/100%"
printf 3 > "$E/runs/r/s/out/100%25"
printf 4 > "$E/runs/r/s/out/$(printf 'esc\033[2J\r')"
printf 5 > "$E/runs/r/s/out/a%1B%5B2J%0D"
printf 6 > "$E/runs/r/s/out/sub dir/r$(printf '\303\251')sum$(printf '\303\251')"
printf 7 > "$E/runs/r/s/out/$(printf 'bidi\342\200\256gnp.exe')"
head -c 8000000 /dev/urandom > "$E/big.bin"
cat > "$T/policy.json" << 'P'
{"kiemthuPolicy": 1, "name": "t", "verdict": "all", "checks": [
 {"id": "started", "type": "run_started", "run": "r", "profile": "s", "expect": true, "description": "d"}]}
P
sed 's/"expect": true/"expect": false/' "$T/policy.json" > "$T/fail.json"
"$BUNDLE" create -q -e "$E" -k "$KEY" -p "$T/policy.json" -o "$T/b.tar" > /dev/null
"$BUNDLE" create -q -e "$E" -k "$KEY" -p "$T/fail.json" -o "$T/fail.tar" 2> /dev/null

# --list: every member, its size and sha256, as tar and sha256sum see them
run "$VERIFY" "$T/b.tar" --key "$PUB" --list -f json
/usr/bin/python3 - "$T/out" "$T/b.tar" > "$T/cmp" << 'PY'
import hashlib, json, sys, tarfile
d = json.load(open(sys.argv[1]))
got = [(m["name"], m["size"], m["sha256"]) for m in d["member_list"]]
with tarfile.open(sys.argv[2]) as t:
    want = [(m.name, m.size, hashlib.sha256(t.extractfile(m).read()).hexdigest()) for m in t.getmembers()]
print("same" if got == want else "differ: %s vs %s" % (got[:3], want[:3]))
PY
[ "$RC" -eq 0 ] && [ "$(cat "$T/cmp")" = same ] && [ "$(jget "$T/out" 'len(d["member_list"])')" -eq 13 ] &&
    ok "--list -f json: all 13 members in archive order, sizes and sha256 as python's tarfile reads them" ||
    not_ok "--list JSON (exit $RC): $(cat "$T/cmp")"
run "$VERIFY" "$T/b.tar" --key "$PUB" --list
grep -q '^    [0-9a-f]\{64\}  *1  evidence/runs/r/s/out/a%20b  -> evidence/runs/r/s/out/a b$' "$T/out" &&
    grep -q '  evidence/runs/r/s/out/esc%1B%5B2J%0D$' "$T/out" && grep -q '  manifest.json$' "$T/out" &&
    [ "$(LC_ALL=C tr -d '\n\040-\176' < "$T/out" | wc -c)" -eq 0 ] &&
    ok "--list (text): sha256, size, name, and the decoded file name where it differs; printable ASCII" ||
    not_ok "--list text: $(grep evidence/runs/r/s/out "$T/out" | head -3)"
run "$VERIFY" "$T/b.tar" --key "$FIXKEYS/test-other.pub" --list -f json
[ "$RC" -eq 2 ] && [ "$(jget "$T/out" 'd["member_list"]')" = null ] && ok "--list of a REJECTed bundle lists nothing" ||
    not_ok "--list on REJECT (exit $RC)"

# --extract: the evidence back under its own names, byte for byte
X=$T/x1
run "$VERIFY" "$T/b.tar" --key "$PUB" --extract "$X"
[ "$RC" -eq 0 ] && grep -q "^  extracted: 13 files into $X" "$T/out" && ok "--extract: PASS (0), 13 files written" ||
    not_ok "--extract (exit $RC)"
diff -r -x '*%*' -x "$(printf 'esc\033*')" -x 'bidi*' "$E" "$X/evidence" -x policy.json > /dev/null &&
    cmp -s "$X/evidence/policy.json" "$T/policy.json" &&
    ok "the extracted evidence is the evidence folder, byte for byte, under the same (printable) names" ||
    not_ok "extracted tree differs: $(diff -rq "$E" "$X/evidence" | head -3)"
[ -f "$X/evidence/runs/r/s/out/a b" ] && [ -f "$X/evidence/runs/r/s/out/sub dir/r$(printf '\303\251')sum$(printf '\303\251')" ] &&
    ok "printable names are decoded: 'a b', 'sub dir/résumé'" || not_ok "decoded names"
[ -f "$X/evidence/runs/r/s/out/esc%1B%5B2J%0D" ] && [ -f "$X/evidence/runs/r/s/out/bidi%E2%80%AEgnp.exe" ] &&
    [ -f "$X/evidence/runs/r/s/out/100%25" ] && [ -f "$X/evidence/runs/r/s/out/100%2525" ] &&
    [ "$(cat "$X/evidence/runs/r/s/out/a%251B%255B2J%250D")" = 5 ] &&
    ok "control bytes, bidi overrides and '%' stay encoded, one to one ('100%' and '100%25', ESC and a literal %1B apart)" ||
    not_ok "encoded names: $(ls "$X/evidence/runs/r/s/out" | tr '\n' ' ')"
[ -z "$(find "$X" -name "*$(printf '\033')*" -o -name "*$(printf '\r')*")" ] && ok "no file name on disk carries ESC or CR" ||
    not_ok "a raw control byte reached a file name"
cmp -s "$X/manifest.json" <(tar -xOf "$T/b.tar" manifest.json) && cmp -s "$X/manifest.dsse.json" <(tar -xOf "$T/b.tar" manifest.dsse.json) &&
    ok "manifest.json and manifest.dsse.json extracted as signed" || not_ok "manifest members"
[ "$(stat -c %a "$X/evidence/big.bin")" = 644 ] && [ "$(stat -c %a "$X/evidence/runs")" = 755 ] && no_partial "$X" &&
    ok "files 0644, directories 0755, no staging left" || not_ok "modes or staging left"
(cd "$X" && "$BUNDLE" check-policy --policy evidence/policy.json --evidence evidence > /dev/null) &&
    ok "the extracted evidence passes check-policy as the CI's did" || not_ok "check-policy on the extracted tree"
# printable names come back exactly: extract, create again, the same bytes
P=$(newdir); cp -a "$E/." "$P"; rm -f "$P"/runs/r/s/out/*%* "$P"/runs/r/s/out/esc* "$P"/runs/r/s/out/bidi*
"$BUNDLE" create -q -e "$P" -k "$KEY" -p "$T/policy.json" -o "$T/p.tar" > /dev/null
"$VERIFY" "$T/p.tar" --key "$PUB" --extract "$T/xp" > /dev/null
"$BUNDLE" create -q -e "$T/xp/evidence" -k "$KEY" -o "$T/again.tar" > /dev/null
cmp -s "$T/again.tar" "$T/p.tar" && ok "printable names: extract, then create with the same key and time, gives the same bundle byte for byte" ||
    not_ok "re-created bundle differs"
run sh -c "cat '$T/b.tar' | '$VERIFY' - --key '$PUB' --extract '$T/x2' -f json"
[ "$RC" -eq 0 ] && [ "$(jget "$T/out" '[d["extract"]["extracted"], d["extract"]["files"]]')" = '[true, 13]' ] &&
    diff -r "$T/x1/manifest.json" "$T/x2/manifest.json" > /dev/null && cmp -s "$T/x2/evidence/big.bin" "$E/big.bin" &&
    ok "--extract from a pipe: the same files, JSON extract {extracted: true, files: 13}" || not_ok "--extract from stdin (exit $RC)"
expect_msg 1 'extracted: 13 files' "--extract of an authentic FAIL bundle writes it too (exit 1)" "$VERIFY" "$T/fail.tar" --key "$PUB" --extract "$T/x3"

# Refused before anything is read or written: DIR not empty, a symlink, twice
mkdir "$T/full"; echo x > "$T/full/keep"
run "$VERIFY" "$T/b.tar" --key "$PUB" --extract "$T/full" -f json
[ "$RC" -eq 73 ] && [ "$(jget "$T/out" 'd["verdict"]')" = null ] && grep -q 'not empty' "$T/out" &&
    [ "$(ls -A "$T/full")" = keep ] && ok "a non-empty DIR: 73, no verdict, DIR untouched" || not_ok "non-empty DIR (exit $RC)"
mkdir "$T/real"; ln -s "$T/real" "$T/link"
expect_msg 73 'symbolic link' "DIR that is a symbolic link: 73" "$VERIFY" "$T/b.tar" --key "$PUB" --extract "$T/link"
nothing_in "$T/real" && ok "... and nothing is written where it points" || not_ok "wrote through the DIR symlink"
mkdir "$T/stale"; mkdir "$T/stale/.kiemthu-partial.evidence"
expect_msg 73 'not empty' "a DIR holding a killed run's .kiemthu-partial.*: 73" "$VERIFY" "$T/b.tar" --key "$PUB" --extract "$T/stale"
expect_msg 73 'cannot create' "a DIR whose parent does not exist: 73" "$VERIFY" "$T/b.tar" --key "$PUB" --extract "$T/no/such/dir"
expect 64 "--extract twice: 64" "$VERIFY" "$T/b.tar" --key "$PUB" --extract "$T/a1" --extract "$T/a2"
if [ "${SAN_BUILD:-}" = 1 ]; then
    skip "--extract without Landlock (the ASan build installs no self-sandbox)"
else
    run "$KT_BIN/tests/no-landlock" "$VERIFY" "$T/b.tar" --key "$PUB" --extract "$T/noll" -f json
    [ "$RC" -eq 73 ] && grep -q 'Landlock' "$T/out" && [ ! -e "$T/noll" ] &&
        ok "a kernel without Landlock: 73, nothing written, DIR not even made" || not_ok "no Landlock (exit $RC): $(head -c 300 "$T/out")"
fi

# Not verified: nothing extracted, nothing left behind
for c in "2 another key|--key $FIXKEYS/test-other.pub" "3 over --max-size|--key $PUB --max-size 1000000"; do
    want=${c%% *} rest=${c#* }; desc=${rest%%|*}; args=${rest#*|}
    D=$(newdir)
    run "$VERIFY" "$T/b.tar" $args --extract "$D" -f json
    [ "$RC" -eq "$want" ] && nothing_in "$D" && [ "$(jget "$T/out" 'd["extract"]["extracted"]')" = false ] &&
        ok "$desc: exit $want, DIR left empty (the staged members removed)" || not_ok "$desc (exit $RC): $(ls -A "$D")"
done

# A time-stamped bundle signed by two keys (issue 14): timestamp.tst is a
# member like the others, listed and extracted from the bytes verified.
ST=$KT_SRC/fixtures/golden/stamped.tar
run "$VERIFY" "$ST" --key "$PUB" --list --extract "$T/xs" -f json
[ "$RC" -eq 4 ] && [ "$(jget "$T/out" 'd["member_list"][-1]["name"]')" = timestamp.tst ] &&
    [ "$(jget "$T/out" 'd["extract"]["extracted"]')" = true ] && no_partial "$T/xs" &&
    cmp -s "$T/xs/timestamp.tst" <(tar -xOf "$ST" timestamp.tst) &&
    cmp -s "$T/xs/manifest.dsse.json" <(tar -xOf "$ST" manifest.dsse.json) &&
    ok "a time-stamped bundle: timestamp.tst listed and extracted with the token's bytes (AUTHENTIC, 4)" ||
    not_ok "stamped --list/--extract (exit $RC): $(jget "$T/out" 'd["extract"]')"

# Crafted bundles: each exit code as without --extract; a bundle that does
# not verify leaves DIR empty; names that decode to ../, absolute names,
# duplicates after decoding are rejected before anything lands.
if ! /usr/bin/python3 -c 'import cryptography' 2> /dev/null; then
    skip "crafted bundles with --extract (needs Debian's python3-cryptography)"
else
    MAL=$(newdir)
    /usr/bin/python3 "$KT_SRC/tests/malicious/make_bundles.py" "$MAL" "$FIXKEYS/test-ed25519.key" "$FIXKEYS/test-other.key" > /dev/null
    bad="" n=0
    while IFS=$'\t' read -r name code reason; do
        D=$T/mal-$name
        "$VERIFY" "$MAL/$name.tar" --key "$PUB" --extract "$D" > "$T/o" 2>&1
        rc=$?
        n=$((n + 1))
        [ "$rc" -eq "$code" ] || { bad="$bad $name:exit$rc"; continue; }
        if [ "$code" -ge 2 ] && [ "$code" -le 3 ]; then nothing_in "$D" || bad="$bad $name:wrote"; fi
        if [ "$code" -eq 0 ] || [ "$code" -eq 1 ] || [ "$code" -eq 4 ]; then [ -f "$D/manifest.json" ] || bad="$bad $name:missing"; fi
        no_partial "$D" || bad="$bad $name:partial"
    done < "$MAL/expect.tsv"
    [ -z "$bad" ] && ok "all $n crafted bundles with --extract: their exit codes; rejected ones leave DIR empty" || not_ok "crafted --extract:$bad"
    for c in 01-name-0 01-name-1 11-encoded-dotdot 11-duplicate-decoded 11-pax-traversal 12-ansi-member; do
        nothing_in "$T/mal-$c" || bad="$bad $c"
    done
    [ -z "$bad" ] && ok "'evidence/../x', '/etc/passwd', '%2E%2E', 'a%41' beside 'aA', a pax '../../etc', an ESC name: nothing written" ||
        not_ok "hostile names wrote:$bad"
    [ -f "$T/mal-12-html-member/evidence/<h2>PASS</h2><img src=x>" ] &&
        ok "an authentic member named <h2>PASS</h2><img src=x> is written decoded, beneath DIR" || not_ok "html member: $(find "$T/mal-12-html-member" | head -5)"
fi

# A component that cannot be a file here: 100 control bytes are 300 bytes
# encoded (the only printable form). Nothing extracted; the verdict stands.
L=$(newdir); printf x > "$L/$(printf '\001%.0s' $(seq 1 100))"
"$BUNDLE" create -q -e "$L" -k "$KEY" -o "$T/long.tar" 2> /dev/null
D=$(newdir)
run "$VERIFY" "$T/long.tar" --key "$PUB" --extract "$D" -f json
[ "$RC" -eq 73 ] && [ "$(jget "$T/out" 'd["verdict"]')" = AUTHENTIC ] && grep -q '300 bytes' "$T/out" && nothing_in "$D" &&
    ok "a name of 100 control bytes (300 encoded): AUTHENTIC, but 73 'cannot be a file', nothing written" ||
    not_ok "long name (exit $RC): $(head -c 400 "$T/out")"

# A write that fails (a file size limit, SIGXFSZ ignored): 74, nothing left.
D=$(newdir)
run bash -c "trap '' XFSZ; ulimit -f 1024; exec '$VERIFY' '$T/b.tar' --key '$PUB' --extract '$D'"
[ "$RC" -eq 74 ] && grep -q 'NOT extracted into .*cannot write' "$T/out" && nothing_in "$D" &&
    ok "a failing write (EFBIG at 1 MiB): 74, the verdict printed, nothing left in DIR" || not_ok "write failure (exit $RC): $(tail -2 "$T/out")"

# -f json on extraction's own exit paths: one object, its exit_code the status
json_one() { # json_one WANT: $T/out is one JSON object whose exit_code is WANT, stderr empty
    [ "$RC" -eq "$1" ] && [ ! -s "$T/err" ] && [ "$(/usr/bin/python3 -c 'import json, sys
s = open(sys.argv[1]).read(); d = json.loads(s); print(d["exit_code"] if s.count("\n") == 1 else "lines")' "$T/out" 2>&1)" = "$1" ]
}
D=$(newdir)
run bash -c "trap '' XFSZ; ulimit -f 1024; exec '$VERIFY' '$T/b.tar' --key '$PUB' --extract '$D' -f json"
json_one 74 && [ "$(jget "$T/out" '[d["verdict"], d["extract"]["extracted"], d["extract"]["reason"]["class"]]')" = '["PASS", false, "io"]' ] &&
    ok "-f json, a failing write: one object, exit_code 74, verdict PASS, extract.reason io" || not_ok "JSON 74: $(head -c 300 "$T/out")"
run "$VERIFY" "$T/b.tar" --key "$PUB" --extract "$T/full" -f json
json_one 73 && ok "-f json, DIR not empty: one object, exit_code 73" || not_ok "JSON 73: $(head -c 300 "$T/out")"
run "$VERIFY" "$T/long.tar" --key "$PUB" --extract "$(newdir)" -f json
json_one 73 && ok "-f json, a name that cannot be a file: one object, exit_code 73" || not_ok "JSON 73 long name"

# The bundle file changes while kiemthu-verify runs (stopped by strace at
# the first rename into place, i.e. after the whole bundle verified): what
# lands in DIR is what was verified, not the new bytes.
if command -v strace > /dev/null && strace -o /dev/null true 2> /dev/null; then
    stop_at() { # stop_at SYSCALL BUNDLE DIR: run verify --extract stopped at SYSCALL; sets SP, VP
        rm -f "$T/st.log"
        # (LeakSanitizer cannot run under ptrace: off in the ASan build)
        ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
            strace -o "$T/st.log" -f -e trace="$1" -e signal=SIGSTOP -e inject="$1":signal=SIGSTOP:when=1 \
            "$VERIFY" "$2" --key "$PUB" --extract "$3" > "$T/out" 2> "$T/err" &
        SP=$!
        for _ in $(seq 600); do grep -q 'stopped by SIGSTOP' "$T/st.log" 2> /dev/null && break; sleep 0.05; done
        VP=$(pgrep -P "$SP")
    }
    flip() { /usr/bin/python3 -c 'import sys
b = bytearray(open(sys.argv[1], "rb").read()); i = int(sys.argv[2]) if sys.argv[2].isdigit() else b.find(sys.argv[2].encode())
b[i] ^= 0x20; f = open(sys.argv[1], "r+b"); f.seek(i); f.write(b[i:i + 1])' "$@"; }
    cp "$T/b.tar" "$T/c.tar"
    D=$T/changed
    stop_at renameat2 "$T/c.tar" "$D"
    grep -q 'stopped by SIGSTOP' "$T/st.log" && ok "kiemthu-verify stopped at its first rename into place" || not_ok "strace stop"
    off=$(grep -boa '{"started":true,"exit_code":0}' "$T/c.tar" | head -1 | cut -d: -f1)
    flip "$T/c.tar" "$((off + 2))" # "started" -> "Started" in run.json, on disk
    kill -CONT "$VP"; wait "$SP"; RC=$?
    [ "$RC" -eq 0 ] && [ "$(cat "$D/evidence/runs/r/s/run.json")" = '{"started":true,"exit_code":0}' ] &&
        grep -q 'Started' "$T/c.tar" && ok "changed on disk after the verdict: DIR has the verified bytes, not the new ones" ||
        not_ok "changed after verify (exit $RC): $(cat "$D/evidence/runs/r/s/run.json" 2> /dev/null)"
    expect_msg 2 'does not match its sha256' "... and the changed file, verified again, is REJECT" "$VERIFY" "$T/c.tar" --key "$PUB"
    # changed while being read: stopped when the first member's staging
    # directory is made (the reader thread is at most its 4 MiB ring ahead,
    # core/tarread.c), a byte of big.bin beyond that flipped
    cp "$T/b.tar" "$T/c2.tar"
    D=$(newdir)
    stop_at mkdirat "$T/c2.tar" "$D"
    grep -qE 'mkdirat\([0-9]+, "\.kiemthu-partial\.evidence"' "$T/st.log" && ok "... stopped at the first staged directory" ||
        not_ok "stop at mkdirat: $(head -2 "$T/st.log")"
    off=$(/usr/bin/python3 -c 'import sys, tarfile
t = tarfile.open(sys.argv[1]); m = t.getmember("evidence/big.bin"); print(m.offset_data + 7000000)' "$T/c2.tar")
    flip "$T/c2.tar" "$off"
    kill -CONT "$VP"; wait "$SP"; RC=$?
    [ "$RC" -eq 2 ] && grep -q 'evidence/big.bin' "$T/out" && nothing_in "$D" &&
        ok "changed while being read: REJECT (2) naming big.bin, nothing left in DIR" || not_ok "changed while read (exit $RC): $(head -3 "$T/out"; ls -A "$D")"
    # a link planted at the final name before the rename: never followed
    D=$T/planted
    stop_at renameat2 "$T/b.tar" "$D"
    mkdir "$T/elsewhere"; ln -s "$T/elsewhere" "$D/manifest.json"
    kill -CONT "$VP"; wait "$SP"; RC=$?
    [ "$RC" -eq 73 ] && nothing_in "$T/elsewhere" && [ -L "$D/manifest.json" ] && no_partial "$D" && [ ! -e "$D/evidence" ] &&
        ok "a symlink planted at a final name: 73, nothing written through it, what was moved is removed" ||
        not_ok "planted link (exit $RC): $(ls -A "$D" "$T/elsewhere")"
else
    skip "bundle changed while verify --extract runs (needs strace with ptrace allowed)"
fi
