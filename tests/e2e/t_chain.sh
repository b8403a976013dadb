# A member over 64 MiB carries the intermediate values of its SHA-256 at
# every 8 MiB (core/chain.h, docs/FORMAT.md section 3), so kiemthu-verify
# hashes one large member on every CPU. The sha256 stays what it was; every
# value must be right (a changed byte is REJECT naming its 8 MiB), from a file
# or a stream alike; a subject without values (a bundle made before format
# version 3) still verifies; values anywhere else are REJECT.

KEY=$(seckey k.key test-ed25519.key)
PUB=$FIXKEYS/test-ed25519.pub
export SOURCE_DATE_EPOCH=1718000000
# Disk: the bundle and one changed copy at a time, ~150 MiB (the cgroup v2 VM
# runs this on a tmpfs in 2 GiB); every copy is removed once used.
E=$(newdir)
make_evidence "$E"
head -c $((72 * 1048576 + 3)) /dev/urandom > "$E/big.bin" # 10 chunks, 9 values
"$BUNDLE" create -q -e "$E" -k "$KEY" -o "$T/b.tar"
tar -xOf "$T/b.tar" manifest.json > "$T/m.json"
subj() { jget "$T/m.json" "[s for s in d['subject'] if s['name'] == 'evidence/$1'][0]$2"; }
[ "$(subj big.bin "['digest']['sha256']")" = "$(sha256sum < "$E/big.bin" | cut -c1-64)" ] &&
    [ "$(subj big.bin "['digest'].__len__()")" = 1 ] &&
    [ "$(subj big.bin "['annotations']['sha256ChunkStates'].__len__()")" = 9 ] &&
    [ "$(subj big.bin ".keys().__str__()")" = "dict_keys(['annotations', 'digest', 'name'])" ] &&
    [ "$(subj venue.json ".keys().__str__()")" = "dict_keys(['digest', 'name'])" ] &&
    ok "create: the 72 MiB member's subject has its sha256 and 9 chain values; a small one none" ||
    not_ok "create: subjects $(head -c 400 "$T/m.json")"
rm -f "$E/big.bin"

verdict() { # verdict HOW BUNDLE: exit status and verdict as "RC VERDICT"
    case $1 in
    file) run "$VERIFY" "$2" --key "$PUB" -f json ;;
    stream) run sh -c "cat '$2' | '$VERIFY' - --key '$PUB' -f json" ;;
    onecpu) run taskset -c 0 "$VERIFY" "$2" --key "$PUB" -f json ;;
    esac
    echo "$RC $(jget "$T/out" 'd["verdict"]')"
}
for how in file stream onecpu; do
    [ "$how" = onecpu ] && ! command -v taskset > /dev/null && { skip "one CPU (needs taskset)"; continue; }
    v=$(verdict $how "$T/b.tar")
    [ "$v" = "4 AUTHENTIC" ] && ok "verify ($how): AUTHENTIC" || not_ok "verify ($how): $v"
done
expect 4 "the by-hand script (sha256sum and openssl only): AUTHENTIC" \
    sh "$KT_SRC/verify/kiemthu-verify-by-hand.sh" "$T/b.tar" "$PUB"

# One byte changed in chunk 4, and the last byte: REJECT, the same reason from
# a file (chunks on every CPU) and from a stream (one pass).
at() { /usr/bin/python3 -c 'import sys, tarfile
m = tarfile.open(sys.argv[1]).getmember("evidence/big.bin")
print(m.offset_data + (m.size - 1 if sys.argv[2] == "last" else int(sys.argv[2])))' "$T/b.tar" "$1"; }
flip() { # flip OFFSET OUT
    cp "$T/b.tar" "$2"
    /usr/bin/python3 -c 'import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2])); b = f.read(1); f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 0x40]))' "$2" "$1"
}
flip "$(at $((4 * 8388608 + 12345)))" "$T/c4.tar"
for how in file stream; do
    verdict $how "$T/c4.tar" > /dev/null
    grep -q 'does not match its manifest in bytes 33554432 to 41943040 (chain value 4)' "$T/out" &&
        [ "$RC" -eq 2 ] && ok "a byte changed in chunk 4 ($how): REJECT naming bytes 32-40 MiB" ||
        not_ok "a byte changed in chunk 4 ($how, exit $RC)"
done
expect 2 "the by-hand script on the changed chunk: REJECT" \
    sh "$KT_SRC/verify/kiemthu-verify-by-hand.sh" "$T/c4.tar" "$PUB"
rm -f "$T/c4.tar"
flip "$(at last)" "$T/cl.tar"
for how in file stream; do
    verdict $how "$T/cl.tar" > /dev/null
    grep -q 'big.bin\\" does not match its sha256' "$T/out" && [ "$RC" -eq 2 ] &&
        ok "the last byte changed ($how): REJECT, its sha256" || not_ok "the last byte changed ($how, exit $RC)"
done

# resign IN OUT PYTHON: the manifest changed by PYTHON (over d, and the
# subjects by file name, s), signed again and rebuilt (lib.sh resign_bundle).
resign() {
    resign_bundle "$1" "$2" "$KEY" "$PUB" /usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[2]))
