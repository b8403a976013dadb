# Limits and hostile payloads: each is contained, recorded, and leaves
# nothing running and no cgroup behind.
SANDBOX=$KT_BIN/kiemthu-sandbox
SAFE=$KT_SRC/profiles/seccomp-startup-safe.json

RUNS=() # the sandbox pids of this file's runs: their cgroups are kiemthu-<pid>-*
cgroups_left() { # this file's runs' groups still present in any hierarchy
    local p; for p in "${RUNS[@]}"; do own_cgroups "$p"; done
}

limit_case() { # limit_case DESC JSON_REGEX [sandbox options] -- CMD...
    local desc=$1 re=$2; shift 2
    local rec; rec=$(mktemp -u "$T/lim.XXXXXX")
    run_sb ${SB_PREFIX:-} "$SANDBOX" run -p "$SAFE" --record "$rec" "$@" # SB_PREFIX: a wrapper (no-clone3)
    RUNS+=("$SBPID")
    if grep -qE -- "$re" "$rec/seccomp-startup-safe/run.json"; then ok "$desc"
    else not_ok "$desc (exit $RC; run.json: $(grep -oE '"(exit_code|signal|timed_out|oom_killed|outcome)":[^,]*' "$rec/seccomp-startup-safe/run.json" | tr '\n' ' '))"; fi
    LAST_REC=$rec
}

if ! is_root; then
    skip "limit tests (need root for cgroups; the rlimit fallback is covered by the unprivileged suite)"
