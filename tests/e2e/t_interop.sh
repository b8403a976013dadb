# Independent tools read, extract and verify what kiemthu writes.
E=$(newdir); make_evidence "$E"
KEY=$(seckey k.key test-ed25519.key)
PUB=$FIXKEYS/test-ed25519.pub
export SOURCE_DATE_EPOCH=1718000000
run "$BUNDLE" create -e "$E" -k "$KEY" -o "$T/i.tar"
[ "$RC" -eq 0 ] && ok "create for interop" || not_ok "create for interop"
B=$T/i.tar

# GNU tar and bsdtar list and extract; extracted evidence equals the input.
X=$(newdir)
if tar -xf "$B" -C "$X" && diff -r "$E" "$X/evidence" > /dev/null; then ok "GNU tar extracts the evidence unchanged"
else not_ok "GNU tar extracts the evidence unchanged"; fi
[ "$(tar -tf "$B" | wc -l)" -eq 8 ] && ok "GNU tar lists 8 members" || not_ok "GNU tar lists 8 members"
if command -v bsdtar > /dev/null; then
    X2=$(newdir)
    if bsdtar -xf "$B" -C "$X2" && diff -r "$E" "$X2/evidence" > /dev/null; then ok "bsdtar extracts the evidence unchanged"
    else not_ok "bsdtar extracts the evidence unchanged"; fi
else skip "bsdtar not installed (apt-get install libarchive-tools)"; fi
if /usr/bin/python3 -c 'import sys, tarfile
t = tarfile.open(sys.argv[1]); m = t.getmembers()
assert [x.name for x in m] == sorted(x.name for x in m)
assert all(x.isreg() and x.uid == 0 and x.mode == 0o644 and x.mtime == 1718000000 for x in m)
' "$B" 2> "$T/err"; then ok "python tarfile reads uid 0, mode 0644, mtime = SOURCE_DATE_EPOCH"
else not_ok "python tarfile reads uid 0, mode 0644, mtime = SOURCE_DATE_EPOCH"; fi

# GNU tar rebuilds the same bytes from the extracted members (docs/FORMAT.md §2).
GNUTAR_CANON="tar --format=pax --pax-option=exthdr.name=././@PaxHeader,delete=atime,delete=ctime
    --owner=0 --group=0 --numeric-owner --mode=0644 -b1 --no-recursion"
if (cd "$X" && $GNUTAR_CANON --mtime=@1718000000 -cf "$T/gnu.tar" $(tar -tf "$B")) && cmp -s "$T/gnu.tar" "$B"; then
    ok "GNU tar rebuilds the bundle byte for byte"
else not_ok "GNU tar rebuilds the bundle byte for byte"; fi

# The auditor's by-hand script (GNU tar + sha256sum + openssl, no kiemthu).
BYHAND=$KT_SRC/verify/kiemthu-verify-by-hand.sh
expect_msg 4 '^AUTHENTIC \(by hand\), NO POLICY' "by-hand verification (tar, sha256sum, openssl pkeyutl -rawin): authentic, no policy (4)" sh "$BYHAND" "$B" "$PUB"
expect_msg 2 'signatures of 1 pinned keys required, 0 found' "by-hand verification rejects another key" sh "$BYHAND" "$B" "$FIXKEYS/test-other.pub"
cp "$B" "$T/t1.tar"; printf 'Z' | dd of="$T/t1.tar" bs=1 seek=$((512 * 9 + 3)) conv=notrunc 2> /dev/null
expect 2 "by-hand verification rejects changed evidence bytes" sh "$BYHAND" "$T/t1.tar" "$PUB"
expect 2 "kiemthu-verify rejects the same change" "$VERIFY" "$T/t1.tar" --key "$PUB"
cp "$B" "$T/t2.tar"; head -c 512 /dev/zero >> "$T/t2.tar"
expect 2 "by-hand verification rejects an extra zero block" sh "$BYHAND" "$T/t2.tar" "$PUB"
expect_msg 2 'trailing bytes' "kiemthu-verify rejects an extra zero block" "$VERIFY" "$T/t2.tar" --key "$PUB"

