# Issue 16: a path the unprivileged caller cannot reach is reported as
# "permission denied ... (it cannot enter DIR)", never as missing; a missing
# one as missing; each keeps its usual exit code (64 usage, 125 runner).
SANDBOX=$KT_BIN/kiemthu-sandbox
SAFE=$KT_SRC/profiles/seccomp-startup-safe.json

if ! is_root || ! command -v setpriv > /dev/null; then
    skip "EACCES vs ENOENT messages (need root to build a private directory and drop to uid 65534)"
elif ! as_nobody test -x "$SANDBOX" || ! as_nobody test -r "$SAFE"; then
    skip "EACCES vs ENOENT messages (uid 65534 cannot reach the binaries; the staged run covers it)"
else
    PRIV=$(newdir); chmod 700 "$PRIV"; mkdir "$PRIV/sub"; cp "$SAFE" "$PRIV/sub/p.json"
    PUB=$(newdir); chmod 777 "$PUB"
    re="permission denied for uid 65534 \\(it cannot enter $PRIV\\); move it or pass a copy"
    expect_msg 125 "profile $PRIV/sub/p.json: $re" "unreachable profile: permission denied, names the directory (125)" \
        as_nobody "$SANDBOX" run -p "$PRIV/sub/p.json" --record "$PUB/r1" -- /bin/true
    expect_msg 125 "profile $PUB/nope.json: does not exist" "missing profile: does not exist (125)" \
        as_nobody "$SANDBOX" run -p "$PUB/nope.json" --record "$PUB/r2" -- /bin/true
    for opt in --in --out --rootfs; do
        expect_msg 64 "$opt $PRIV/sub: $re" "unreachable $opt: permission denied, names the directory (64)" \
            as_nobody "$SANDBOX" run -p "$SAFE" "$opt" "$PRIV/sub" --record "$PUB/r3" -- /bin/true
    done
    for opt in --in --rootfs; do
        expect_msg 64 "$opt $PUB/nope: not an existing directory" "missing $opt: not an existing directory (64)" \
            as_nobody "$SANDBOX" run -p "$SAFE" "$opt" "$PUB/nope" --record "$PUB/r3" -- /bin/true
    done
    # A missing --out is made, as docker -v makes a missing bind source.
    expect 0 "missing --out: created" as_nobody "$SANDBOX" run -p "$SAFE" --out "$PUB/made/out" --record "$PUB/r7" -- /bin/true
    [ -d "$PUB/made/out" ] && ok "missing --out: the directory exists afterwards" || not_ok "missing --out was not created"
    expect_msg 64 "--ro-bind source $PRIV/sub/p.json: $re" "unreachable --ro-bind source: permission denied (64)" \
        as_nobody "$SANDBOX" run -p "$SAFE" --ro-bind "$PRIV/sub/p.json:/x" --record "$PUB/r4" -- /bin/true
    expect_msg 64 "--ro-bind source $PUB/nope: does not exist" "missing --ro-bind source: does not exist (64)" \
        as_nobody "$SANDBOX" run -p "$SAFE" --ro-bind "$PUB/nope:/x" --record "$PUB/r4" -- /bin/true
    expect_msg 125 "cannot create --record $PRIV/rec: $re" "unreachable --record: permission denied (125)" \
        as_nobody "$SANDBOX" run -p "$SAFE" --record "$PRIV/rec" -- /bin/true
    chmod 755 "$PRIV"; chmod 700 "$PRIV/sub"; chmod 600 "$PRIV/sub/p.json"
    expect_msg 125 "profile $PRIV/sub/p.json: permission denied for uid 65534 \\(it cannot enter $PRIV/sub\\)" \
        "the deepest blocked directory is named" as_nobody "$SANDBOX" run -p "$PRIV/sub/p.json" --record "$PUB/r5" -- /bin/true
    chmod 755 "$PRIV/sub"
    expect_msg 125 "profile $PRIV/sub/p.json: permission denied for uid 65534 \\(it cannot read it\\)" \
        "an unreadable file in a reachable directory: cannot read it" as_nobody "$SANDBOX" run -p "$PRIV/sub/p.json" --record "$PUB/r6" -- /bin/true
    [ -e "$PUB/r1" ] || [ -e "$PUB/r5" ] && not_ok "a refused run left a record" || ok "refused runs left no record"
fi
