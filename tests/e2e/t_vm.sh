# The cgroup v2 smoke set in a VM (tests/vm/run.sh smoke: limits, hits,
# delegation, probe on Debian's kernel with cgroup2 alone), since this host
# may be cgroup v1. `make check-cgroup2` runs the whole suite there.
if [ -n "${KT_IN_VM:-}" ]; then
    skip "cgroup v2 VM smoke (already inside the VM)"
elif [ "${SAN_BUILD:-}" = 1 ]; then
    skip "cgroup v2 VM smoke under sanitizers (make check runs it with the plain build)"
elif ! is_root; then
    skip "cgroup v2 VM smoke (needs root: the guest's tests run as root)"
else
    KT_VM_CACHE=${KT_VM_CACHE:-$KT_SRC/build/vm} flock /tmp/kt-vm.lock bash "$KT_SRC/tests/vm/run.sh" smoke > "$T/vm.out" 2>&1
    RC=$?
    if [ "$RC" -eq 77 ]; then
        skip "$(sed -n 's/^SKIPPED - //p' "$T/vm.out" | head -1)"
    else
        sed -n 's/^kt-vm: /# vm: /p' "$T/vm.out"
        sed -n 's/^\(ok\|not ok\|SKIPPED\) - /vm: &/p' "$T/vm.out" | sed 's/^vm: \(ok\|not ok\|SKIPPED\) - /\1 - vm: /' > "$T/vm.tap"
        cat "$T/vm.tap"
        PASSED=$((PASSED + $(grep -c '^ok - ' "$T/vm.tap")))
        FAILED=$((FAILED + $(grep -c '^not ok - ' "$T/vm.tap")))
        SKIPPED=$((SKIPPED + $(grep -c '^SKIPPED - ' "$T/vm.tap")))
        line=$(grep '^e2e: ' "$T/vm.out")
        if [ "$RC" -eq 0 ] && [ -n "$line" ]; then ok "cgroup v2 VM smoke passed (${line#e2e: })"
        else not_ok "cgroup v2 VM smoke: exit $RC; $(grep -m5 '^not ok\|^#   ' "$T/vm.out" | tr '\n' ' ')"; fi
    fi
fi