# python3-cryptography (Debian) checks the DSSE signature independently.
if /usr/bin/python3 -c 'import cryptography' 2> /dev/null; then
    if (cd "$X" && /usr/bin/python3 - "$PUB" <<'PY'
import base64, json, sys
from cryptography.hazmat.primitives.serialization import load_pem_public_key
env = json.load(open("manifest.dsse.json"))
body = base64.b64decode(env["payload"]); t = env["payloadType"].encode()
pae = b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)
load_pem_public_key(open(sys.argv[1], "rb").read()).verify(base64.b64decode(env["signatures"][0]["sig"]), pae)
assert body == open("manifest.json", "rb").read()
st = json.loads(body)
assert st["_type"] == "https://in-toto.io/Statement/v1"
import hashlib
for s in st["subject"]:
    assert hashlib.sha256(open(s["name"], "rb").read()).hexdigest() == s["digest"]["sha256"], s
PY
    ); then ok "python3-cryptography verifies the DSSE signature and every subject"
    else not_ok "python3-cryptography verifies the DSSE signature and every subject"; fi
else skip "python3-cryptography not installed (apt-get install python3-cryptography)"; fi

# Keys made by openssl work end to end.
OK=$T/ossl.key
openssl genpkey -algorithm ed25519 -out "$OK" 2> /dev/null && chmod 600 "$OK" && openssl pkey -in "$OK" -pubout -out "$T/ossl.pub"
expect 0 "create with an openssl-generated key" "$BUNDLE" create -e "$E" -k "$OK" -o "$T/o.tar"
expect 4 "verify with the openssl-written public key (authentic, no policy)" "$VERIFY" "$T/o.tar" --key "$T/ossl.pub"

# Byte-reproducible across processes whatever mtimes, modes, umask and order.
E2=$(newdir)
(umask 077; cp -r "$E/." "$E2/")
touch -d '2001-02-03' "$E2/venue.json"; chmod 600 "$E2/tests/junit.xml"
mv "$E2/runs" "$E2/runs.tmp" && cp -r "$E2/runs.tmp" "$E2/runs" && rm -r "$E2/runs.tmp"
expect 0 "create from a copy with other mtimes/modes/umask" "$BUNDLE" create -e "$E2" -k "$KEY" -o "$T/r.tar"
cmp -s "$T/r.tar" "$B" && ok "bundles are byte-identical" || not_ok "bundles are byte-identical"
SOURCE_DATE_EPOCH=1718000001 "$BUNDLE" create -q -e "$E" -k "$KEY" -o "$T/r2.tar"
cmp -s "$T/r2.tar" "$B" && not_ok "another SOURCE_DATE_EPOCH changes the bytes" || ok "another SOURCE_DATE_EPOCH changes the bytes"
unset SOURCE_DATE_EPOCH

