# Hostile payloads (fixtures/hostile/): contained, recorded, nothing left behind.
SANDBOX=$KT_BIN/kiemthu-sandbox
SAFE=$KT_SRC/profiles/seccomp-startup-safe.json
HOSTILE=$KT_SRC/fixtures/hostile

if ! is_root; then
    skip "hostile payload tests (need root: cgroup limits and the /out size cap)"
elif [ ! -x /usr/bin/python3 ]; then
    skip "hostile payload tests (need Debian's /usr/bin/python3 inside the sandbox)"
else
    MARK=$T/hostile-mark; touch -d '-1 second' "$MARK"
    pids=()
    for f in "$HOSTILE"/*.sh; do
        name=$(basename "$f" .sh)
        want=$(sed -n '2s/^# expect: //p' "$f")
        # python payloads start slowly under a 1-CPU quota on a loaded machine:
        # they get time to finish; the spinners and floods are cut at 5 s
        tmo=5; grep -q /usr/bin/python3 "$f" && tmo=60
        OUT=$(newdir)
        rec=$T/hostile/$name
        run_sb "$SANDBOX" run -p "$SAFE" --timeout "$tmo" --out-size 16m --output-cap 1m --out "$OUT" \
            --record "$rec" --ro-bind "$HOSTILE:/hostile" -- /bin/sh "/hostile/$name.sh"
        pids+=("$SBPID")
        if [ -f "$rec/seccomp-startup-safe/run.json" ] && grep -qE -- "$want" "$rec/seccomp-startup-safe/run.json"; then
            ok "hostile $name: contained and recorded ($(sed -n 's/.*"outcome":"\([^"]*\)".*/\1/p' "$rec/seccomp-startup-safe/run.json"))"
        else
            not_ok "hostile $name: want /$want/ in run.json (exit $RC)"
        fi
        left=$(own_procs "$SBPID")
        if [ -n "$left" ]; then not_ok "hostile $name: processes left: $left"; kill -9 $left 2> /dev/null; fi
        if [ "$(du -sb "$OUT" | cut -f1)" -gt $((17 << 20)) ]; then not_ok "hostile $name: /out grew past its cap on the host"; fi
    done
    procs= groups=
    for p in "${pids[@]}"; do procs+=$(own_procs "$p"); groups+=$(own_cgroups "$p"); done
    [ -z "$procs" ] && ok "no process left in any of these runs' cgroups" || not_ok "processes left: $procs"
    [ -z "$groups" ] && ok "none of these runs' cgroups (kiemthu-<pid>-*) left" || not_ok "cgroups left: $groups"
    # other e2e and VM runs' scratch trees are theirs, not ours
    strays=$(find / -xdev \( -path /proc -o -path "$T" -o -path '/tmp/kt-e2e.*' -o -path '/tmp/kt-vm.*' \) -prune -o -user 65532 -newer "$MARK" -print 2> /dev/null | head -5)
    [ -z "$strays" ] && ok "the host is unchanged: no file of uid 65532 outside the test's folders" || not_ok "files left on the host: $strays"
fi