else
    limit_case "fork loop stops at the pids limit (sh: Cannot fork)" '"exit_code":2,' \
        -- /bin/sh -c 'i=0; while [ $i -lt 300 ]; do sleep 30 & i=$((i+1)); done; echo spawned-all'
    grep -q 'Cannot fork' "$LAST_REC/seccomp-startup-safe/stderr" && ok "the fork failure is in the captured stderr" || not_ok "the fork failure is in the captured stderr"
    grep -q spawned-all "$LAST_REC/seccomp-startup-safe/stdout" && not_ok "300 processes were created" || ok "300 processes were not created"
    [ -z "$(own_procs "$SBPID")" ] && ok "no sandboxed process survives (PID namespace torn down)" || not_ok "sleepers survived the sandbox: $(own_procs "$SBPID")"
    if [ -x /usr/bin/python3 ]; then
        limit_case "a 1 GiB allocation is OOM-killed at 256 MiB" '"oom_killed":true' \
            -- /usr/bin/python3 -c 'b = bytearray(1 << 30); print(len(b))'
        grep -q '"signal":9' "$LAST_REC/seccomp-startup-safe/run.json" && ok "OOM kill recorded as SIGKILL" || not_ok "OOM kill recorded as SIGKILL"
    else skip "allocation test (needs /usr/bin/python3)"; fi
    limit_case "a CPU spin is killed at --timeout" '"timed_out":true' --timeout 1 -- /bin/sh -c 'while :; do :; done'
    [ "$RC" -eq 137 ] && ok "timeout: exit 137 (128+SIGKILL)" || not_ok "timeout: exit $RC"
    limit_case "a stdout flood is capped and the truncation recorded" '"stdout":\{"bytes":100000000,"cap":1048576,"store_error":null,"stored":1048576,"truncated":true\}' \
        --output-cap 1m -- /bin/sh -c 'head -c 100000000 /dev/zero'
    [ "$(stat -c %s "$LAST_REC/seccomp-startup-safe/stdout")" -eq 1048576 ] && ok "stored stdout is exactly the cap" || not_ok "stored stdout is exactly the cap"
    limit_case "filling /tmp stops at 16 MiB (ENOSPC)" '"exit_code":1,' \
        -- /bin/sh -c 'head -c 64000000 /dev/zero > /tmp/fill'
    grep -q 'No space left' "$LAST_REC/seccomp-startup-safe/stderr" && ok "/tmp full: No space left on device" || not_ok "/tmp full: No space left on device"
    limit_case "the limits are recorded with their enforcing mechanism" '"pids":\{"enforced_by":"cgroup[12]","events":\{[^}]*\},"hit":false,"unit":"tasks","value":64\}' -- /bin/true
    grep -qE '"memory":\{"enforced_by":"cgroup[12]","events":\{[^}]*\},"hit":false,"unit":"bytes","value":268435456\}' "$LAST_REC/seccomp-startup-safe/run.json" &&
        ok "memory 256 MiB enforced by a cgroup" || not_ok "memory 256 MiB enforced by a cgroup"
    grep -qE '"cpus":\{"enforced_by":"cgroup[12]","events":\{[^}]*\},"hit":false,"unit":"millicpus","value":1000\}' "$LAST_REC/seccomp-startup-safe/run.json" &&
        ok "1 CPU enforced by a cgroup" || not_ok "1 CPU enforced by a cgroup"
    # In its groups before its first instruction: born in the v2 group
    # (clone3), or moved in before its exec (v1: by itself; v2 where clone3 is
    # refused: by the runner). Every process it starts is born there too.
    in_groups() { # in_groups DESC [sandbox options]: the payload's /proc/self/cgroup names its groups
        local desc=$1; shift
        limit_case "$desc" '"outcome":"started, exit 0"' --timings "$@" -- /bin/sh -c 'cat /proc/self/cgroup; (cat /proc/self/cgroup)'
        local ver n want
        ver=$(jget "$LAST_REC/seccomp-startup-safe/run.json" "d['cgroup']['version']")
        n=$(grep -c "/kiemthu-$SBPID-0\$" "$LAST_REC/seccomp-startup-safe/stdout")
        [ "$ver" = 2 ] && want=2 || want=6 # v1: pids, memory and cpu, for sh and its child
        [ "$n" -eq "$want" ] && ok "$desc: $n lines name its group (cgroup v$ver)" ||
            not_ok "$desc: cgroup v$ver, $n of $want lines name kiemthu-$SBPID-0: $(tr '\n' ' ' < "$LAST_REC/seccomp-startup-safe/stdout")"
        LAST_VER=$ver
    }
    in_groups "the payload runs in the sandbox's own cgroups"
    if [ "$LAST_VER" = 2 ] && [ -x "$KT_BIN/tests/no-clone3" ]; then
        SB_PREFIX=$KT_BIN/tests/no-clone3
        in_groups "clone3 refused (ENOSYS, as under Docker's profile): moved in before its exec"
        SB_PREFIX=
        grep -qE 'cgroup attach [1-9][0-9]* us' "$T/err" && ok "clone3 refused: the runner moved it (--timings: cgroup attach)" ||
            not_ok "clone3 refused: no cgroup attach in --timings"
    else
        skip "clone3 refused: only cgroup v2 clones into a group (this host: cgroup v${LAST_VER:-none})"
    fi
    for phase in load prepare reclaim 'baseline compile' compile 'cgroup create' clone setup run 'cgroup remove' record ladder.json; do
        grep -q "timings: .*$phase [0-9]* us" "$T/err" || { not_ok "--timings lacks the phase '$phase'"; phase=; break; }
    done
    [ -n "$phase" ] && ok "--timings shows each phase"
    [ -z "$(cgroups_left)" ] && ok "no cgroup left behind by any of these ${#RUNS[@]} runs" || not_ok "cgroups left behind: $(cgroups_left)"

    # --rootfs: a tiny tree made of host files; read-only; digest of the tree.
    R=$(newdir)
    mkdir -p "$R/bin" "$R/proc" "$R/dev" "$R/tmp" "$R/out"
    cp /bin/dash "$R/bin/sh" 2> /dev/null || cp /bin/sh "$R/bin/sh"
    for l in $(ldd "$R/bin/sh" | grep -o '/[^ ]*'); do mkdir -p "$R$(dirname "$l")"; cp "$l" "$R$l"; done
    chmod 777 "$R/out"
    sum_before=$(find "$R" | sort | xargs ls -ld --time-style=+ | md5sum)
    limit_case "--rootfs runs inside the tree" '"image_kind":"rootfs-tree"' --rootfs "$R" -- /bin/sh -c 'echo > /x; echo ran'
    grep -q 'Read-only file system' "$LAST_REC/seccomp-startup-safe/stderr" && ok "--rootfs root is read-only" || not_ok "--rootfs root is read-only"
    d1=$(grep -o '"image_digest":"[^"]*"' "$LAST_REC/seccomp-startup-safe/run.json")
    limit_case "--rootfs digest is stable" "$d1" --rootfs "$R" -- /bin/true
    expect_msg 125 'mount point /in missing' "--rootfs without /in: clear error" "$SANDBOX" run -p "$SAFE" --rootfs "$R" --in "$R" --record "$T/rfs-noin" -- /bin/true
    [ -e "$T/rfs-noin/seccomp-startup-safe" ] && not_ok "failed attempt left a record" || ok "failed attempt left no record behind"
    [ "$sum_before" = "$(find "$R" | sort | xargs ls -ld --time-style=+ | md5sum)" ] && ok "--rootfs tree unchanged" || not_ok "--rootfs tree changed"
fi
