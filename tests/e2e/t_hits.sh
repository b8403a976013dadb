# Limit hits (issue 11, part 3): run.json says per limit whether the payload
# reached it (pids.events max; memory.events max/oom/oom_kill or v1
# failcnt/oom_control; cpu.stat nr_throttled) with the raw counters, and null
# with the reason where the mechanism keeps no count (rlimit, affinity).
# KT_EXPECT_CGROUP=2 (the VM run) also requires every limit on cgroup v2.
SANDBOX=$KT_BIN/kiemthu-sandbox
SAFE=$KT_SRC/profiles/seccomp-startup-safe.json

hits_run() { # hits_run NAME [sandbox options] -- CMD...: record in $T/hits/NAME
    local name=$1; shift
    HREC=$T/hits/$name/seccomp-startup-safe/run.json
    run "$SANDBOX" run -p "$SAFE" --record "$T/hits/$name" "$@"
}
hit_is() { # hit_is DESC LIMIT WANT(true|false|null)
    local got; got=$(jget "$HREC" "d['limits']['$2']['hit']")
    [ "$got" = "$3" ] && ok "$1" || not_ok "$1 (limits.$2: $(jget "$HREC" "d['limits']['$2']"))"
}

if ! is_root; then
    skip "limit hit tests (need root for cgroups; the unprivileged null case runs as root via setpriv)"
else
    want=${KT_EXPECT_CGROUP:-}
    hits_run quiet -- /bin/true
    ver=$(jget "$HREC" "d['cgroup']['version']")
    if [ -n "$want" ]; then
        [ "$ver" = "$want" ] && [ "$(jget "$HREC" "sorted(set(v['enforced_by'] for v in d['limits'].values()))")" = "[\"cgroup$want\"]" ] &&
            ok "every limit enforced_by cgroup$want, cgroup.version $want" || not_ok "want cgroup$want everywhere: $(jget "$HREC" "d['limits']") cgroup $(jget "$HREC" "d['cgroup']")"
    fi
    if [ "$ver" = 1 ] || [ "$ver" = 2 ]; then
        for l in pids memory memory_swap cpus; do
            e=$(jget "$HREC" "d['limits']['$l']['enforced_by']")
            case $e in cgroup*) hit_is "/bin/true hits no limit: $l false ($e)" "$l" false ;;
            *) hit_is "/bin/true: $l not counted by $e: hit null" "$l" null ;; esac
        done
        [ "$(jget "$HREC" "d['cgroup']['delegated']")" = false ] && ok "as root the group is not a delegated one" || not_ok "cgroup.delegated as root"

        hits_run forks -- /bin/sh -c '(while :; do sleep 30 & done) 2> /dev/null; exit 0'
        [ "$RC" -eq 0 ] && ok "a fork loop that ignores its failed forks exits 0" || not_ok "fork loop exit $RC"
        hit_is "... but its record says the pids limit was hit" pids true
        n=$(jget "$HREC" "d['limits']['pids']['events']['max']")
        [ "${n:-0}" -gt 0 ] 2> /dev/null && ok "pids events: max = $n refused forks" || not_ok "pids events: $(jget "$HREC" "d['limits']['pids']")"
        hit_is "... and not the memory limit" memory false

        if [ -x /usr/bin/python3 ]; then
            hits_run hog -- /usr/bin/python3 -c 'b = bytearray(1 << 30)'
            hit_is "a 1 GiB allocation hits the memory limit" memory true
            n=$(jget "$HREC" "d['limits']['memory']['events']['oom_kill']")
            [ "${n:-0}" -ge 1 ] 2> /dev/null && [ "$(jget "$HREC" "d['oom_killed']")" = true ] &&
                ok "memory events: oom_kill = $n, oom_killed true" || not_ok "memory events: $(jget "$HREC" "d['limits']['memory']")"
        fi
        # three spinners on a 1-CPU quota; the payload stops once its own
        # cpu.stat (shown read-only inside) reports throttling, or at the timeout
        hits_run spin --timeout 30 -- /bin/sh -c '(while :; do :; done) & (while :; do :; done) & (while :; do :; done) &
            while ! grep -qs "^nr_throttled [1-9]" /sys/fs/cgroup/cpu/cpu.stat /sys/fs/cgroup/cpu.stat; do :; done; exit 0'
        hit_is "three CPU spinners hit the 1-CPU quota (throttled)" cpus true
        n=$(jget "$HREC" "d['limits']['cpus']['events']['nr_throttled']")
        [ "${n:-0}" -gt 0 ] 2> /dev/null && ok "cpu events: nr_throttled = $n" || not_ok "cpu events: $(jget "$HREC" "d['limits']['cpus']")"
    else
        skip "cgroup limit hits (no cgroup enforces limits here: $(jget "$HREC" "d['cgroup']"))"
    fi

    # Without a cgroup (uid 65534 with nothing delegated): null, the reason, and a warning on stderr.
    if [ "$ver" = 1 ] && command -v setpriv > /dev/null && as_nobody unshare -U true 2> /dev/null &&
        as_nobody test -x "$SANDBOX" && as_nobody test -r "$SAFE"; then
        U=$(newdir); chmod 777 "$U"
        HREC=$U/r/seccomp-startup-safe/run.json
        run as_nobody "$SANDBOX" run -p "$SAFE" --record "$U/r" -- /bin/true
        for l in pids memory cpus; do hit_is "rlimit mode: $l hit is null" "$l" null; done
        [ -n "$(jget "$HREC" "d['limits']['pids']['hit_unknown']")" ] && ok "rlimit mode says what it cannot know: $(jget "$HREC" "d['limits']['pids']['hit_unknown']")" || not_ok "hit_unknown missing"
        grep -q 'warning: seccomp-startup-safe: limits fall back to rlimits/CPU affinity (pids rlimit, memory rlimit, cpus affinity): ' "$T/err" &&
            ok "the rlimit fallback is said on stderr, with the reason" || not_ok "no fallback warning on stderr"
        [ "$(jget "$HREC" "d['cgroup']['version']")" = null ] && [ -n "$(jget "$HREC" "d['cgroup']['fallback_reason']")" ] &&
            ok "cgroup.version null and the fallback reason recorded" || not_ok "cgroup: $(jget "$HREC" "d['cgroup']")"
    else
        skip "rlimit-mode hit tests (only on a cgroup v1 host with setpriv and user namespaces; the VM covers delegation)"
    fi
fi
