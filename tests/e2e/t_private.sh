# Issue 16: a checkout in a directory only root can enter (root's 0700 home)
# passes the unprivileged tests: the suite stages what uid 65534 needs.
if ! is_root || ! command -v git > /dev/null || ! command -v setpriv > /dev/null; then
    skip "private-checkout test (needs root, git and setpriv)"
elif [ -n "${KT_STAGED:-}" ] || ! git -C "$KT_SRC" rev-parse --git-dir > /dev/null 2>&1; then
    skip "private-checkout test (this run is not from a git checkout)"
elif ! as_nobody unshare -U true 2> /dev/null; then
    skip "private-checkout test (no unprivileged user namespaces here)"
else
    PRIV=$(newdir); chmod 700 "$PRIV"
    if git clone -q --no-hardlinks "$KT_SRC" "$PRIV/kt" 2> "$T/err"; then
        # the binaries under test, placed where a build in that checkout puts them
        mkdir -p "$PRIV/kt/build"
        (cd "$KT_BIN" && find . -path ./obj -prune -o -type f -perm -u+x -print | tar -cf - -T -) | tar -C "$PRIV/kt/build" -xf -
        as_nobody test -x "$PRIV/kt/build/kiemthu-sandbox" && not_ok "uid 65534 can enter the private checkout (test setup)" ||
            ok "uid 65534 cannot enter the private checkout at $PRIV/kt"
        run env -u KT_STAGED -u KT_E2E_ONLY KT_BIN="$PRIV/kt/build" KT_E2E_ONLY="t_sandbox.sh t_access.sh" bash "$PRIV/kt/tests/e2e/run.sh"
        grep -q '^# uid 65534 cannot reach .*: running the suite from a copy in ' "$T/out" && ok "the suite says it stages a reachable copy" || not_ok "no staging line"
        line=$(grep '^e2e: ' "$T/out")
        n=$(grep -c '^ok - unprivileged: ' "$T/out")
        if [ "$RC" -eq 0 ] && [ "$n" -ge 30 ] && echo "$line" | grep -q ' 0 failed'; then
            ok "from a 0700 checkout the unprivileged e2e passes ($n unprivileged tests; $line)"
        else
            not_ok "from a 0700 checkout: exit $RC, $n unprivileged ok, $line; $(grep -m3 '^not ok\|^SKIPPED' "$T/out" | tr '\n' ' ')"
        fi
    else
        not_ok "git clone into the private directory"
    fi
fi
