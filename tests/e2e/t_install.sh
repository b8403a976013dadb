# make install / uninstall into a DESTDIR tree, from a build of its own
# (another PREFIX compiled in, so nothing here can touch $KT_BIN): the layout,
# profiles found by name from the installed tree, man pages and hints that
# name installed paths, bash completion, and an uninstall that removes
# exactly what install put.
PREFIX=/opt/kiemthu-e2e
ROOT=$T/root
P=$ROOT$PREFIX
IBIN=$P/bin
DATA=$P/share/kiemthu
DOC=$P/share/doc/kiemthu
COMP=$P/share/bash-completion/completions
TOOLS="kiemthu-bundle kiemthu-verify kiemthu-sandbox kiemthu-probe kiemthu-guard"

# The user's own files in the same directories: uninstall must leave them.
mkdir -p "$IBIN" "$P/share/man/man1" "$COMP"
echo mine > "$IBIN/other-tool"; echo mine > "$P/share/man/man1/other.1"; echo mine > "$COMP/other"

run nice make -C "$KT_SRC" -j2 BUILD="$T/build" PREFIX="$PREFIX" DESTDIR="$ROOT" install
if [ "$RC" -ne 0 ]; then
    not_ok "make install (exit $RC): $(tail -3 "$T/err")"
    return 0
fi
ok "make install PREFIX=$PREFIX DESTDIR=\$T/root"

missing=
for t in $TOOLS; do
    [ -x "$IBIN/$t" ] || missing="$missing bin/$t"
    [ -f "$P/share/man/man1/$t.1" ] || missing="$missing man1/$t.1"
    [ -f "$COMP/$t" ] || missing="$missing completions/$t"
done
for f in seccomp-deny-by-default.json seccomp-startup-safe.json baseline.json policy.json README.md; do
    cmp -s "$DATA/profiles/$f" "$KT_SRC/profiles/$f" || missing="$missing share/kiemthu/profiles/$f"
done
for f in README.md FORMAT.md GUARD.md POLICY.md RUN_RECORD.md THREAT_MODEL.md kiemthu-verify-by-hand.sh; do
    [ -f "$DOC/$f" ] || missing="$missing share/doc/kiemthu/$f"
done
# a static-pie sandbox carries cJSON (make sandbox-link): its licence goes with it
if grep -q static-pie < <(make -s -C "$KT_SRC" sandbox-link 2> /dev/null); then
    cmp -s "$DOC/cJSON.LICENSE" "$KT_SRC/third_party/cjson/LICENSE" || missing="$missing share/doc/kiemthu/cJSON.LICENSE"
fi
[ -z "$missing" ] && ok "installed: tools, man pages, completion, profiles + baseline + policy, docs, by-hand script" ||
    not_ok "not installed:$missing"
