#!/bin/sh
# kiemthu-verify-by-hand.sh BUNDLE PUBKEY... [--threshold N] [--tsa-ca CERT]
#
# Verify a kiemthu bundle WITHOUT kiemthu: only GNU tar, sha256sum, base64,
# openssl (3.x) and POSIX sh. Every step is one an auditor can read and rerun
# by hand; docs/FORMAT.md explains each of them. N of the pinned keys
# (default 1) must have signed; with --tsa-ca the RFC 3161 token must verify
# against that certificate (a CA or the TSA's own); keyring validity windows
# are kiemthu-verify's. The adjudication of the evidence under the policy is
# not re-done here: the script prints the verdict the CI recorded and signed
# (kiemthu-verify re-derives it). Exit 0 = authentic, recorded PASS;
# 1 = authentic, recorded FAIL; 4 = authentic, no policy recorded (nothing
# adjudicated); 2 = REJECT; 64 = usage.
set -eu
LC_ALL=C
export LC_ALL

die() { echo "REJECT: $*" >&2; exit 2; }
usage() { echo "usage: $0 BUNDLE PUBKEY.pem... [--threshold N] [--tsa-ca CERT.pem]" >&2; exit 64; }
[ $# -ge 2 ] || usage
bundle=$1; shift
pubs="" threshold=1 tsaca=""
while [ $# -gt 0 ]; do
    case $1 in
    --threshold) [ $# -ge 2 ] || usage; threshold=$2; shift 2 ;;
    --tsa-ca) [ $# -ge 2 ] || usage; tsaca=$2; shift 2 ;;
    -*) usage ;;
    *) pubs="$pubs $1"; shift ;;
    esac
done
[ -n "$pubs" ] || usage
case $threshold in '' | *[!0-9]* | 0) usage ;; esac
[ -f "$bundle" ] || die "$bundle is not a file"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

# 1. Members: regular files only, names in their one encoding (FORMAT.md §1),
#    sorted, unique, fixed layout.
tar --list --verbose --numeric-owner -f "$bundle" > "$work/long" || die "GNU tar cannot list it"
tar --list -f "$bundle" > "$work/names"
grep -qv '^-rw-r--r-- 0/0 ' "$work/long" && die "a member is not a 0644 regular file owned by 0/0"
grep -qv '^[A-Za-z0-9._+@=,:~/%-]*$' "$work/names" && die "a member name has a forbidden character"
grep -qE '%([^0-9A-F]|[0-9A-F][^0-9A-F]|[0-9A-F]?$)' "$work/names" &&
    die "a member name has a '%' not followed by two upper-case hex digits"
grep -qE '%(00|2[B-F]|3[0-9A]|3D|4[0-9A-F]|5[0-9A]|5F|6[1-9A-F]|7[0-9A]|7E)' "$work/names" &&
    die "a member name %-encodes a byte that the encoding writes as itself (or NUL or /)"
grep -qE '(^|/)\.\.?(/|$)|^/|//' "$work/names" && die "a member name is absolute or has . or .."
sort -u -c "$work/names" 2>/dev/null || die "member names are not sorted and unique"
grep -v '^evidence/' "$work/names" > "$work/meta" || true
printf 'manifest.dsse.json\nmanifest.json\n' | cmp -s - "$work/meta" ||
    printf 'manifest.dsse.json\nmanifest.json\ntimestamp.tst\n' | cmp -s - "$work/meta" ||
    die "members outside evidence/ must be exactly manifest.dsse.json, manifest.json (and timestamp.tst)"

# A name with a component over 255 bytes (or 4000 bytes in all) cannot be a
# file here: such members are extracted, hashed and rebuilt under a short
# stand-in, kt-long/N, through GNU tar's --transform (FORMAT.md §7).
awk -F/ '{ l = length($0) > 4000; for (i = 1; i <= NF; i++) if (length($i) > 255) l = 1; if (l) print }' \
    "$work/names" > "$work/longnames"
: > "$work/standins"
set --
i=0
while IFS= read -r name; do
    i=$((i + 1))
    set -- "$@" "--transform=s|^$(printf '%s' "$name" | sed 's/\./\\./g')\$|kt-long/$i|"
    printf '%s kt-long/%s\n' "$name" "$i" >> "$work/standins"
done < "$work/longnames"
# on disk: each name, or its stand-in
awk 'FILENAME == ARGV[1] { s[$1] = $2; next } { print (($0 in s) ? s[$0] : $0) }' \
    "$work/standins" "$work/names" > "$work/ondisk"

