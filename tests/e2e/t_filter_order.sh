# The order of the two seccomp filters (sandbox/spawn.c, filter_order): the
# baseline after the profile, so clone3 gets the baseline's ENOSYS and glibc
# falls back to clone; a profile that denies seccomp(2) itself (it would refuse
# the baseline: exit 125 "install the baseline seccomp filter" before) gets the
# baseline first, both still in force, and run.json says which order; when the
# profile and the baseline both deny it, a runner error names that and nothing
# of the payload runs.
SANDBOX=$KT_BIN/kiemthu-sandbox
TRY=$KT_BIN/tests/try-syscall
SAFE=$KT_SRC/profiles/seccomp-startup-safe.json
BASE=$KT_SRC/profiles/baseline.json

deny_seccomp() { # deny_seccomp IN OUT: IN with seccomp added to its syscalls, denied with EPERM
    /usr/bin/python3 - "$1" "$2" << 'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["syscalls"].append({"names": ["seccomp"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1})
json.dump(d, open(sys.argv[2], "w"), indent=1)
PY
}

# errnos REC PROFILE [options]: try-syscall's answers for seccomp (called with
# invalid arguments: EINVAL when let through), clone3, keyctl and io_uring_setup
# (the baseline's), one per line as "NAME ERRNO"
errnos() {
    local rec=$1 prof=$2; shift 2
    run "$SANDBOX" run -p "$prof" --record "$rec" --ro-bind "$TRY:/app/try-syscall" "$@" -- \
        /bin/sh -c 'for op in clone3; do /app/try-syscall $op; echo "$op $?"; done;
                    /app/try-syscall --report seccomp keyctl io_uring_setup'
}

if ! is_root; then
    skip "filter order (the test profiles' records are made as root)"
else
    P=$(newdir)
    deny_seccomp "$SAFE" "$P/no-seccomp.json"
    deny_seccomp "$BASE" "$P/baseline-no-seccomp.json"

    errnos "$T/fo-safe" "$SAFE"
    out=$T/fo-safe/seccomp-startup-safe
    want=$'clone3 38\nseccomp 22\nkeyctl 1\nio_uring_setup 1'
    if [ "$RC" -eq 0 ] && [ "$(cat "$out/stdout")" = "$want" ] &&
        [ "$(jget "$out/run.json" "d['filter_order']")" = "profile, baseline" ]; then
        ok "filter order: the baseline after the profile (clone3 gets its ENOSYS, seccomp(2) is let through)"
    else
        not_ok "filter order, startup-safe: exit $RC, $(tr '\n' ' ' < "$out/stdout"), order $(jget "$out/run.json" "d['filter_order']")"
    fi

    errnos "$T/fo-deny" "$P/no-seccomp.json"
    out=$T/fo-deny/no-seccomp
    want=$'clone3 1\nseccomp 1\nkeyctl 1\nio_uring_setup 1'
    if [ "$RC" -eq 0 ] && [ "$(cat "$out/stdout" 2> /dev/null)" = "$want" ] &&
        [ "$(jget "$out/run.json" "d['filter_order']")" = "baseline, profile" ] &&
        [ "$(jget "$out/run.json" "d['started']")" = true ]; then
        ok "filter order: a profile denying seccomp(2) runs with the baseline first, both in force (keyctl, io_uring denied), run.json says so"
    else
        not_ok "filter order, profile denying seccomp(2): exit $RC, $(tr '\n' ' ' < "$out/stdout" 2> /dev/null), order $(jget "$out/run.json" "d['filter_order']")"
    fi

    # An attacker's profile (review, 2026-11-29): seccomp(2) "succeeds"
    # (ERRNO 0, nothing installed) when args[5] is not 0. The runner once
    # tested the call with args[5] = 0, let the profile go first, and the
    # baseline was never installed while run.json said it was. A profile that
    # reads args[2..5] of seccomp(2) gets the baseline first.
    cat > "$P/errno0.json" << 'EOF'
{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["seccomp"], "action": "SCMP_ACT_ERRNO",
 "errnoRet": 0, "args": [{"index": 5, "value": 0, "op": "SCMP_CMP_NE"}]}]}
EOF
    errnos "$T/fo-errno0" "$P/errno0.json"
    out=$T/fo-errno0/errno0
    if [ "$RC" -eq 0 ] && grep -qx 'keyctl 1' "$out/stdout" && grep -qx 'io_uring_setup 1' "$out/stdout" &&
        [ "$(jget "$out/run.json" "d['filter_order']")" = "baseline, profile" ]; then
        ok "filter order: a profile whose seccomp(2) answer depends on args[5] (ERRNO 0) gets the baseline first; keyctl, io_uring_setup denied"
    else
        not_ok "filter order, ERRNO 0 on args[5]: exit $RC, $(tr '\n' ' ' < "$out/stdout" 2> /dev/null), order $(jget "$out/run.json" "d['filter_order']" 2> /dev/null)"
    fi

    errnos "$T/fo-both" "$P/no-seccomp.json" --baseline "$P/baseline-no-seccomp.json"
    if [ "$RC" -eq 125 ] && grep -q "both deny seccomp(2)" "$T/err" &&
        jget "$T/fo-both/ladder.json" "d['runner_error']" | grep -q "both deny seccomp(2)" &&
        [ "$(find "$T/fo-both" -mindepth 1 -maxdepth 1 -type d | wc -l)" -eq 0 ]; then
        ok "filter order: profile and baseline both denying seccomp(2) is a runner error (125) naming it, no attempt left"
    else
        not_ok "filter order, both deny: exit $RC, $(head -c 300 "$T/err"), $(ls -A "$T/fo-both" 2> /dev/null | tr '\n' ' ')"
    fi
fi