bad=$(find "$P" -type f | while read -r f; do
    case $f in */bin/other-tool | */other.1 | */completions/other) continue ;; esac
    m=$(stat -c %a "$f")
    case $f in "$IBIN"/*) [ "$m" = 755 ] || echo "$f:$m" ;; *) [ "$m" = 644 ] || echo "$f:$m" ;; esac
done)
[ -z "$bad" ] && ok "modes: tools 0755, everything else 0644" || not_ok "modes: $bad"

# Man pages and hints name the installed paths, never the checkout's.
if grep -l '@[A-Z]*DIR@' "$P"/share/man/man1/kiemthu-*.1 > /dev/null; then
    not_ok "a man page still has a @...DIR@ placeholder"
else ok "man pages: placeholders replaced"; fi
grep -q "$PREFIX/share/doc/kiemthu/RUN_RECORD.md" "$P/share/man/man1/kiemthu-sandbox.1" &&
    grep -q "$PREFIX/share/kiemthu/profiles/baseline.json" "$P/share/man/man1/kiemthu-sandbox.1" &&
    ok "kiemthu-sandbox(1) names $PREFIX/share/doc/kiemthu and $PREFIX/share/kiemthu" ||
    not_ok "kiemthu-sandbox(1) does not name the installed paths"
# (a checkout's relative path; the installed $PREFIX/share/kiemthu/profiles/... is what they should say)
grep -lE '(^|[^/])(docs/[A-Z_]+\.md|profiles/seccomp)' "$P"/share/man/man1/kiemthu-*.1 > "$T/cites" 2>&1 &&
    not_ok "man pages cite checkout paths: $(cat "$T/cites")" || ok "no man page cites docs/*.md or profiles/ of a checkout"
expect_msg 0 "$PREFIX/share/doc/kiemthu/POLICY.md" "check-policy --help names the installed POLICY.md" "$IBIN/kiemthu-bundle" check-policy --help
expect_msg 0 "$PREFIX/share/doc/kiemthu/GUARD.md" "kiemthu-guard --help names the installed GUARD.md" "$IBIN/kiemthu-guard" --help
expect_msg 64 'no --profile given.*--profile seccomp-startup-safe' "no --profile: the hint gives a shipped name" \
    "$IBIN/kiemthu-sandbox" run --record "$T/x" -- /bin/true

# Profiles by name, from the installed tree (found next to the binary: the
# compiled-in $PREFIX does not exist on this host).
W=$(newdir)
cd "$W" || return 0
expect 0 "kiemthu-sandbox profiles" "$IBIN/kiemthu-sandbox" profiles
safe_sha=$(sha256sum < "$KT_SRC/profiles/seccomp-startup-safe.json" | cut -d' ' -f1)
grep -qE "^seccomp-startup-safe +$safe_sha  $DATA/profiles/seccomp-startup-safe.json\$" "$T/out" &&
    grep -qE "^seccomp-deny-by-default " "$T/out" && grep -qE "^baseline " "$T/out" &&
    ok "profiles: names, sha256 and installed paths" || not_ok "profiles listing: $(head -3 "$T/out")"
grep -q '^policy' "$T/out" && not_ok "profiles lists the policy as a profile" || ok "profiles lists only seccomp profiles (not policy.json)"
grep -q "$PREFIX/share/kiemthu/profiles (not there)" "$T/out" && ok "profiles shows the search order, the compiled-in dir last" ||
    not_ok "search order not shown: $(tail -3 "$T/out")"
run "$IBIN/kiemthu-sandbox" profiles --names
[ "$(tr '\n' ' ' < "$T/out")" = "baseline seccomp-deny-by-default seccomp-startup-safe " ] && ok "profiles --names" || not_ok "profiles --names: $(cat "$T/out")"

expect_msg 125 "profile \"no-such\": no no-such.json in $DATA/profiles, $PREFIX/share/kiemthu/profiles" \
    "an unknown name: exit 125, listing where it looked" "$IBIN/kiemthu-sandbox" run -p no-such --record "$W/r0" -- /bin/true
expect_msg 64 'a name is letters' "a malformed name (.hidden) is a usage error" "$IBIN/kiemthu-sandbox" run -p .hidden --record "$W/r0" -- /bin/true
echo '{}' > "$W/myprof"
expect_msg 125 'give a path: \./myprof' "a name that is a file here: the error says to give it as a path" \
    "$IBIN/kiemthu-sandbox" run -p myprof --record "$W/r0" -- /bin/true
[ -e "$W/r0" ] && not_ok "a failed lookup left a record" || ok "nothing recorded when a profile is not found"

if is_root || unshare -U true 2> /dev/null; then
    expect 0 "run -p seccomp-deny-by-default -p seccomp-startup-safe from the installed tree" \
        "$IBIN/kiemthu-sandbox" run -p seccomp-deny-by-default -p seccomp-startup-safe --record "$W/r1" -- /bin/true
    [ "$(jget "$W/r1/seccomp-startup-safe/run.json" "d['profile_sha256']")" = "$safe_sha" ] &&
        ok "the name ran the installed file (its sha256 in run.json)" || not_ok "profile_sha256 $(jget "$W/r1/seccomp-startup-safe/run.json" "d['profile_sha256']")"
    # $KIEMTHU_DATADIR comes first: a profile of the same name there wins.
    mkdir -p "$W/dd/profiles"
    /usr/bin/python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); p["syscalls"].append({"names":["getpid"],"action":"SCMP_ACT_ALLOW"}); json.dump(p, open(sys.argv[2],"w"))' \
        "$KT_SRC/profiles/seccomp-startup-safe.json" "$W/dd/profiles/seccomp-startup-safe.json"
    KIEMTHU_DATADIR=$W/dd run "$IBIN/kiemthu-sandbox" run -p seccomp-startup-safe --record "$W/r2" -- /bin/true
    [ "$RC" -eq 0 ] && [ "$(jget "$W/r2/seccomp-startup-safe/run.json" "d['profile_sha256']")" = "$(sha256sum < "$W/dd/profiles/seccomp-startup-safe.json" | cut -d' ' -f1)" ] &&
        ok "\$KIEMTHU_DATADIR/profiles is searched first" || not_ok "KIEMTHU_DATADIR (exit $RC)"
    expect 0 "--baseline by name (the shipped baseline.json)" "$IBIN/kiemthu-sandbox" run -p seccomp-startup-safe --baseline baseline --record "$W/r3" -- /bin/true
    [ "$(jget "$W/r3/seccomp-startup-safe/run.json" "d['baseline']['sha256']")" = "$(sha256sum < "$KT_SRC/profiles/baseline.json" | cut -d' ' -f1)" ] &&
        ok "--baseline baseline: the installed file, same sha256 as the built-in" || not_ok "--baseline baseline"
else
    skip "running installed profiles by name (needs root or user namespaces)"
fi
cd "$T" || return 0

# The by-hand verifier from the installed docs, on a bundle the installed tools made.
E=$(newdir); make_evidence "$E"
"$IBIN/kiemthu-bundle" keygen -o "$W/k" > /dev/null 2>&1
echo '{"kiemthuPolicy":1,"name":"where","verdict":"all","checks":[{"id":"venue","type":"venue_fields","file":"venue.json","fields":["ci"],"description":"where it ran"}]}' > "$W/where.json"
"$IBIN/kiemthu-bundle" create --evidence "$E" --key "$W/k.key" --policy "$W/where.json" -o "$W/b.tar" > /dev/null 2>&1
"$IBIN/kiemthu-bundle" create --evidence "$E" --key "$W/k.key" -o "$W/nopolicy.tar" > /dev/null 2>&1
expect_msg 0 '^PASS' "kiemthu-verify (installed) on a bundle the installed kiemthu-bundle made: PASS" "$IBIN/kiemthu-verify" "$W/b.tar" --key "$W/k.pub"
expect_msg 4 '^AUTHENTIC' "...and on one without a policy: AUTHENTIC, exit 4" "$IBIN/kiemthu-verify" "$W/nopolicy.tar" --key "$W/k.pub"
if command -v openssl > /dev/null && tar --version 2> /dev/null | grep -q 'GNU tar'; then
    expect_msg 0 'PASS' "sh \$DOCDIR/kiemthu-verify-by-hand.sh (installed) on it" sh "$DOC/kiemthu-verify-by-hand.sh" "$W/b.tar" "$W/k.pub"
else
    skip "installed by-hand script (needs openssl and GNU tar)"
fi

# bash completion, installed under each tool's name.
for t in $TOOLS; do
    [ "$(bash -c 'source "$1"; complete -p "$2"' sh "$COMP/$t" "$t" 2> /dev/null)" = "complete -F _kiemthu_complete $t" ] ||
        { not_ok "completion: complete -p $t"; continue; }
done
ok "completion: complete -p names _kiemthu_complete for every tool"
# comp WORD...: what completing the last word offers (COMP_WORDS as bash sets it).
comp() {
    PATH=$IBIN:$PATH bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
        _kiemthu_complete "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"; echo "${COMPREPLY[*]}"' \
        sh "$COMP/kiemthu-sandbox" "$@" 2> /dev/null
}
cd "$W" || return 0
mkdir -p "$W/inputs"
[ "$(comp kiemthu-sandbox '')" = "run profiles compile --help --version" ] && ok "completion: subcommands" || not_ok "completion subcommands: $(comp kiemthu-sandbox '')"
[ "$(comp kiemthu-sandbox run --pro)" = --profile ] && ok "completion: --pro -> --profile" || not_ok "completion --pro: $(comp kiemthu-sandbox run --pro)"
[ "$(comp kiemthu-sandbox run -p seccomp-s)" = seccomp-startup-safe ] && ok "completion: -p seccomp-s -> the shipped name" || not_ok "completion -p: $(comp kiemthu-sandbox run -p seccomp-s)"
[ "$(comp kiemthu-sandbox run --baseline no)" = none ] && ok "completion: --baseline no -> none" || not_ok "completion --baseline: $(comp kiemthu-sandbox run --baseline no)"
[ "$(comp kiemthu-sandbox run --in inp)" = inputs ] && ok "completion: --in completes directories" || not_ok "completion --in: $(comp kiemthu-sandbox run --in inp)"
[ "$(comp kiemthu-bundle c)" = "create check-policy" ] && ok "completion: kiemthu-bundle c -> create check-policy" || not_ok "completion bundle: $(comp kiemthu-bundle c)"
[ "$(comp kiemthu-bundle create --ev)" = --evidence ] && ok "completion: create --ev -> --evidence (from the subcommand's --help)" || not_ok "completion create: $(comp kiemthu-bundle create --ev)"
[ "$(comp kiemthu-verify b.tar -f m)" = markdown ] && ok "completion: verify -f m -> markdown" || not_ok "completion verify -f: $(comp kiemthu-verify b.tar -f m)"
[ -z "$(comp kiemthu-sandbox run -p x -- --pro)" ] && ok "completion: nothing of ours after --" || not_ok "completion after --: $(comp kiemthu-sandbox run -p x -- --pro)"
# Every tool and command: exactly the options its --help lists (so options
# another change adds are completed without touching the completion).
cmds=$("$IBIN/kiemthu-bundle" --help | sed -nE 's/^(Usage: | +)kiemthu-bundle ([a-z][a-z-]*).*/\2/p' | sort -u | tr '\n' ' ')
bad=
for tc in "kiemthu-sandbox run" "kiemthu-sandbox profiles" kiemthu-verify kiemthu-probe kiemthu-guard \
    $(for c in $cmds; do printf 'kiemthu-bundle:%s ' "$c"; done); do
    tc=${tc/:/ }
    # shellcheck disable=SC2086 # "tool command" split on purpose
    opts_help=$("$IBIN"/$tc --help | grep -oE '^ +(-., )?--[a-z0-9-]+' | grep -oE -- '--[a-z0-9-]+' | sort | tr '\n' ' ')
    # shellcheck disable=SC2086
    opts_comp=$(comp $tc -- | tr ' ' '\n' | grep -v '^--$' | sort | tr '\n' ' ')
    [ -n "$opts_help" ] && [ "$opts_help" = "$opts_comp" ] || bad="$bad [$tc: offers '$opts_comp', --help '$opts_help']"
