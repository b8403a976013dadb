# Archival trust (issue 14): RFC 3161 tokens from a real TSA (`openssl ts
# -reply` behind tests/helpers/tsa-server.py on 127.0.0.1), several signatures
# with a threshold, and a keyring with validity windows and revocation.
if ! /usr/bin/python3 -c 'import cryptography' 2> /dev/null; then
    skip "archival trust tests (need Debian's python3-cryptography for an expired TSA certificate)"
    return 0 2> /dev/null || exit 0
fi
KA=$(seckey a.key test-ed25519.key) PA=$FIXKEYS/test-ed25519.pub
KB=$(seckey b.key test-other.key) PB=$FIXKEYS/test-other.pub
KC=$T/c; "$BUNDLE" keygen -o "$KC" > /dev/null; PC=$KC.pub KC=$KC.key
HELP=$KT_SRC/tests/helpers
PKI=$(newdir)
sh "$HELP/mktsa.sh" "$PKI/ca1" "kt test CA"
sh "$HELP/mktsa.sh" "$PKI/tsa1" "kt test TSA" "$PKI/ca1"
sh "$HELP/mktsa.sh" "$PKI/ca2" "another CA"
sh "$HELP/mktsa.sh" "$PKI/tsa2" "an unpinned TSA" "$PKI/ca2"
sh "$HELP/mktsa.sh" "$PKI/tsax" "an expired TSA" "$PKI/ca1"
# tsax: the same key, re-certified by CA1 for 2020 only (expired at any genTime now)
/usr/bin/python3 - "$PKI" << 'PY'
import datetime, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
d = sys.argv[1]
ca_key = serialization.load_pem_private_key(open(d + "/ca1/ca.key", "rb").read(), None)
ca = x509.load_pem_x509_certificate(open(d + "/ca1/ca.crt", "rb").read())
key = serialization.load_pem_private_key(open(d + "/tsax/tsa.key", "rb").read(), None)
cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "an expired TSA")]))
        .issuer_name(ca.subject).public_key(key.public_key()).serial_number(4242)
        .not_valid_before(datetime.datetime(2020, 1, 1)).not_valid_after(datetime.datetime(2021, 1, 1))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256()))
