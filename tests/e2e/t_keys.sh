# Keys as a new user meets them (issue 15 item 6): a public key passed to
# create is named as such before anything about its mode; kiemthu-bundle keyid
# prints the id of a public or secret key (for a secret key, the id only);
# create notes an unset SOURCE_DATE_EPOCH.

D=$(newdir)
"$BUNDLE" keygen -o "$D/ci" > /dev/null
E=$(newdir); make_evidence "$E"
ossl_id() { openssl pkey -pubin -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }

# A public key given where the secret key belongs: its type first.
chmod 644 "$D/ci.pub"
expect_msg 65 'ci.pub is a public key \(BEGIN PUBLIC KEY\)' "create --key ci.pub (0644): 'is a public key' (65)" \
    "$BUNDLE" create -e "$E" -k "$D/ci.pub" -o "$T/x.tar"
grep -q chmod "$T/err" && not_ok "create --key ci.pub still asks for chmod 600" || ok "... and does not ask for chmod 600"
[ ! -e "$T/x.tar" ] && ok "... and writes no bundle" || not_ok "a bundle was written with a public key"
chmod 600 "$D/ci.pub"
expect_msg 65 'is a public key' "create --key ci.pub (0600): 'is a public key' (65)" \
    "$BUNDLE" create -e "$E" -k "$D/ci.pub" -o "$T/x.tar"
expect_msg 65 'KIEMTHU_SIGNING_KEY is a public key' "KIEMTHU_SIGNING_KEY holding a public key is named as such" \
    env KIEMTHU_SIGNING_KEY="$(cat "$D/ci.pub")" "$BUNDLE" create -e "$E" -o "$T/x.tar"
chmod 644 "$D/ci.pub"
cp "$D/ci.key" "$T/open.key"; chmod 640 "$T/open.key"
expect_msg 65 'chmod 600' "a group-readable secret key still gets the chmod 600 hint" \
    "$BUNDLE" create -e "$E" -k "$T/open.key" -o "$T/x.tar"

# keyid: public and secret, ours and openssl's, equal to what openssl and verify say
want=$(ossl_id "$D/ci.pub")
expect 0 "keyid of a public key" "$BUNDLE" keyid "$D/ci.pub"
[ "$(cat "$T/out")" = "$want" ] && [ ! -s "$T/err" ] && ok "keyid PUB prints exactly openssl's id (sha256 of SPKI DER)" ||
    not_ok "keyid PUB: $(cat "$T/out") want $want"
expect 0 "keyid of a secret key" "$BUNDLE" keyid "$D/ci.key"
[ "$(cat "$T/out")" = "$want" ] && [ ! -s "$T/err" ] && ok "keyid KEY prints the same id" || not_ok "keyid KEY: $(cat "$T/out")"
[ "$(wc -c < "$T/out")" -eq 65 ] && grep -qx '[0-9a-f]\{64\}' "$T/out" &&
    ok "keyid of a secret key prints 64 hex digits and a newline, nothing else" || not_ok "keyid output: $(od -c "$T/out" | head -3)"
leak=0
while IFS= read -r line; do
    case $line in -----*) continue ;; esac
    grep -qF -- "$line" "$T/out" "$T/err" && leak=1
    grep -qF -- "${line:0:16}" "$T/out" "$T/err" && leak=1
done < "$D/ci.key"
[ "$leak" -eq 0 ] && ok "no part of the secret key's PEM body is printed" || not_ok "keyid printed secret key material"
openssl genpkey -algorithm ed25519 -out "$T/ossl.key" 2> /dev/null && chmod 600 "$T/ossl.key"
openssl pkey -in "$T/ossl.key" -pubout -out "$T/ossl.pub" 2> /dev/null
run "$BUNDLE" keyid "$T/ossl.key"
[ "$RC" -eq 0 ] && [ "$(cat "$T/out")" = "$(ossl_id "$T/ossl.pub")" ] && ok "keyid of an openssl-made secret key = openssl's id" ||
    not_ok "keyid of openssl's key (exit $RC)"
