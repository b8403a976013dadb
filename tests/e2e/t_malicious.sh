# A crafted corpus of hostile bundles (tests/malicious/make_bundles.py): each
# must be rejected with exit 2 and its specific reason (the honest ones pass
# or fail as they should). Then the resource caps: hostile sizes are rejected
# quickly and in bounded memory.
if ! /usr/bin/python3 -c 'import cryptography' 2> /dev/null; then
    skip "malicious bundle corpus (needs Debian's python3-cryptography to sign the crafted bundles)"
else
    MAL=$(newdir)
    run /usr/bin/python3 "$KT_SRC/tests/malicious/make_bundles.py" "$MAL" "$FIXKEYS/test-ed25519.key" "$FIXKEYS/test-other.key"
    gen_rc=$RC
    said=$(sed -n 's/^\([0-9][0-9]*\) bundles$/\1/p' "$T/out")
    n=$(wc -l < "$MAL/expect.tsv" 2> /dev/null || echo 0)
    tars=$(find "$MAL" -maxdepth 1 -name '*.tar' | wc -l)
    [ "$gen_rc" -eq 0 ] && [ -n "$said" ] && [ "$said" -eq "$n" ] && [ "$tars" -eq "$n" ] && [ "$n" -ge 61 ] &&
        ok "the generator exited 0 and wrote the $n crafted bundles it announced" ||
        not_ok "generator: exit $gen_rc, announced '${said}', expect.tsv $n lines, $tars bundles (want >= 61, all equal)"
    bad=0
    while IFS=$'\t' read -r name code reason; do
        "$VERIFY" "$MAL/$name.tar" --key "$FIXKEYS/test-ed25519.pub" > "$T/mal.out" 2>&1
        rc=$?
        if [ "$rc" -ne "$code" ] || ! grep -qE -- "$reason" "$T/mal.out"; then
            not_ok "malicious $name: exit $rc (want $code), reason /$reason/: $(grep -m1 'reason' "$T/mal.out")"
            bad=$((bad + 1))
        fi
    done < "$MAL/expect.tsv"
    [ "$bad" -eq 0 ] && ok "all $n crafted bundles: the expected exit code and their specific reason"
fi

# Resource caps: each hostile input is rejected in bounded memory (RSS from GNU time).
if [ -x /usr/bin/time ]; then
    CAP=$(newdir)
    head -c $((64 << 20)) /dev/zero > "$CAP/zeros.tar"
    head -c $((1 << 30)) /dev/zero | gzip -1 > "$CAP/bomb.tar.gz"
    /usr/bin/python3 - "$CAP/many.tar" << 'PY'
import sys
def hdr(name):
    h = bytearray(512)
    h[0:len(name)] = name
    h[100:108] = b"0000644\0"; h[108:116] = b"0000000\0"; h[116:124] = b"0000000\0"
    h[124:136] = b"00000000000\0"; h[136:148] = b"00000000000\0"; h[148:156] = b" " * 8
    h[156:157] = b"0"; h[257:265] = b"ustar\x0000"; h[329:337] = b"0000000\0"; h[337:345] = b"0000000\0"
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)
with open(sys.argv[1], "wb") as f:
    for i in range(100000):
        f.write(hdr(b"evidence/%06d" % i))
    f.write(b"\0" * 1024)
PY
    printf 'x' > "$CAP/huge.tar"; /usr/bin/python3 -c '
import sys
h = bytearray(512); n = b"evidence/huge"; h[0:len(n)] = n
h[100:108] = b"0000644\0"; h[108:116] = b"0000000\0"; h[116:124] = b"0000000\0"
h[124:136] = b"77777777777\0"; h[136:148] = b"00000000000\0"; h[148:156] = b" " * 8; h[156:157] = b"0"
h[257:265] = b"ustar\x0000"; h[329:337] = b"0000000\0"; h[337:345] = b"0000000\0"; h[148:156] = b"%06o\0 " % sum(h)
open(sys.argv[1], "wb").write(bytes(h) + b"\0" * 4096)' "$CAP/huge.tar"
    # RSS is the real tool's bound; ASan's shadow memory and redzones add ~45 MiB
    maxkb=$((64 * 1024)) note=""
    [ "${SAN_BUILD:-}" = 1 ] && maxkb=$((256 * 1024)) note=" (sanitizer build: bound relaxed to 256 MiB)"
    # a resource limit is no finding about the bundle: "could not be checked" (3)
    for c in "zeros.tar:2:trailing bytes|not a ustar" "bomb.tar.gz:2:gzip-compressed" "many.tar:3:more than 50000 members" "huge.tar:2:declares 8589934591 bytes"; do
        f=${c%%:*} re=${c#*:} want=${re%%:*} re=${re#*:}
        /usr/bin/time -f '%M %e' -o "$T/cap.time" "$VERIFY" "$CAP/$f" --key "$FIXKEYS/test-ed25519.pub" > "$T/cap.out" 2>&1
        rc=$?
        read -r kb secs < <(tail -1 "$T/cap.time")
        if [ "$rc" -eq "$want" ] && grep -qE -- "$re" "$T/cap.out" && [ "$kb" -le "$maxkb" ]; then
            ok "cap: $f refused, exit $want ($re) in ${secs}s with $((kb / 1024)) MiB peak RSS (<= $((maxkb / 1024)) MiB)$note"
        else
            not_ok "cap: $f: exit $rc, ${kb} KiB, $(grep -m1 reason "$T/cap.out")"
        fi
    done
else
    skip "resource cap tests (need GNU time: apt-get install time)"
fi
