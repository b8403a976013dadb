# A --rootfs tree is not ours: a symbolic link in it must never make the
# runner (root, before pivot_root, host root still visible) create, mount or
# write anything on the host. Each mount point is resolved beneath the tree
# without following links; a link where a mount point should be is refused.
SANDBOX=$KT_BIN/kiemthu-sandbox
SAFE=$KT_SRC/profiles/seccomp-startup-safe.json

tree() { # tree DIR: a minimal root with the static try-syscall as /t
    mkdir -p "$1/proc" "$1/dev" "$1/tmp" "$1/bin"
    cp "$KT_BIN/tests/try-syscall" "$1/bin/t"
}

if ! is_root; then
    skip "--rootfs link tests (need root)"
elif ! file "$KT_BIN/tests/try-syscall" | grep -q 'statically linked'; then
    skip "--rootfs link tests (try-syscall is not static in this build)"
else
    CANARY=$(newdir)
    R=$(newdir); tree "$R"; ln -s "$CANARY" "$R/app"
    F=$T/bindsrc; echo secret > "$F"
    expect_msg 125 'mount point /app/x .*symbolic link' "--ro-bind through a link in the tree: refused" \
        "$SANDBOX" run -p "$SAFE" --rootfs "$R" --record "$T/r1" --ro-bind "$F:/app/x" -- /bin/t true
    [ -z "$(ls -A "$CANARY")" ] && ok "... and nothing was created where the link points" || not_ok "the runner created $(ls -A "$CANARY") through the tree's link"
    for mp in tmp dev proc; do
        R=$(newdir); tree "$R"; rmdir "$R/$mp"; ln -s "$CANARY" "$R/$mp"
        expect_msg 125 "mount point /$mp .*symbolic link" "/$mp a link in the tree: refused" \
            "$SANDBOX" run -p "$SAFE" --rootfs "$R" --record "$T/r-$mp" -- /bin/t true
        [ -z "$(ls -A "$CANARY")" ] && ok "/$mp a link: nothing created on the host" || not_ok "/$mp link: host changed"
    done
    R=$(newdir); tree "$R"; mkdir -p "$R/etc"; ln -s "$CANARY" "$R/etc/kiemthu"
    expect 0 "a tree whose /etc/kiemthu is a link runs, without the filter views" \
        "$SANDBOX" run -p "$SAFE" --rootfs "$R" --record "$T/r-views" -- /bin/t true
    [ -z "$(ls -A "$CANARY")" ] && ok "... and the views were not written through the link" || not_ok "views written through a link"
    # Host mode: a bind destination through the stage's own merged-usr link
    # (/bin -> usr/bin) is refused too, rather than followed.
    expect_msg 125 'mount point /bin/x' "host mode: --ro-bind onto /bin/x (a link to usr/bin) refused" \
        "$SANDBOX" run -p "$SAFE" --record "$T/r-host" --ro-bind "$F:/bin/x" -- /usr/bin/true
    R=$(newdir); tree "$R"; mkdir -p "$R/app"; : > "$R/app/x"
    expect 0 "control: the same bind onto a real file of the tree works" \
        "$SANDBOX" run -p "$SAFE" --rootfs "$R" --record "$T/r-ok" --ro-bind "$F:/app/x" -- /bin/t true
fi

# A mount beneath --in (or any read-only bind's source) is read-only in the
# sandbox too: the bind is recursive, and the remount alone changed only the
# top mount, so a host tmpfs under --in was writable (and exec-able) inside.
if ! is_root; then
    skip "submounts under --in (need root to mount a tmpfs)"
else
    IN=$(newdir); mkdir -p "$IN/w"
    if mount -t tmpfs -o size=1m kt-e2e-insub "$IN/w"; then
        chmod 777 "$IN/w"
        run "$SANDBOX" run -p "$SAFE" --in "$IN" --record "$T/r-insub" -- /bin/sh -c \
            'echo from-the-payload > /in/w/written; echo "rc=$?"; grep " /in/w " /proc/self/mountinfo'
        so=$(cat "$T"/r-insub/*/stdout 2> /dev/null)
        [ ! -e "$IN/w/written" ] && ok "a tmpfs mounted under --in: the payload cannot write to it" ||
            not_ok "a tmpfs under --in was written by the payload"
        grep -q ' /in/w ro,nosuid,nodev' <<< "$so" && ok "... it is mounted ro,nosuid,nodev inside" ||
            not_ok "submount flags inside: $so"
        umount "$IN/w"
    else
        skip "submounts under --in (cannot mount a tmpfs here)"
    fi
fi