done
[ -z "$bad" ] && ok "completion offers exactly the options --help lists, for every tool and command" || not_ok "completion vs --help:$bad"
offered=$(comp kiemthu-bundle '')
miss=
for c in $cmds keygen create timestamp check-policy venue; do case " $offered " in *" $c "*) ;; *) miss="$miss $c" ;; esac; done
[ -z "$miss" ] && ok "completion: kiemthu-bundle's commands are those its usage names ($cmds)" || not_ok "completion commands: offered '$offered', missing$miss"
[ -z "$(comp kiemthu-bundle nosuch --)" ] && ok "completion: nothing for an unknown command" || not_ok "completion of an unknown command: $(comp kiemthu-bundle nosuch --)"
fline=$("$IBIN/kiemthu-verify" --help | grep -E -m1 -- '^ +(-., +)?--format ')
fmts=$(comp kiemthu-verify b.tar --format '')
bad=
for w in text json markdown html; do
    in_help=no; in_comp=no
    printf '%s\n' "$fline" | grep -qw "$w" && in_help=yes
    case " $fmts " in *" $w "*) in_comp=yes ;; esac
    [ "$in_help" = "$in_comp" ] || bad="$bad $w(help $in_help, offered $in_comp)"
done
for w in $fmts; do printf '%s\n' "$fline" | grep -qw -- "$w" || bad="$bad $w(not in --help)"; done
[ -z "$bad" ] && printf '%s' "$fmts" | grep -q markdown && ok "completion: --format offers the formats --help names ($fmts)" || not_ok "completion --format: '$fmts':$bad"
C=$(newdir); mkdir "$C/sub"; touch "$C/b.tar" "$C/notes.txt"
cd "$C" || return 0
scomp() { comp "$@" | tr ' ' '\n' | sort | tr '\n' ' '; }
[ "$(scomp kiemthu-bundle timestamp '')" = "b.tar sub " ] && ok "completion: timestamp's BUNDLE: .tar files and directories" || not_ok "completion timestamp: $(comp kiemthu-bundle timestamp '')"
[ "$(scomp kiemthu-verify b.tar --tsa-cert '')" = "b.tar notes.txt sub " ] && ok "completion: --tsa-cert CERT completes files" || not_ok "completion --tsa-cert: $(comp kiemthu-verify b.tar --tsa-cert '')"
cd "$T" || return 0