open(d + "/tsax/tsa.crt", "wb").write(cert.public_bytes(serialization.Encoding.PEM))
PY
# The servers' pids go to a file (start_tsa runs in $(...), a subshell), and
# they are stopped when this file's shell exits, whatever happened before.
TSA_PIDS=$T/tsa.pids
: > "$TSA_PIDS"
trap 'kill $(cat "$TSA_PIDS") 2> /dev/null' EXIT
start_tsa() { # start_tsa DIR [MODE]: prints the URL
    rm -f "$1/port"
    # $$: this file's shell (not the $(...) subshell): the server ends with it
    /usr/bin/python3 "$HELP/tsa-server.py" "$1" "$1/port" "${2:-ok}" $$ > /dev/null 2>&1 &
    echo $! >> "$TSA_PIDS"
    for _ in $(seq 1 200); do [ -s "$1/port" ] && break; sleep 0.05; done
    echo "http://127.0.0.1:$(cat "$1/port")"
}
U1=$(start_tsa "$PKI/tsa1") U2=$(start_tsa "$PKI/tsa2") UX=$(start_tsa "$PKI/tsax")
mkdir -p "$PKI/bad" && cp "$PKI"/tsa1/* "$PKI/bad/"
U500=$(start_tsa "$PKI/bad" http500)
E=$(newdir); make_evidence "$E"
CA1=$PKI/ca1/ca.crt

# a good token, two signatures
expect_msg 0 'time-stamped by http://127.0.0.1' "create --key A --key B --tsa: signed twice and time-stamped" \
    "$BUNDLE" create -e "$E" -k "$KA" -k "$KB" --tsa "$U1" -o "$T/ab.tar"
run "$VERIFY" "$T/ab.tar" --key "$PA" --key "$PB" --threshold 2 --tsa-cert "$CA1"
[ "$RC" -eq 4 ] && grep -q '^  time-stamped: 20[0-9-]*T[0-9:]*Z by /CN=kt test TSA (verified' "$T/out" &&
    grep -q 'keys judged at .*, the token.s time' "$T/out" && grep -q '2 trusted keys signed and count, 2 required' "$T/out" &&
    ok "verify --threshold 2 --tsa-cert: AUTHENTIC (no policy: 4), the trusted time printed" || not_ok "threshold 2 + token (exit $RC)"
expect_msg 4 '"timestamp":\{"gen_time":"20[^"]*","serial":"[0-9A-F]+","tsa":"/CN=kt test TSA","verified":true\}' \
    "JSON: the verified time-stamp" "$VERIFY" "$T/ab.tar" --key "$PA" --key "$PB" --tsa-cert "$CA1" -f json
expect_msg 4 'time-stamped <code>20' "Markdown: the time-stamp" "$VERIFY" "$T/ab.tar" --key "$PA" --tsa-cert "$CA1" -f markdown
expect 4 "the TSA certificate itself may be the pinned one" "$VERIFY" "$T/ab.tar" --key "$PA" --tsa-cert "$PKI/tsa1/tsa.crt"
expect_msg 4 'time-stamp token: says .* NOT verified' "without --tsa-cert the token is shown, not trusted" \
    "$VERIFY" "$T/ab.tar" --key "$PA"
X=$(newdir); tar -xf "$T/ab.tar" -C "$X" manifest.dsse.json timestamp.tst
expect_msg 0 '^Verification: OK' "openssl ts -verify accepts the stored token over manifest.dsse.json (interop)" \
    openssl ts -verify -data "$X/manifest.dsse.json" -in "$X/timestamp.tst" -token_in -CAfile "$CA1"

# every negative the issue lists: exit 2 with a reason
"$BUNDLE" create -q -e "$E" -k "$KA" --tsa "$U1" -o "$T/a.tar" > /dev/null
"$BUNDLE" create -q -e "$E" -k "$KA" --tsa "$U2" -o "$T/a2.tar" > /dev/null
"$BUNDLE" create -q -e "$E" -k "$KA" --tsa "$UX" -o "$T/ax.tar" > /dev/null
tar -xf "$T/ab.tar" -C "$X" timestamp.tst
/usr/bin/python3 "$HELP/retoken.py" "$T/a.tar" "$T/other.tar" "$X/timestamp.tst"
expect_msg 2 'time-stamp token does not verify.*message imprint mismatch' "a token for other data (another bundle's): REJECT" \
    "$VERIFY" "$T/other.tar" --key "$PA" --tsa-cert "$CA1"
expect_msg 2 'time-stamp token does not verify.*certificate' "a token from an unpinned TSA: REJECT" \
    "$VERIFY" "$T/a2.tar" --key "$PA" --tsa-cert "$CA1"
expect_msg 2 'time-stamp token does not verify.*(expired|not yet valid)' "a TSA certificate expired at genTime: REJECT" \
    "$VERIFY" "$T/ax.tar" --key "$PA" --tsa-cert "$CA1"
bad=""
for i in 40 200 600 900 1200; do
    /usr/bin/python3 "$HELP/retoken.py" "$T/a.tar" "$T/flip.tar" "flip:$i"
    "$VERIFY" "$T/flip.tar" --key "$PA" --tsa-cert "$CA1" > "$T/o" 2>&1; rc=$?
    [ "$rc" -eq 2 ] || bad="$bad $i($rc)"
done
[ -z "$bad" ] && ok "a tampered token (a byte flipped at 5 places): REJECT each" || not_ok "tampered token accepted at:$bad"
/usr/bin/python3 "$HELP/retoken.py" "$T/a.tar" "$T/drop.tar" drop
expect_msg 2 'no timestamp.tst, but TSA certificates are pinned' "--tsa-cert and no token: REJECT" \
    "$VERIFY" "$T/drop.tar" --key "$PA" --tsa-cert "$CA1"
expect_msg 2 'pinned TSA certificate' "the by-hand script rejects a token for other data" \
    sh "$KT_SRC/verify/kiemthu-verify-by-hand.sh" "$T/other.tar" "$PA" --tsa-ca "$CA1"
expect_msg 4 '^AUTHENTIC \(by hand\), NO POLICY: .*time-stamp token verified' "by hand: two signatures and the token (openssl ts -verify -attime)" \
    sh "$KT_SRC/verify/kiemthu-verify-by-hand.sh" "$T/ab.tar" "$PA" "$PB" --threshold 2 --tsa-ca "$CA1"
expect_msg 2 'signatures of 2 pinned keys required, 1' "by hand: --threshold 2 with one signer" \
    sh "$KT_SRC/verify/kiemthu-verify-by-hand.sh" "$T/a.tar" "$PA" "$PB" --threshold 2

# thresholds: 2-of-3 with one key missing fails, with two passes
expect_msg 2 '1 trusted keys signed and count, 2 required' "2-of-3: one signature is not enough" \
    "$VERIFY" "$T/a.tar" --key "$PA" --key "$PB" --key "$PC" --threshold 2
expect 4 "2-of-3: two signatures pass" "$VERIFY" "$T/ab.tar" --key "$PA" --key "$PB" --key "$PC" --threshold 2
expect_msg 2 '2 trusted keys signed and count, 3 required' "3-of-3 with two signatures: REJECT" \
    "$VERIFY" "$T/ab.tar" --key "$PA" --key "$PB" --key "$PC" --threshold 3
expect_msg 4 'also signed by key [0-9a-f]*: not trusted, not checked' "a signature by an unpinned key is allowed and reported" \
    "$VERIFY" "$T/ab.tar" --key "$PA"
expect_msg 64 'threshold is 3, but only 2 keys' "a threshold above the trusted keys: usage error" \
    "$VERIFY" "$T/ab.tar" --key "$PA" --key "$PB" --threshold 3

# the keyring: validity windows and revocation, judged at the token's genTime
keyring() { # keyring OUT THRESHOLD NAME:PUB:NOT_BEFORE:NOT_AFTER:REVOKED_AT...
    /usr/bin/python3 - "$@" "$CA1" << 'PY'
import json, sys
out, thr, *keys, ca = sys.argv[1:]
ring = {"kiemthuTrust": 1, "threshold": int(thr), "keys": [], "tsa_certs": [open(ca).read()]}
for k in keys:
    name, pub, nb, na, rv = k.split("|")
    e = {"name": name, "public_key": open(pub).read()}
    for f, v in (("not_before", nb), ("not_after", na), ("revoked_at", rv)):
        if v:
            e[f] = v
    ring["keys"].append(e)
json.dump(ring, open(out, "w"), indent=1)
PY
}
past=2020-01-01T00:00:00Z later=2099-01-01T00:00:00Z
keyring "$T/r1.json" 1 "ci-a|$PA|$past|$later|$later"
expect_msg 4 'signed by key [0-9a-f]* \(keyring: ci-a\)' "keyring: a key inside its window counts" "$VERIFY" "$T/a.tar" --trust "$T/r1.json"
keyring "$T/r2.json" 1 "ci-a|$PA|$past|$later|2021-01-01T00:00:00Z"
expect_msg 2 'key revoked' "revocation: a key revoked before the token's time does not count" "$VERIFY" "$T/a.tar" --trust "$T/r2.json"
keyring "$T/r3.json" 1 "ci-a|$PA|$past|$later|2098-01-01T00:00:00Z"
expect 4 "revocation: a key revoked after the token's time still counts (signed before it leaked)" "$VERIFY" "$T/a.tar" --trust "$T/r3.json"
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
keyring "$T/r4.json" 1 "ci-a|$PA|$past|$later|$now"
/usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); del r["tsa_certs"]; json.dump(r, open(sys.argv[2], "w"))' "$T/r4.json" "$T/r4b.json"
expect_msg 2 'key revoked' "without a token the keys are judged now: a key revoked since does not count" \
    "$VERIFY" "$T/drop.tar" --trust "$T/r4b.json"
keyring "$T/r5.json" 1 "ci-a|$PA|$past|2021-01-01T00:00:00Z|"
expect_msg 2 'key expired' "expiry: a key whose window ended before the token's time does not count" "$VERIFY" "$T/a.tar" --trust "$T/r5.json"
keyring "$T/r6.json" 1 "ci-a|$PA|2098-01-01T00:00:00Z|$later|"
expect_msg 2 'key not yet valid' "a key whose window starts after the token's time does not count" "$VERIFY" "$T/a.tar" --trust "$T/r6.json"
# rotation: the old key's window closed, the new key's opened; a bundle signed by the new one passes
keyring "$T/r7.json" 1 "old|$PB|$past|2021-01-01T00:00:00Z|" "new|$PA|2021-01-01T00:00:00Z|$later|"
expect 4 "rotation: signed by the new key, inside its window" "$VERIFY" "$T/a.tar" --trust "$T/r7.json"
"$BUNDLE" create -q -e "$E" -k "$KB" --tsa "$U1" -o "$T/b.tar" > /dev/null
expect_msg 2 'key expired' "rotation: signed by the retired key after its window" "$VERIFY" "$T/b.tar" --trust "$T/r7.json"
keyring "$T/r8.json" 2 "ci-a|$PA|$past|$later|" "ci-b|$PB|$past|$later|" "ci-c|$PC|$past|$later|"
expect 2 "keyring threshold 2 of 3: one signer is not enough" "$VERIFY" "$T/a.tar" --trust "$T/r8.json"
expect 4 "keyring threshold 2 of 3: two signers pass" "$VERIFY" "$T/ab.tar" --trust "$T/r8.json"
printf '{"kiemthuTrust": 1, "keys": [], "extra": 1}' > "$T/bad.json"
expect_msg 64 'cannot use --trust' "a malformed keyring: usage error" "$VERIFY" "$T/a.tar" --trust "$T/bad.json"
sed 's/"not_after": "2099-01-01T00:00:00Z"/"not_after": "2099-02-31T00:00:00Z"/' "$T/r8.json" > "$T/bad2.json"
expect_msg 64 'not_after must be a time' "a keyring with an impossible date: usage error" "$VERIFY" "$T/a.tar" --trust "$T/bad2.json"

# kiemthu-bundle timestamp: a token added to an existing bundle
"$BUNDLE" create -q -e "$E" -k "$KA" -o "$T/plain.tar" > /dev/null
expect 0 "timestamp adds a token to a bundle" "$BUNDLE" timestamp "$T/plain.tar" --tsa "$U1" -o "$T/stamped.tar"
expect 4 "... which verifies against the pinned TSA" "$VERIFY" "$T/stamped.tar" --key "$PA" --tsa-cert "$CA1"
cmp -s <(head -c $(($(stat -c %s "$T/plain.tar") - 1024)) "$T/plain.tar") \
    <(head -c $(($(stat -c %s "$T/plain.tar") - 1024)) "$T/stamped.tar") &&
    ok "timestamp keeps every byte of the members before the token" || not_ok "timestamp changed the members"
expect_msg 65 'already has a time-stamp token' "a second timestamp is refused" "$BUNDLE" timestamp "$T/stamped.tar" --tsa "$U1" -o "$T/twice.tar"

# a TSA that misbehaves: the error is named and nothing is written
expect_msg 65 'answered HTTP 500' "create with a TSA answering HTTP 500: exit 65" \
    "$BUNDLE" create -e "$E" -k "$KA" --tsa "$U500" -o "$T/fail.tar"
expect_msg 74 'TSA http://127.0.0.1:1: ' "create with no TSA listening: exit 74 (I/O), naming it" \
    "$BUNDLE" create -e "$E" -k "$KA" --tsa "http://127.0.0.1:1" -o "$T/fail.tar"
for mode in text garbage huge; do
    cp "$PKI"/tsa1/* "$PKI/bad/"; ub=$(start_tsa "$PKI/bad" "$mode")
    expect 65 "create with a TSA answering $mode: exit 65" "$BUNDLE" create -e "$E" -k "$KA" --tsa "$ub" -o "$T/fail.tar"
done
[ -e "$T/fail.tar" ] && not_ok "a failed time-stamp left $T/fail.tar" || ok "no failed time-stamp left a bundle behind"
expect_msg 64 'must be http:// or https://' "--tsa file:// is refused" "$BUNDLE" create -e "$E" -k "$KA" --tsa "file:///etc/passwd" -o "$T/fail.tar"

# https:// (libcurl, certificate checked against the system's CA bundle): a
# TSA whose TLS certificate no trusted CA issued is refused, nothing written;
# trusted (the test CA bind-mounted over the CA bundle, in a mount namespace of
# this test's own), the token arrives over TLS and verifies.
mkdir -p "$PKI/tls" && cp "$PKI"/tsa1/* "$PKI/tls/"
sh "$HELP/mktsa.sh" "$PKI/tlsca" "kt test TLS CA"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$PKI/tls/https.key" -out "$PKI/tls/https.csr" \
    -subj "/CN=127.0.0.1" 2> /dev/null &&
    printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:false\n' > "$PKI/tls/https.ext" &&
    openssl x509 -req -in "$PKI/tls/https.csr" -CA "$PKI/tlsca/ca.crt" -CAkey "$PKI/tlsca/ca.key" -CAcreateserial \
        -days 30 -extfile "$PKI/tls/https.ext" -out "$PKI/tls/https.crt" 2> /dev/null || not_ok "could not make the TLS test certificate"
US=$(start_tsa "$PKI/tls" tls | sed 's|^http://|https://|')
expect_msg 74 "TSA $US" "create with an https TSA whose certificate no trusted CA issued: refused (exit 74), naming it" \
    "$BUNDLE" create -e "$E" -k "$KA" --tsa "$US" -o "$T/tls-untrusted.tar"
grep -qi 'certificate' "$T/err" && ok "  ... and the reason is the certificate: $(tail -c 120 "$T/err" | tr '\n' ' ')" ||
    not_ok "untrusted TLS: reason does not name the certificate"
[ -e "$T/tls-untrusted.tar" ] && not_ok "a refused TLS time-stamp left a bundle" || ok "a refused TLS time-stamp left no bundle"
if [ ! -f /etc/ssl/certs/ca-certificates.crt ]; then
    skip "https TSA trusted (no /etc/ssl/certs/ca-certificates.crt, libcurl's CA bundle, to stand in for)"
elif is_root && unshare -m true 2> /dev/null; then
    cat /etc/ssl/certs/ca-certificates.crt "$PKI/tlsca/ca.crt" > "$T/cabundle.crt"
    run unshare -m sh -c 'mount --bind "$1" /etc/ssl/certs/ca-certificates.crt && shift && exec "$@"' sh "$T/cabundle.crt" \
        "$BUNDLE" create -e "$E" -k "$KA" --tsa "$US" -o "$T/tls.tar"
    [ "$RC" -eq 0 ] && grep -q "time-stamped by $US" "$T/out" && ok "create --tsa https:// with the TSA's CA trusted: time-stamped over TLS" ||
        not_ok "create --tsa https:// trusted (exit $RC)"
    expect 4 "  ... and the token verifies (AUTHENTIC, exit 4)" "$VERIFY" "$T/tls.tar" --key "$PA" --tsa-cert "$CA1"
else
    skip "https TSA trusted (needs root and a mount namespace to trust the test CA without changing the host)"
fi

kill $(cat "$TSA_PIDS") 2> /dev/null
for _ in $(seq 1 100); do
    left=0
    for p in $(cat "$TSA_PIDS"); do kill -0 "$p" 2> /dev/null && left=$((left + 1)); done
    [ "$left" -eq 0 ] && break
    sleep 0.05
done
[ "$left" -eq 0 ] && ok "every test TSA server stopped" || not_ok "$left test TSA servers still run"
