# kiemthu-bundle / kiemthu-verify command lines, keys and error paths.

expect 0 "bundle --help" "$BUNDLE" --help
expect 0 "bundle --version" "$BUNDLE" --version
expect 0 "bundle create --help" "$BUNDLE" create --help
expect 0 "verify --help" "$VERIFY" --help
expect_msg 0 '^kiemthu-verify [0-9]' "verify --version" "$VERIFY" --version
expect 64 "bundle without command is a usage error" "$BUNDLE"
expect 64 "bundle unknown command" "$BUNDLE" frobnicate
expect 64 "create without --evidence" "$BUNDLE" create -o "$T/x.tar"
expect 64 "create with an unknown option" "$BUNDLE" create --bogus
expect_msg 64 'trusts only keys you pin' "verify without --key refuses and explains" "$VERIFY" "$T/x.tar"
expect 64 "verify --format xml is a usage error" "$VERIFY" x.tar --key "$FIXKEYS/test-ed25519.pub" --format xml

# keygen: 0600 secret, refuses to overwrite, openssl reads both halves
D=$(newdir)
expect_msg 0 'key id: [0-9a-f]{64}' "keygen writes a key pair" "$BUNDLE" keygen -o "$D/ci"
keyid=$(sed -n 's/^key id: //p' "$T/out")
[ "$keyid" = "$(openssl pkey -pubin -in "$D/ci.pub" -outform DER | sha256sum | cut -d' ' -f1)" ] &&
    ok "key id = sha256 of SPKI DER (openssl)" || not_ok "key id = sha256 of SPKI DER (openssl)"
[ "$(stat -c %a "$D/ci.key")" = 600 ] && ok "secret key mode is 0600" || not_ok "secret key mode is $(stat -c %a "$D/ci.key")"
sum_before=$(sha256sum "$D/ci.key" "$D/ci.pub")
expect_msg 73 'refusing to overwrite' "keygen never overwrites" "$BUNDLE" keygen -o "$D/ci"
[ "$sum_before" = "$(sha256sum "$D/ci.key" "$D/ci.pub")" ] && ok "existing keys unchanged" || not_ok "existing keys changed"
if openssl pkey -in "$D/ci.key" -pubout 2>/dev/null | cmp -s - "$D/ci.pub"; then
    ok "openssl derives the same public key from our PKCS#8"
else not_ok "openssl derives the same public key from our PKCS#8"; fi
grep -q 'PRIVATE KEY' "$T/out" "$T/err" && not_ok "keygen printed secret material" || ok "keygen prints no secret material"

# create + verify, then key and input errors
E=$(newdir); make_evidence "$E"
KEY=$(seckey k.key test-ed25519.key)
PUB=$FIXKEYS/test-ed25519.pub
expect_msg 0 'wrote .*: 6 evidence files' "create a bundle" "$BUNDLE" create -e "$E" -k "$KEY" -o "$T/b.tar"
expect_msg 4 '^AUTHENTIC ' "verify: authentic with the pinned key, no policy: AUTHENTIC (exit 4)" "$VERIFY" "$T/b.tar" --key "$PUB"
expect_msg 4 'members: 8 \(6 evidence' "verify reports the member count" "$VERIFY" "$T/b.tar" --key "$PUB"
expect_msg 4 '"verdict":"AUTHENTIC"' "verify --format json" "$VERIFY" --format json "$T/b.tar" --key "$PUB"
expect_msg 2 'does not verify with any pinned key' "verify with another key is REJECT (exit 2)" "$VERIFY" "$T/b.tar" --key "$FIXKEYS/test-other.pub"
expect 4 "one of two pinned keys suffices" "$VERIFY" "$T/b.tar" --key "$FIXKEYS/test-other.pub" --key "$PUB"
expect 4 "verify reads the bundle from stdin" sh -c "'$VERIFY' - --key '$PUB' < '$T/b.tar'"
expect_msg 64 'secret key' "verify refuses a secret key as --key" "$VERIFY" "$T/b.tar" --key "$KEY"
expect_msg 64 'wrong key type' "verify refuses an RSA key" "$VERIFY" "$T/b.tar" --key "$FIXKEYS/test-rsa.pub"
expect_msg 3 'cannot open' "verify of a missing bundle: could not be checked (exit 3)" "$VERIFY" "$T/none.tar" --key "$PUB"