# The README's walk-through with the installed tree alone: its sh blocks from
# the installed README, the tools from PATH, the checkout and the build
# hidden under empty tmpfs mounts (a mount namespace of its own, as root).
if is_root && command -v git > /dev/null && unshare -m true 2> /dev/null; then
    W2=$(newdir)
    sh "$KT_SRC/tests/helpers/readme-blocks.sh" "$DOC/README.md" "Use it on your own project" > "$T/walk.sh"
    hide="mount -t tmpfs none '$KT_SRC'"
    case $KT_BIN in "$KT_SRC"/*) ;; *) hide="$hide && mount -t tmpfs none '$KT_BIN'" ;; esac
    env -u KIEMTHU_DATADIR PATH="$IBIN:/usr/sbin:/usr/bin:/sbin:/bin" HOME="$W2" unshare -m sh -c \
        "$hide && test ! -e '$KT_SRC/Makefile' && cd '$W2' && bash -e -o pipefail '$T/walk.sh'" > "$T/out" 2> "$T/err"
    RC=$?
    [ "$RC" -eq 0 ] && grep -q '^PASS bundle.tar' "$T/out" && grep -q "are in $W2/wordcount/evidence/profiles/" "$T/err" &&
        ok "README walk-through with the DESTDIR install alone (checkout and build hidden): PASS" ||
        not_ok "README walk-through from the install (exit $RC)"
else
    skip "README walk-through from the install alone (needs root, git and unshare -m to hide the checkout)"
fi

# make uninstall: exactly what install put, and the kiemthu directories.
run make -C "$KT_SRC" -s BUILD="$T/build" PREFIX="$PREFIX" DESTDIR="$ROOT" uninstall
left=$(cd "$ROOT" && find . -type f | sort | tr '\n' ' ')
[ "$RC" -eq 0 ] && [ "$left" = "./opt/kiemthu-e2e/bin/other-tool ./opt/kiemthu-e2e/share/bash-completion/completions/other ./opt/kiemthu-e2e/share/man/man1/other.1 " ] &&
    ok "make uninstall removes exactly what install put (the user's own files stay)" || not_ok "uninstall (exit $RC) left: $left"
[ ! -e "$DATA" ] && [ ! -e "$DOC" ] && ok "uninstall removes share/kiemthu and share/doc/kiemthu" || not_ok "kiemthu directories left"
expect_msg 2 'may hold only' "make install refuses a PREFIX with a space (it would be compiled in)" \
    make -C "$KT_SRC" -s BUILD="$T/build2" PREFIX="/opt/a b" DESTDIR="$ROOT" install
