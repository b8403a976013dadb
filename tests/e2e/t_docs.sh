# The docs are current (issue 15 item 10): every option a tool's --help
# lists is in its man page; each man page has EXIT STATUS and EXAMPLES and
# renders without a groff warning; "the seed" (the project kiemthu grew
# from) is nowhere a user reads; README's development section says how to add
# a check type, a probe and a sandbox step.
MAN=$KT_SRC/docs/man

# man_has PAGE CMD...: every --option of CMD --help is in PAGE.
man_has() {
    local page=$1; shift
    local missing=
    for o in $("$@" --help 2>&1 | grep -oE '^ +(-[A-Za-z0-9], )?--[a-z0-9-]+' | grep -oE -- '--[a-z0-9-]+'); do
        grep -qF -- "$(printf %s "$o" | sed 's/-/\\-/g')" "$MAN/$page" || missing="$missing $o"
    done
    [ -z "$missing" ] && ok "$page documents every option of '$(basename "$1") ${2:-}'" || not_ok "$page lacks:$missing"
}
man_has kiemthu-sandbox.1 "$KT_BIN/kiemthu-sandbox"
man_has kiemthu-sandbox.1 "$KT_BIN/kiemthu-sandbox" profiles
# kiemthu-bundle's commands, as its usage names them (a new one is held to its man page too).
bundle_cmds=$("$KT_BIN/kiemthu-bundle" --help | sed -nE 's/^(Usage: | +)kiemthu-bundle ([a-z][a-z-]*).*/\2/p' | sort -u)
for sub in $bundle_cmds; do
    man_has kiemthu-bundle.1 "$KT_BIN/kiemthu-bundle" "$sub"
    grep -q "^\.B $sub\$" "$MAN/kiemthu-bundle.1" && ok "kiemthu-bundle.1 describes the $sub command" || not_ok "kiemthu-bundle.1 has no '.B $sub' paragraph"
done
man_has kiemthu-verify.1 "$KT_BIN/kiemthu-verify"
man_has kiemthu-probe.1 "$KT_BIN/kiemthu-probe"
man_has kiemthu-guard.1 "$KT_BIN/kiemthu-guard"

for page in "$MAN"/*.1; do
    name=$(basename "$page")
    grep -q '^\.SH EXIT STATUS' "$page" && grep -q '^\.SH EXAMPLES' "$page" && ok "$name: EXIT STATUS and EXAMPLES" || not_ok "$name lacks EXIT STATUS or EXAMPLES"
    w=$(groff -man -ww -z "$page" 2>&1)
    [ -z "$w" ] && ok "$name renders without a groff warning" || not_ok "$name: $w"
done
if grep -il 'seed' "$MAN"/*.1 > "$T/seed"; then not_ok "man pages say 'seed': $(cat "$T/seed")"; else ok "no man page speaks of 'the seed'"; fi
seed=
for t in sandbox bundle verify probe guard; do "$KT_BIN/kiemthu-$t" --help 2>&1 | grep -qi seed && seed="$seed kiemthu-$t"; done
for sub in $bundle_cmds; do "$KT_BIN/kiemthu-bundle" "$sub" --help 2>&1 | grep -qi seed && seed="$seed bundle-$sub"; done
[ -z "$seed" ] && ok "no --help speaks of 'the seed'" || not_ok "--help says 'seed':$seed"

dev=$(sed -n '/^## Development/,/^## /p' "$KT_SRC/README.md")
for h in 'Adding a check type' 'Adding a probe' 'Adding a sandbox step'; do
    printf '%s\n' "$dev" | grep -q "^### $h" && ok "README development: \"$h\"" || not_ok "README development section lacks \"### $h\""
done
# Every file the development section names exists.
missing=
for f in $(printf '%s\n' "$dev" | grep -oE '`[A-Za-z_]+/[A-Za-z/_.-]+\.(c|h|sh|json|md)`' | tr -d '`' | sort -u); do
    [ -e "$KT_SRC/$f" ] || missing="$missing $f"
done
[ -z "$missing" ] && ok "every file the development section names exists" || not_ok "development section names missing files:$missing"