s = {x["name"].split("/", 1)[1]: x for x in d["subject"]}
exec(sys.argv[1])
open(sys.argv[2], "w").write(json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n")' "$3"
}
K=sha256ChunkStates
# As format version 2 wrote it (no values): its sha256 decides, both ways.
resign "$T/cl.tar" "$T/v2l.tar" 'del s["big.bin"]["annotations"]'
rm -f "$T/cl.tar"
v=$(verdict file "$T/v2l.tar")
[ "$v" = "2 REJECT" ] && ok "a format-2 subject, the last byte changed: REJECT" || not_ok "format 2, changed: $v"
rm -f "$T/v2l.tar"
resign "$T/b.tar" "$T/v2.tar" 'del s["big.bin"]["annotations"]'
for how in file stream; do
    v=$(verdict $how "$T/v2.tar")
    [ "$v" = "4 AUTHENTIC" ] && ok "a subject without values, as before version 3 ($how): AUTHENTIC" ||
        not_ok "a format-2 subject ($how): $v"
done
rm -f "$T/v2.tar"
# Signed, but a value wrong: kiemthu-verify is stricter than the sha256 alone.
resign "$T/b.tar" "$T/wrong.tar" 'v = s["big.bin"]["annotations"]["'$K'"]; v[2] = v[2][:-1] + ("0" if v[2][-1] != "0" else "1")'
for how in file stream; do
    verdict $how "$T/wrong.tar" > /dev/null
    [ "$RC" -eq 2 ] && grep -q '(chain value 2)' "$T/out" && ok "a signed wrong value 2 ($how): REJECT naming it" ||
        not_ok "a signed wrong value ($how, exit $RC)"
done
expect 4 "the same to the by-hand script, which checks the sha256 only: AUTHENTIC (documented)" \
    sh "$KT_SRC/verify/kiemthu-verify-by-hand.sh" "$T/wrong.tar" "$PUB"
rm -f "$T/wrong.tar"
# Values where none belong, too few, another annotation: REJECT.
resign "$T/b.tar" "$T/small.tar" 's["venue.json"]["annotations"] = {"'$K'": ["00" * 32]}'
expect_msg 2 'only a member over 67108864 bytes may' "values on a small member: REJECT" \
    "$VERIFY" "$T/small.tar" --key "$PUB"
rm -f "$T/small.tar"
resign "$T/b.tar" "$T/few.tar" 's["big.bin"]["annotations"]["'$K'"].pop()'
expect_msg 2 'annotations are not \{"sha256ChunkStates": 9 values\}' "8 values for 10 chunks: REJECT" \
    "$VERIFY" "$T/few.tar" --key "$PUB"
rm -f "$T/few.tar"
resign "$T/b.tar" "$T/more.tar" 's["big.bin"]["annotations"]["note"] = "x"'
expect_msg 2 'annotations are not' "another annotation beside the values: REJECT" \
    "$VERIFY" "$T/more.tar" --key "$PUB"
rm -f "$T/more.tar"
# Exactly 64 MiB (sparse: no disk): no values made; values put there: REJECT.
G=$(newdir)
truncate -s 64M "$G/edge.bin"
"$BUNDLE" create -q -e "$G" -k "$KEY" -o "$T/edge.tar"
rm -rf "$G"
[ "$(tar -xOf "$T/edge.tar" manifest.json | grep -c annotations)" = 0 ] &&
    ok "create: a member of exactly 64 MiB has no chain values" || not_ok "a 64 MiB member has values"