mkdir "$work/x"
tar -x -f "$bundle" -C "$work/x" --no-same-owner --no-same-permissions "$@" ||
    die "GNU tar cannot extract it"
x=$work/x

# 2. Envelope: the exact canonical layout; signatures sorted by keyid, unique.
type='application/vnd.in-toto+json'
b64='[A-Za-z0-9+/]*={0,2}'
sig="\\{\"keyid\":\"[0-9a-f]{64}\",\"sig\":\"$b64\"\\}"
grep -qxE "\{\"payload\":\"$b64\",\"payloadType\":\"application/vnd\.in-toto\+json\",\"signatures\":\[($sig,)*$sig\]\}" \
    "$x/manifest.dsse.json" || die "manifest.dsse.json is not in canonical form"
[ "$(wc -l < "$x/manifest.dsse.json")" -eq 1 ] || die "manifest.dsse.json is not one line"
grep -o '"keyid":"[0-9a-f]*","sig":"[^"]*"' "$x/manifest.dsse.json" |
    sed 's/^"keyid":"\([0-9a-f]*\)","sig":"\([^"]*\)"$/\1 \2/' > "$work/sigs"
cut -d' ' -f1 "$work/sigs" | sort -u -c 2> /dev/null || die "signatures are not sorted by keyid, or a keyid repeats"
sed 's/^{"payload":"\([^"]*\)".*/\1/' "$x/manifest.dsse.json" | tr -d '\n' | base64 -d > "$work/payload" ||
    die "payload is not base64"
cmp -s "$work/payload" "$x/manifest.json" || die "manifest.json is not the signed payload"

# 3. Signatures: Ed25519 over PAE(type, manifest.json), by N of the pinned keys
#    (a signature by a key not pinned proves nothing and is not checked).
printf 'DSSEv1 %s %s %s ' "${#type}" "$type" "$(wc -c < "$x/manifest.json" | tr -d ' ')" > "$work/pae"
cat "$x/manifest.json" >> "$work/pae"
good=0 signers=""
for pub in $pubs; do
    keyid=$(openssl pkey -pubin -in "$pub" -outform DER | sha256sum | cut -d' ' -f1) ||
        die "$pub is not a public key"
    s64=$(sed -n "s/^$keyid //p" "$work/sigs")
    [ -n "$s64" ] || continue
    printf '%s' "$s64" | base64 -d > "$work/sig" || die "the signature of $keyid is not base64"
    openssl pkeyutl -verify -pubin -inkey "$pub" -rawin -in "$work/pae" -sigfile "$work/sig" \
        > /dev/null 2>&1 || die "the signature named $keyid does not verify with $pub"
    good=$((good + 1)) signers="$signers $keyid"
done
[ "$good" -ge "$threshold" ] ||
    die "signatures of $threshold pinned keys required, $good found (keyids in the envelope: $(cut -d' ' -f1 "$work/sigs" | tr '\n' ' '))"

# 4. Every evidence member matches its subject, and every subject is a member.
#    The subject array is the manifest's last key; split at "},{" into one
#    subject a line, each must be exactly {"digest":{"sha256":HEX},"name":N}
#    or, for a member over 64 MiB, the same after "annotations" holding the
#    intermediate values of that SHA-256 (which let kiemthu-verify hash it on
#    every CPU; its sha256 alone decides here; docs/FORMAT.md section 3).
h='[0-9a-f]\{64\}'
sed -n 's/^.*"predicateType":"https:\/\/kiemthu\.dev\/evidence-bundle\/v1","subject":\[\(.*\)\]}$/\1/p' \
    "$x/manifest.json" | sed 's/},{"/}\n{"/g' > "$work/subjs"
[ -s "$work/subjs" ] || die "manifest has no subject list"
grep -v -x "{\\(\"annotations\":{\"sha256ChunkStates\":\\[\"$h\"\\(,\"$h\"\\)*\\]},\\)\\{0,1\\}\"digest\":{\"sha256\":\"$h\"},\"name\":\"[^\"]*\"}" \
    "$work/subjs" > /dev/null && die "a manifest subject is not {name, sha256} (with chain values for a large member)"
sed 's/^.*"digest":{"sha256":"\([0-9a-f]*\)"},"name":"\([^"]*\)"}$/\1  \2/' "$work/subjs" > "$work/sums"
cut -c67- "$work/sums" > "$work/subjects"
grep '^evidence/' "$work/names" | cmp -s - "$work/subjects" ||
    die "manifest subjects are not exactly the evidence members"
