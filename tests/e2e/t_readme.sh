# README "Use it on your own project", run verbatim: its sh blocks, in order,
# in a scratch directory, with the built tools on PATH and this checkout as
# the data dir (t_install.sh runs the same with a DESTDIR install alone).
if ! is_root && ! unshare -U true 2> /dev/null; then
    skip "README walk-through (the sandbox needs root or user namespaces)"
    return 0
fi
if ! command -v git > /dev/null; then
    skip "README walk-through (its project is a git repository: needs git)"
    return 0
fi
W=$(newdir)
sh "$KT_SRC/tests/helpers/readme-blocks.sh" "$KT_SRC/README.md" "Use it on your own project" > "$T/walk.sh"
[ "$(grep -c . "$T/walk.sh")" -gt 20 ] && ok "README: the section's sh blocks extracted ($(grep -c . "$T/walk.sh") lines)" ||
    not_ok "README section not found or empty"
(cd "$W" && env PATH="$KT_BIN:$PATH" KIEMTHU_DATADIR="$KT_SRC" HOME="$W" bash -e -o pipefail "$T/walk.sh") > "$T/out" 2> "$T/err"
RC=$?
[ "$RC" -eq 0 ] && ok "README walk-through: every command succeeds" || not_ok "README walk-through (exit $RC)"
P=$W/wordcount
grep -qx 'total: 9 words' "$T/out" && ok "--tee showed the script's output live" || not_ok "no 'total: 9 words' on stdout"
grep -q 'verdict: PASS (6/6 checks pass)' "$T/out" && ok "check-policy: 6/6 pass before signing" || not_ok "check-policy verdict"
grep -q '^PASS bundle.tar' "$T/out" && grep -q 'checks:  6/6 pass' "$T/out" && ok "kiemthu-verify: PASS, 6/6 checks" || not_ok "verify did not PASS"
[ "$(ls "$P/evidence/profiles" 2> /dev/null | tr '\n' ' ')" = "kiemthu-baseline.json seccomp-deny-by-default.json seccomp-startup-safe.json " ] &&
    ok "the evidence holds the profiles without a cp" || not_ok "evidence/profiles: $(ls "$P/evidence/profiles" 2>&1)"
[ "$(jget "$P/evidence/venue.json" "d['ci']")" = local ] && [ "$(jget "$P/evidence/venue.json" "d['commit']")" = "$(git -C "$P" rev-parse HEAD)" ] &&
    ok "venue.json without a printf: ci local, the commit" || not_ok "venue.json: $(cat "$P/evidence/venue.json")"
# The output the README shows is what the tools print.
missing=
for line in 'a.txt: 4 words' 'b.txt: 5 words' 'kiemthu-sandbox: seccomp-startup-safe: started, exit 0' \
    'canonical profile: seccomp-startup-safe (the strictest that started; seccomp-deny-by-default: not started: execve: Operation not permitted)' \
    'members: 15 (13 evidence files, each matching its sha256)'; do
    grep -qF -- "$line" "$KT_SRC/README.md" && cat "$T/out" "$T/err" | grep -qF -- "$line" || missing="$missing [$line]"
done
[ -z "$missing" ] && ok "the output the README shows matches what the tools printed" || not_ok "README shows, the tools did not print:$missing"
# The same evidence signs to the same bytes.
(cd "$P" && SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) "$KT_BIN/kiemthu-bundle" create --evidence evidence \
    --key ../wordcount-ci.key --policy policy.json -o again.tar > /dev/null 2>&1)
cmp -s "$P/bundle.tar" "$P/again.tar" && ok "the same evidence and commit give the same bundle bytes" || not_ok "bundle not reproducible"
# The README's sample hashes are the real ones: each profile line of its
# `kiemthu-sandbox profiles` sample is that file's sha256 (they went stale
# once when the baseline changed), and its verify sample names the policy the
# walk-through signs.
stale=
while read -r name hash _; do
    [ "$(sha256sum "$KT_SRC/profiles/$name.json" 2> /dev/null | cut -c1-64)" = "$hash" ] || stale="$stale $name"
done << LINES
$(grep -E '^(baseline|seccomp-[a-z-]+) +[0-9a-f]{64} ' "$KT_SRC/README.md")
LINES
n=$(grep -cE '^(baseline|seccomp-[a-z-]+) +[0-9a-f]{64} ' "$KT_SRC/README.md")
[ "$n" -ge 3 ] && [ -z "$stale" ] && ok "README: the $n profile hashes it shows are the files' sha256" ||
    not_ok "README: stale profile hashes:${stale:- (none found)}"
shown=$(grep -oE 'policy:  wordcount, sha256 [0-9a-f]{64}' "$KT_SRC/README.md")
[ -n "$shown" ] && grep -qF -- "$shown" "$T/out" && ok "README: the walk-through policy's sha256 it shows is the one verify printed" ||
    not_ok "README shows '$shown'; verify printed '$(grep -oE 'policy: .*' "$T/out" | head -1)'"