resign "$T/edge.tar" "$T/edgev.tar" 's["edge.bin"]["annotations"] = {"'$K'": ["00" * 32] * 7}'
rm -f "$T/edge.tar"
expect_msg 2 'only a member over 67108864 bytes may' "values on the 64 MiB member: REJECT" \
    "$VERIFY" "$T/edgev.tar" --key "$PUB"
rm -f "$T/edgev.tar"

# The by-hand script takes the subjects from the subject list only, each in
# exactly the form kiemthu-verify accepts: an object with "digest" and "name"
# elsewhere (here in the predicate) is not a subject; a subject with another
# algorithm and the true digest hidden in annotations is REJECT by both.
resign "$T/b.tar" "$T/decoy.tar" 'd["predicate"]["runs"] = [{"a": 0, "digest": {"sha256": "ab" * 32}, "name": "evidence/big.bin"}]'
expect 4 "a digest/name object in the predicate: kiemthu-verify AUTHENTIC" "$VERIFY" "$T/decoy.tar" --key "$PUB"
expect 4 "... and the by-hand script AUTHENTIC, reading the subject list only" \
    sh "$KT_SRC/verify/kiemthu-verify-by-hand.sh" "$T/decoy.tar" "$PUB"
rm -f "$T/decoy.tar"
resign "$T/b.tar" "$T/hidden.tar" 'x = s["venue.json"]; real = x["digest"]["sha256"]; x["digest"] = {"sha256": "ab" * 32, "sha512": "00" * 64}; x["annotations"] = {"x": {"a": 0, "digest": {"sha256": real}, "name": x["name"]}}'
expect 2 "a subject's true digest hidden in its annotations: kiemthu-verify REJECT" "$VERIFY" "$T/hidden.tar" --key "$PUB"
expect_msg 2 'a manifest subject is not' "... and the by-hand script REJECT" \
    sh "$KT_SRC/verify/kiemthu-verify-by-hand.sh" "$T/hidden.tar" "$PUB"
rm -f "$T/hidden.tar"

# Two CPUs: the chunks of the bundle's one large member are read by two
# threads at once (their reads interleave); on one CPU by one at a time
# (each chunk may have a read-ahead thread of its own, never two at once).
if [ "$(nproc)" -ge 2 ] && command -v taskset > /dev/null && command -v strace > /dev/null &&
    strace -o /dev/null true 2> /dev/null; then
    export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 # LeakSanitizer cannot run under ptrace
    range() { /usr/bin/python3 -c 'import sys, tarfile
m = tarfile.open(sys.argv[1]).getmember("evidence/big.bin")
print(m.offset_data, m.offset_data + 9 * 8388608 - 1)' "$T/b.tar"; }
    interleaved() { # interleaved CMD...: times a thread reads chunks 0-8 again after another did
        # (not the 3-byte last chunk, which the tar reader's read of the next header also covers)
        strace -f -o "$T/pool.log" -e trace=pread64 "$@" "$VERIFY" "$T/b.tar" --key "$PUB" > /dev/null 2>&1
        awk -v lo="${r% *}" -v hi="${r#* }" '/^[0-9]+ +pread64\(/ { n = split($0, a, ", "); split(a[n], o, ")")
                if (o[1] + 0 < lo || o[1] + 0 > hi) next
                if ($1 != cur) { if ($1 in done) back++; if (cur != "") done[cur] = 1; cur = $1 } }
            END { print back + 0 }' "$T/pool.log"
    }
    r=$(range)
    two=$(interleaved) one=$(interleaved taskset -c 0)
    [ "${two:-0}" -ge 1 ] && [ "${one:-1}" -eq 0 ] &&
        ok "one 72 MiB member: its chunks read by threads at once on $(nproc) CPUs ($two switches back), one at a time on one" ||
        not_ok "one large member's chunks: ${two:-?} switches back on $(nproc) CPUs, ${one:-?} on one"
else
    skip "threads reading one large member (needs 2 CPUs, taskset and strace with ptrace allowed)"
fi
rm -f "$T/b.tar" "$T/pool.log"