awk 'FILENAME == ARGV[1] { s[$1] = $2; next } { n = substr($0, 67); print substr($0, 1, 66) ((n in s) ? s[n] : n) }' \
    "$work/standins" "$work/sums" > "$work/sums.ondisk"
(cd "$x" && sha256sum --strict --quiet -c "$work/sums.ondisk") ||
    die "an evidence member does not match its sha256"

# 5. Canonical archive bytes: GNU tar rebuilds the bundle byte for byte
#    (pax path records for names over 100 bytes; stand-ins renamed back).
sde=$(sed -n 's/.*"sourceDateEpoch":\([0-9]*\)[,}].*/\1/p' "$x/manifest.json")
[ -n "$sde" ] || die "manifest has no sourceDateEpoch"
set --
while read -r name standin; do
    set -- "$@" "--transform=s|^$(printf '%s' "$standin" | sed 's/\./\\./g')\$|$name|"
done < "$work/standins"
(cd "$x" && tar --format=pax --pax-option=exthdr.name=././@PaxHeader,delete=atime,delete=ctime \
    --owner=0 --group=0 --numeric-owner --mode=0644 --mtime="@$sde" -b1 --no-recursion \
    "$@" -T "$work/ondisk" -cf "$work/rebuilt.tar") || die "GNU tar cannot rebuild the bundle"
cmp -s "$work/rebuilt.tar" "$bundle" || die "archive bytes are not in canonical form"

# 6. The RFC 3161 token over manifest.dsse.json, if any: with --tsa-ca it
#    must verify, its certificates judged at the token's own time (-attime).
tsnote=""
if [ -f "$x/timestamp.tst" ]; then
    gen=$(openssl ts -reply -in "$x/timestamp.tst" -token_in -text 2> /dev/null |
        sed -n 's/^Time stamp: //p')
    [ -n "$gen" ] || die "timestamp.tst is not a time-stamp token"
    if [ -n "$tsaca" ]; then
        openssl ts -verify -data "$x/manifest.dsse.json" -in "$x/timestamp.tst" -token_in \
            -CAfile "$tsaca" -partial_chain -attime "$(date -u -d "$gen" +%s)" > /dev/null 2>&1 ||
            die "the time-stamp token does not verify against the pinned TSA certificate $tsaca"
        tsnote="; time-stamp token verified: $gen"
    else
        tsnote="; time-stamp token present, NOT verified (--tsa-ca): says $gen"
    fi
elif [ -n "$tsaca" ]; then
    die "no timestamp.tst, but --tsa-ca was given"
fi

# 7. The verdict the CI recorded, signed in predicate.adjudication (null when
#    the bundle has no policy; in canonical JSON the adjudication is the
#    predicate's first key and its verdict its last, so the first
#    '"verdict":"X"},"created":"' is it: a quote inside a string is escaped).
#    Counts only: check ids and reasons may carry bytes a terminal acts on.
nfiles=$(wc -l < "$work/sums" | tr -d ' ')
intact="signed by $good pinned key(s):$signers; $nfiles evidence files match; canonical bytes rebuilt by GNU tar$tsnote"
head='{"_type":"https://in-toto.io/Statement/v1","predicate":{"adjudication":'
if grep -q "^$head"'null,' "$x/manifest.json"; then
    echo "AUTHENTIC (by hand), NO POLICY: $intact; the bundle records no policy, so nothing adjudicated its evidence: this is not a PASS"
    exit 4
fi
grep -q "^$head"'{"checks":\[' "$x/manifest.json" || die "manifest.json has no adjudication record where one belongs"
verdict=$(grep -oE '"verdict":"(PASS|FAIL)"\},"created":"' "$x/manifest.json" | head -n 1 | cut -d'"' -f4)
[ -n "$verdict" ] || die "the recorded adjudication has no PASS or FAIL verdict"
npass=$(grep -o '"result":"pass","type":"' "$x/manifest.json" | wc -l | tr -d ' ')
nall=$(grep -oE '"result":"[a-z]+","type":"' "$x/manifest.json" | wc -l | tr -d ' ')
echo "$verdict (recorded verdict, checked by hand): $intact; the CI's policy recorded $verdict, $npass/$nall checks pass (not re-derived by hand: kiemthu-verify re-runs every check on the evidence)"
[ "$verdict" = PASS ] && exit 0
exit 1