SOURCE_DATE_EPOCH=1718000000 "$BUNDLE" create -q -e "$E" -k "$D/ci.key" -o "$T/b.tar"
run "$VERIFY" "$T/b.tar" --key "$D/ci.pub" -f json
[ "$(jget "$T/out" 'd["key_id"]')" = "$want" ] && ok "keyid = the key id kiemthu-verify reports for the signer" ||
    not_ok "verify key_id $(jget "$T/out" 'd["key_id"]') vs $want"

# keyid refusals: secret key open to others, wrong types, missing, links, usage
run "$BUNDLE" keyid "$T/open.key"
[ "$RC" -eq 65 ] && [ ! -s "$T/out" ] && grep -q 'chmod 600' "$T/err" && ok "keyid refuses a group-readable secret key (65), prints no id" ||
    not_ok "keyid of a 0640 secret key (exit $RC)"
expect_msg 65 'not an Ed25519 public key' "keyid of an RSA public key (65)" "$BUNDLE" keyid "$FIXKEYS/test-rsa.pub"
EC=$(seckey ec.key test-ec.key)
expect_msg 65 'not an Ed25519 key' "keyid of an EC secret key (65)" "$BUNDLE" keyid "$EC"
printf -- '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n' > "$T/short.key"; chmod 600 "$T/short.key"
run "$BUNDLE" keyid "$T/short.key"
[ "$RC" -eq 65 ] && ! grep -q 'MC4CAQAw' "$T/out" "$T/err" && ok "keyid of a malformed secret key: 65, its body not echoed" ||
    not_ok "malformed secret key (exit $RC)"
echo 'not a key' > "$T/junk"
expect_msg 65 'no PEM' "keyid of a file with no PEM block (65)" "$BUNDLE" keyid "$T/junk"
expect_msg 66 'cannot open key' "keyid of a missing file (66)" "$BUNDLE" keyid "$T/none.pub"
ln -s "$D/ci.key" "$T/link.key"
expect_msg 65 'symbolic link' "keyid refuses a symbolic link (65)" "$BUNDLE" keyid "$T/link.key"
expect 64 "keyid without KEY is a usage error" "$BUNDLE" keyid
expect 64 "keyid with two keys is a usage error" "$BUNDLE" keyid "$D/ci.pub" "$D/ci.pub"
expect_msg 0 'SPKI DER' "keyid --help" "$BUNDLE" keyid --help

# SOURCE_DATE_EPOCH: unset or empty gives one note on stderr; set or -q, none
run env -u SOURCE_DATE_EPOCH "$BUNDLE" create -e "$E" -k "$D/ci.key" -o "$T/n.tar"
[ "$RC" -eq 0 ] && [ "$(wc -l < "$T/err")" -eq 1 ] && grep -q 'note: SOURCE_DATE_EPOCH is not set.*1970-01-01T00:00:00Z' "$T/err" &&
    ok "create without SOURCE_DATE_EPOCH: a one-line note naming 1970-01-01" || not_ok "SDE note (exit $RC)"
run env SOURCE_DATE_EPOCH= "$BUNDLE" create -e "$E" -k "$D/ci.key" -o "$T/n.tar"
grep -q 'SOURCE_DATE_EPOCH is not set' "$T/err" && ok "an empty SOURCE_DATE_EPOCH gets the note too" || not_ok "empty SDE: no note"
run env SOURCE_DATE_EPOCH=1718000000 "$BUNDLE" create -e "$E" -k "$D/ci.key" -o "$T/n.tar"
[ "$RC" -eq 0 ] && [ ! -s "$T/err" ] && ok "with SOURCE_DATE_EPOCH set: no note" || not_ok "note with SDE set"
run env -u SOURCE_DATE_EPOCH "$BUNDLE" create -q -e "$E" -k "$D/ci.key" -o "$T/n.tar"
[ "$RC" -eq 0 ] && [ ! -s "$T/err" ] && [ ! -s "$T/out" ] && ok "create -q: no note" || not_ok "create -q printed something"
run env -u SOURCE_DATE_EPOCH "$BUNDLE" create -e "$E" -k "$D/ci.pub" -o "$T/n2.tar"
[ "$RC" -eq 65 ] && ! grep -q SOURCE_DATE_EPOCH "$T/err" && ok "a failed create gives its error, not the note" ||
    not_ok "failed create (exit $RC)"
