# kiemthu-guard fails closed on hostile source trees and writes its result atomically.
GUARD=$KT_BIN/kiemthu-guard
MVPBIN=$KT_BIN/mvp/kiemthu-sample-inspector
SRC=$(newdir); cp "$KT_SRC"/fixtures/mvp/src/*.[ch] "$SRC/"

expect_msg 0 '"pass":true,.*"source_files_checked":3,' "guard scans the sample MVP's 3 source files" \
    "$GUARD" "$MVPBIN" --source "$SRC" -o "$T/g.json"
cmp -s "$T/out" "$T/g.json" && ok "-o writes exactly what stdout shows" || not_ok "-o differs from stdout"
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["pass"] is True and d["violations"] == []' "$T/g.json" &&
    ok "the result is JSON the guard_passed check reads" || not_ok "guard.json is not the expected JSON"
expect_msg 73 'cannot create .*/missing/g.json' "-o into a missing directory: 73" "$GUARD" "$MVPBIN" -o "$T/missing/g.json"
[ -e "$T/missing/g.json" ] && not_ok "nothing written for a failed -o" || ok "nothing written for a failed -o"
expect_msg 64 'usage' "two binaries: usage (64)" "$GUARD" "$MVPBIN" "$MVPBIN"
expect_msg 66 'cannot open --source .*/nope' "a missing --source: 66" "$GUARD" "$MVPBIN" --source "$T/nope"
expect_msg 66 'cannot open .*/nobin' "a missing binary: 66" "$GUARD" "$T/nobin"

# hostile trees: each is exit 65 naming the path, and no result that says pass
hostile() { # hostile DESC REGEX: run the guard on $H, expect 65 and the message
    rm -f "$T/h.json"
    expect_msg 65 "$2" "$1: 65" "$GUARD" "$MVPBIN" --source "$H" -o "$T/h.json"
    grep -q '"pass":true' "$T/out" "$T/h.json" 2> /dev/null && not_ok "$1: a pass was written" || true
}
H=$(newdir); cp "$SRC"/*.c "$H/"; ln -s loop "$H/loop"
hostile "a symlink loop" "$H/loop is a symbolic link"
H=$(newdir); mkdir "$H/d"; cp "$SRC"/*.c "$H/d/"; ln -s d "$H/alias"
hostile "a symlink to a directory of sources" "alias is a symbolic link"
H=$(newdir); mkfifo "$H/pipe.c"
hostile "a FIFO named pipe.c (no hang)" "pipe.c is a C file name but not a regular file"
H=$(newdir); truncate -s 100M "$H/huge.c"
hostile "a 100 MiB source file" "huge.c is larger than 67108864 bytes"
H=$(newdir); ln -s x "$H/$(printf 'evil\033[2J\033[Hname.c')"
hostile "a link whose name carries an escape sequence" 'evil\\x1b\[2J\\x1b\[Hname.c is a symbolic link'
if grep -q "$(printf '\033')" "$T/err" "$T/out"; then not_ok "no raw escape byte on the terminal"; else ok "no raw escape byte on the terminal"; fi

# a violation in a file whose name is not printable: exit 3, the name shown escaped
H=$(newdir); printf 'int f(void) { return socket(1, 2, 3); }\n' > "$H/$(printf 'a\001b\377.c')"
expect_msg 3 '"symbol":"socket","where":"a\\\\x01b\\\\xff.c"' "a violation in a file with control bytes in its name: 3, escaped" \
    "$GUARD" "$MVPBIN" --source "$H"

# unreadable as the user running the guard
if is_root && command -v setpriv > /dev/null; then
    H=$(newdir); cp "$SRC"/*.c "$H/"; chmod 000 "$H/main.c"
    run as_nobody "$GUARD" "$MVPBIN" --source "$H"
    [ "$RC" -eq 65 ] && grep -q 'cannot open .*main.c: Permission denied' "$T/err" &&
        ok "an unreadable source file: 65, never a pass" || not_ok "an unreadable source file (exit $RC)"
    H=$(newdir); mkdir "$H/sub"; cp "$SRC"/*.c "$H/sub/"; chmod 000 "$H/sub"
    run as_nobody "$GUARD" "$MVPBIN" --source "$H"
    [ "$RC" -eq 65 ] && grep -q 'cannot open .*/sub: Permission denied' "$T/err" &&
        ok "an unreadable source directory: 65" || not_ok "an unreadable source directory (exit $RC)"
    B=$(newdir); cp "$MVPBIN" "$B/bin"; chmod 000 "$B/bin"
    run as_nobody "$GUARD" "$B/bin"
    [ "$RC" -eq 65 ] && ok "an unreadable binary: 65" || not_ok "an unreadable binary (exit $RC)"
else
    skip "unreadable sources (needs root to run the guard as uid 65534)"
fi
