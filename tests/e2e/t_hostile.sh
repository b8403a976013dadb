# Hostile payloads (fixtures/hostile/): contained, recorded, nothing left behind.
SANDBOX=$KT_BIN/kiemthu-sandbox
SAFE=$KT_SRC/profiles/seccomp-startup-safe.json
HOSTILE=$KT_SRC/fixtures/hostile

if ! is_root; then
    skip "hostile payload tests (need root: cgroup limits and the /out size cap)"
elif [ ! -x /usr/bin/python3 ]; then
    skip "hostile payload tests (need Debian's /usr/bin/python3 inside the sandbox)"
else
    MARK=$T/hostile-mark; touch "$MARK"; sleep 1
    for f in "$HOSTILE"/*.sh; do
        name=$(basename "$f" .sh)
        want=$(sed -n '2s/^# expect: //p' "$f")
        OUT=$(newdir)
        rec=$T/hostile/$name
        run "$SANDBOX" run -p "$SAFE" --timeout 5 --out-size 16m --output-cap 1m --out "$OUT" \
            --record "$rec" --ro-bind "$HOSTILE:/hostile" -- /bin/sh "/hostile/$name.sh"
        if [ -f "$rec/seccomp-startup-safe/run.json" ] && grep -qE -- "$want" "$rec/seccomp-startup-safe/run.json"; then
            ok "hostile $name: contained and recorded ($(sed -n 's/.*"outcome":"\([^"]*\)".*/\1/p' "$rec/seccomp-startup-safe/run.json"))"
        else
            not_ok "hostile $name: want /$want/ in run.json (exit $RC)"
        fi
        if [ -n "$(pgrep -u 65532)" ]; then not_ok "hostile $name: processes left: $(pgrep -u 65532 -l | head -3 | tr '\n' ' ')"; pkill -9 -u 65532; fi
        if [ "$(du -sb "$OUT" | cut -f1)" -gt $((17 << 20)) ]; then not_ok "hostile $name: /out grew past its cap on the host"; fi
    done
    [ -z "$(pgrep -u 65532)" ] && ok "no process of uid 65532 left after all hostile runs" || not_ok "processes of uid 65532 left"
    left=$(find /sys/fs/cgroup -maxdepth 4 -type d -name 'kiemthu-*' 2> /dev/null | wc -l)
    [ "$left" -eq 0 ] && ok "no kiemthu cgroup left after all hostile runs" || not_ok "$left kiemthu cgroups left"
    strays=$(find / -xdev \( -path /proc -o -path "$T" \) -prune -o -user 65532 -newer "$MARK" -print 2> /dev/null | head -5)
    [ -z "$strays" ] && ok "the host is unchanged: no file of uid 65532 outside the test's folders" || not_ok "files left on the host: $strays"
fi