expect_msg 66 'does not exist' "create: missing evidence dir (66)" "$BUNDLE" create -e "$T/none" -k "$KEY" -o "$T/x.tar"
EMPTY=$(newdir)
expect_msg 65 'contains no files' "create: empty evidence dir (65)" "$BUNDLE" create -e "$EMPTY" -k "$KEY" -o "$T/x.tar"
expect_msg 66 'cannot open secret key' "create: missing key (66)" "$BUNDLE" create -e "$E" -k "$T/none.key" -o "$T/x.tar"
OPEN=$(seckey open.key test-ed25519.key); chmod 644 "$OPEN"
expect_msg 65 'chmod 600' "create: group/world-readable key refused (65)" "$BUNDLE" create -e "$E" -k "$OPEN" -o "$T/x.tar"
EC=$(seckey ec.key test-ec.key)
expect_msg 65 'not an Ed25519 key' "create: EC key refused (65)" "$BUNDLE" create -e "$E" -k "$EC" -o "$T/x.tar"
printf -- '-----BEGIN PRIVATE KEY-----\nnot base64 at all!\n-----END PRIVATE KEY-----\n' > "$T/corrupt.key"; chmod 600 "$T/corrupt.key"
expect_msg 65 'not valid base64' "create: corrupt PEM refused (65)" "$BUNDLE" create -e "$E" -k "$T/corrupt.key" -o "$T/x.tar"
expect_msg 64 'SOURCE_DATE_EPOCH' "create: malformed SOURCE_DATE_EPOCH (64)" env SOURCE_DATE_EPOCH=12abc "$BUNDLE" create -e "$E" -k "$KEY" -o "$T/x.tar"
expect_msg 64 'SOURCE_DATE_EPOCH' "create: negative SOURCE_DATE_EPOCH (64)" env SOURCE_DATE_EPOCH=-5 "$BUNDLE" create -e "$E" -k "$KEY" -o "$T/x.tar"
expect_msg 73 'cannot open output directory' "create: output directory missing (73)" "$BUNDLE" create -e "$E" -k "$KEY" -o "$T/no/such/x.tar"
ln -s /etc/hostname "$E/link"
expect_msg 65 'link is a symbolic link' "create: symlink in evidence names the path (65)" "$BUNDLE" create -e "$E" -k "$KEY" -o "$T/x.tar"
rm "$E/link"
[ -e "$T/x.tar" ] && not_ok "a failed create left $T/x.tar" || ok "failed creates left nothing under the output name"

# key from the environment (CI secret)
expect 0 "create with KIEMTHU_SIGNING_KEY" env KIEMTHU_SIGNING_KEY="$(cat "$KEY")" "$BUNDLE" create -e "$E" -o "$T/env.tar"
cmp -s "$T/env.tar" "$T/b.tar" && ok "env key gives the same bytes as the key file" || not_ok "env key gives the same bytes as the key file"
expect_msg 66 'no signing key' "create without any key (66)" env -u KIEMTHU_SIGNING_KEY "$BUNDLE" create -e "$E" -o "$T/x.tar"

# unprivileged cases need a user that cannot bypass permissions
if is_root && command -v setpriv > /dev/null; then
    RO=$(newdir); chmod 555 "$RO"
    NK=$(newdir); cp "$KEY" "$NK/k.key"; chown -R 65534 "$NK"
    expect_msg 73 'cannot create' "create: output directory not writable (73)" as_nobody "$BUNDLE" create -e "$E" -k "$NK/k.key" -o "$RO/x.tar"
    chmod 000 "$E/venue.json"
    expect_msg 65 'venue.json.*Permission denied' "create: unreadable evidence file names it (65)" as_nobody "$BUNDLE" create -e "$E" -k "$NK/k.key" -o "$NK/x.tar"
    chmod 644 "$E/venue.json"
    [ -e "$NK/x.tar" ] && not_ok "unreadable-file create left output" || ok "unreadable-file create left no output"
else
    skip "permission-denied cases (need root and setpriv to run as an unprivileged user)"
fi