# Atomic output: killed mid-write or disk full leaves nothing under the name.
# The kill lands once the output file is open and holds data (no timing guess).
BIG=$(newdir); head -c $((400 << 20)) /dev/zero > "$BIG/big"
OUTD=$(newdir)
"$BUNDLE" create -q -e "$BIG" -k "$KEY" -o "$OUTD/big.tar" & pid=$!
written=0
for _ in $(seq 1 2000); do
    for fd in /proc/$pid/fd/*; do
        case "$(readlink "$fd" 2> /dev/null)" in
        "$OUTD"/*) written=$(stat -L -c %s "$fd" 2> /dev/null || echo 0) ;;
        esac
    done
    [ "$written" -gt 0 ] && break
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.005
done
kill -9 "$pid" 2> /dev/null; wait "$pid" 2> /dev/null
if [ "$written" -gt 0 ] && [ -z "$(ls -A "$OUTD")" ]; then
    ok "SIGKILL with the output open and $written bytes written leaves no file at all (O_TMPFILE)"
elif [ "$written" -eq 0 ]; then not_ok "create was not seen writing its output (cannot test the kill)"
else not_ok "SIGKILL during create left: $(ls -A "$OUTD")"; fi
if is_root && command -v unshare > /dev/null; then
    expect_msg 74 'No space left on device' "disk full: exit 74 with the reason" unshare -m sh -c "
        mount -t tmpfs -o size=1m tmpfs '$OUTD' && '$BUNDLE' create -e '$BIG' -k '$KEY' -o '$OUTD/big.tar';
        rc=\$?; ls -A '$OUTD' > '$T/leftover'; exit \$rc"
    [ -s "$T/leftover" ] && not_ok "disk full left: $(cat "$T/leftover")" || ok "disk full leaves nothing behind"
else skip "disk-full simulation (needs root for a private tmpfs mount)"; fi
rm -rf "$BIG"

# Any file name is stored (docs/FORMAT.md §1): spaces, '%', control bytes,
# UTF-8, a 255-byte component, a 720-byte encoded component, deep paths.
W=$(newdir)
mkdir -p "$W/out/sub dir" "$W/$(printf 'd%.0s' $(seq 1 120))/e"
printf 1 > "$W/out/a b"; printf 2 > "$W/out/a-b"; printf 3 > "$W/out/100%"
printf 4 > "$W/out/$(printf 'esc\033[2J\ttab')"; printf 5 > "$W/out/sub dir/r$(printf '\303\251')sum$(printf '\303\251')"
printf 6 > "$W/out/$(printf 'L%.0s' $(seq 1 255))"
printf 7 > "$W/out/$(/usr/bin/python3 -c 'print("\u1ea1" * 80, end="")')"
printf 8 > "$W/$(printf 'd%.0s' $(seq 1 120))/e/f"
expect 0 "create stores files with any name" "$BUNDLE" create -e "$W" -k "$KEY" -o "$T/w.tar"
expect_msg 4 '^AUTHENTIC ' "verify accepts the encoded names" "$VERIFY" "$T/w.tar" --key "$PUB"
expect_msg 4 '^AUTHENTIC \(by hand\), NO POLICY: .* 8 evidence files match; canonical bytes rebuilt by GNU tar' \
    "by-hand script: long names through stand-ins, GNU tar rebuilds the bytes" sh "$BYHAND" "$T/w.tar" "$PUB"
tar -tf "$T/w.tar" > "$T/wnames"
grep -qx 'evidence/out/a%20b' "$T/wnames" && grep -qx 'evidence/out/100%25' "$T/wnames" &&
    grep -qx 'evidence/out/esc%1B%5B2J%09tab' "$T/wnames" && grep -qx 'evidence/out/sub%20dir/r%C3%A9sum%C3%A9' "$T/wnames" &&
    ok "GNU tar lists the encoded names" || not_ok "GNU tar lists the encoded names: $(head -3 "$T/wnames")"
if /usr/bin/python3 - "$T/w.tar" "$W" << 'PY' 2> "$T/err"
import os, sys, tarfile, urllib.parse
t = tarfile.open(sys.argv[1])
n = 0
for m in t.getmembers():
    if not m.name.startswith("evidence/"):
        continue
    raw = urllib.parse.unquote_to_bytes(m.name[len("evidence/"):])
    assert urllib.parse.quote_from_bytes(raw, safe="._-+@=,:~/") == m.name[9:], m.name
    fd = os.open(raw, os.O_RDONLY, dir_fd=os.open(sys.argv[2], os.O_RDONLY))
    assert os.read(fd, 100) == t.extractfile(m).read(), m.name
    n += 1
assert n == 8, n
PY
then ok "python tarfile: every member name percent-decodes to its file, same bytes"
else not_ok "python tarfile: every member name percent-decodes to its file"; fi
if tar -xOf "$T/w.tar" "$(grep '%E1%BA%A1' "$T/wnames")" | cmp -s - <(printf 7); then
    ok "GNU tar reads the 720-byte name back from its pax path record"
else not_ok "GNU tar reads the 720-byte name back from its pax path record"; fi
