# Evidence from a docker-based CI: sandbox/docker/run-evidence.sh against a
# REAL runtime: podman + runc (and crun where the host allows it), offline,
# with its config under a temporary directory. Required: the strict profile
# recorded as not started (from the runtime's exec-failure message, not the
# exit code), startup-safe started with every probe passing, and the bundle
# verifying. Then the stand-in docker checks that the flags are exactly the seed's.
RUNEV=$KT_SRC/sandbox/docker/run-evidence.sh
PROBE=$KT_BIN/kiemthu-probe
STRICT=$KT_SRC/profiles/seccomp-deny-by-default.json
SAFE=$KT_SRC/profiles/seccomp-startup-safe.json
source "$KT_SRC/tests/helpers/podman-env.sh"
# less what only kiemthu-sandbox can satisfy: no kiemthu baseline filter, no limit
# hits recorded, no check of the filter the runtime compiled, the pinned probe id
# list is kiemthu-sandbox's (--runner container reports the baseline probes as one
# runner-specific entry and adds sys-read-only), and the pinned probe image is the
# demo's (tests/images.sh), not this one
b4_only_policy "$T/docker-policy.json" b4-baseline b4-limits b4-filter-checked b4-probe-ids b4-image-pinned

podman_suite() { # podman_suite OCI_RUNTIME
    local oci=$1 P=$T/podman-$1
    mkdir -p "$P"
    if ! kt_podman_env "$P" "$oci"; then skip "podman + $oci ($PODMAN_WHY)"; return; fi
    if ! kt_podman_image "$P" localhost/kiemthu-probe:test "$PROBE"; then not_ok "podman import of the probe image: $(cat "$P/import.log")"; return; fi
    # a first run tells whether this runtime can run containers here at all
    if ! podman run --rm --network none localhost/kiemthu-probe:test /bin/sh -c : > "$P/try.log" 2>&1; then
        skip "podman + $oci cannot run containers on this host: $(grep -v level=warning "$P/try.log" | head -c 200 | tr "\n" " ")"; return
    fi
    local EV=$P/evidence IN=$P/in OUT=$P/out
    mkdir -p "$EV" "$IN" "$OUT"; cp "$STRICT" "$SAFE" "$IN/"
    run env DOCKER=podman bash "$RUNEV" --evidence "$EV" --run probe --image localhost/kiemthu-probe:test \
        --in "$IN" --out "$OUT" --profile "$STRICT" --profile "$SAFE" -- /app/kiemthu-probe --runner container --profile '/in/{profile}'
    local R=$EV/runs/probe
    [ "$RC" -eq 0 ] && ok "podman+$oci B4': exit 0 (the canonical profile's)" || not_ok "podman+$oci B4': exit $RC"
    [ "$(jget "$R/seccomp-deny-by-default/run.json" "d['started']")" = false ] &&
        ok "podman+$oci: strict not started ($(jget "$R/seccomp-deny-by-default/run.json" "d['not_started_rule']"); runtime said: $(head -c 120 "$R/seccomp-deny-by-default/stderr" | tr '\n' ' '))" ||
        not_ok "podman+$oci: strict not started (run.json: $(jget "$R/seccomp-deny-by-default/run.json" "[d['outcome'], d['runtime_exit_code']]"))"
    local rep=$R/seccomp-startup-safe/stdout
    if [ "$(jget "$R/seccomp-startup-safe/run.json" "d['started']")" = true ] && [ "$(jget "$rep" "d['passed'] == d['total'] and d['total'] >= 30")" = true ]; then
        ok "podman+$oci: startup-safe started, $(jget "$rep" "d['passed']")/$(jget "$rep" "d['total']") probes pass"
    else
        not_ok "podman+$oci: startup-safe probes: $(jget "$rep" "[p['id'] + ': ' + p['observed'] for p in d['probes'] if not p['pass']]") $(head -c 200 "$R/seccomp-startup-safe/stderr")"
    fi
    [ "$(jget "$R/ladder.json" "d['canonical']")" = seccomp-startup-safe ] && ok "podman+$oci: canonical = startup-safe" || not_ok "podman+$oci: ladder $(cat "$R/ladder.json")"
    cmp -s "$rep" "$OUT/probe.json" && ok "podman+$oci: the report is also in /out/probe.json" || not_ok "podman+$oci: /out/probe.json"
    [ "$(jget "$R/seccomp-startup-safe/run.json" "d['image_digest'].startswith('sha256:') and d['runtime'].startswith('podman + $oci')")" = true ] &&
        ok "podman+$oci: image digest and runtime recorded ($(jget "$R/seccomp-startup-safe/run.json" "d['runtime']"))" || not_ok "podman+$oci: image digest/runtime"
    expect_msg 0 'verdict: PASS' "podman+$oci evidence bundles with the B4' checks: PASS" \
        "$BUNDLE" create -e "$EV" -k "$(seckey "dk-$oci.key" test-ed25519.key)" -p "$T/docker-policy.json" -o "$P/b.tar"
    expect 0 "podman+$oci evidence bundle verifies offline" "$VERIFY" "$P/b.tar" --key "$FIXKEYS/test-ed25519.pub"

    # A payload that exits 1 (or 255) by itself started: never classified by exit code.
    local NV=$P/neg
    run env DOCKER=podman bash "$RUNEV" --evidence "$NV" --run neg --image localhost/kiemthu-probe:test \
        --in "$IN" --out "$OUT" --profile "$SAFE" -- /bin/sh -c 'echo "exec /bin/sh: operation not permitted, or so I say" >&2; exit 1'
    [ "$RC" -eq 1 ] && [ "$(jget "$NV/runs/neg/seccomp-startup-safe/run.json" "d['started']")" = true ] &&
        ok "podman+$oci: a payload that exits 1 mimicking the message loosely is recorded as started, exit 1" || not_ok "podman+$oci: exit-1 payload: exit $RC, $(cat "$NV/runs/neg/seccomp-startup-safe/run.json")"
    run env DOCKER=podman bash "$RUNEV" --evidence "$P/neg255" --run neg --image localhost/kiemthu-probe:test \
        --in "$IN" --out "$OUT" --profile "$SAFE" -- /bin/sh -c 'exit 255'
    [ "$RC" -eq 255 ] && [ "$(jget "$P/neg255/runs/neg/seccomp-startup-safe/run.json" "d['started']")" = true ] &&
        ok "podman+$oci: a payload that exits 255 is recorded as started (runc 1.2's code alone proves nothing)" || not_ok "podman+$oci: exit-255 payload: exit $RC"
    # Redteam F2: the runtime's exact messages, printed by a payload that
    # started under a profile that lets execve through: never "not started"
    # (that would make a looser profile canonical), and run.json says which
    # rule matched and why it was not believed.
    local msg
    for msg in 'exec /bin/sh: operation not permitted:1' 'Error: OCI runtime error: runc: exec failed:126'; do
        run env DOCKER=podman bash "$RUNEV" --evidence "$P/forge" --run "f${msg##*:}" --image localhost/kiemthu-probe:test \
            --in "$IN" --out "$OUT" --profile "$SAFE" -- /bin/sh -c 'printf "%s\n" "$1" >&2; exit "$2"' sh "${msg%:*}" "${msg##*:}"
        local FJ=$P/forge/runs/f${msg##*:}/seccomp-startup-safe/run.json
        [ "$RC" -eq "${msg##*:}" ] && [ "$(jget "$FJ" "d['started']")" = true ] && [ "$(jget "$FJ" "d['not_started_rule']")" = null ] &&
            jget "$FJ" "d['not_started_rule_ignored']" | grep -q 'the payload could have written it' &&
            ok "podman+$oci: a payload printing '${msg%:*}' and exiting ${msg##*:} under startup-safe: started (the rule matched, not believed)" ||
            not_ok "podman+$oci: forged not-started '${msg%:*}': exit $RC, $(cat "$FJ")"
    done
    podman rmi -f localhost/kiemthu-probe:test > /dev/null 2>&1
}

if ! is_root; then
    skip "podman tests (rootful podman needs root)"
elif [ "${SAN_BUILD:-}" = 1 ] && ! file "$PROBE" | grep -q 'statically linked'; then
    skip "podman tests (the sanitizer build's probe is dynamic; the image holds only static programs)"
elif ! file -L /bin/busybox 2> /dev/null | grep -q 'statically linked'; then
    skip "podman tests (the image needs a static busybox: apt-get install busybox-static)"
else
    podman_suite runc
    # crun refuses a cgroup v1 hybrid host; on cgroup v2 (the VM) it runs
    podman_suite crun
fi

# The stand-in docker only checks that the flags are exactly the seed's (it
# plays runc <= 1.1 for an exec-denying profile: exit 1 and runc's message).
FAKEBIN=$(newdir); cp "$KT_SRC/tests/helpers/fake-docker" "$FAKEBIN/docker"
DEV=$(newdir); DIN=$(newdir); DOUT=$(newdir)
run env PATH="$FAKEBIN:$PATH" FAKE_DOCKER_STDOUT='{}' FAKE_DOCKER_LOG="$T/docker.log" bash "$RUNEV" \
    --evidence "$DEV" --run probe --image kiemthu/probe:test --in "$DIN" --out "$DOUT" \
    --profile "$STRICT" --profile "$SAFE" -- /app/main.py
[ "$RC" -eq 0 ] && [ "$(grep -c '^docker run' "$T/docker.log")" -eq 2 ] &&
    ok "stand-in docker: docker run called once per profile, with exactly the seed's flags" || not_ok "stand-in docker: exit $RC, calls: $(cat "$T/docker.log")"
grep -q '"image_digest":"sha256:0000000000000000000000000000000000000000000000000000000000000007"' "$DEV/runs/probe/seccomp-startup-safe/run.json" &&
    ok "stand-in docker: image digest from docker inspect" || not_ok "stand-in docker: image digest from docker inspect"
# Which profiles let the runtime's exec-failure message decide "not started"
# (the stand-in answers with that message for any profile naming execve):
# only one that denies every execve and execveat, read the way the runtime
# (Go's encoding/json: keys in any letter case, the last of two equal keys)
# reads it too; a conditional, gated or allowing rule, an unknown action, a
# key in another case or given twice leave the payload able to run and print
# the message itself.
EX='"names":["execve","execveat"]'
mkprof() { printf '%s' "$2" > "$T/$1.json"; }
mkprof deny-uncond '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{'"$EX"',"action":"SCMP_ACT_ERRNO"}]}'
mkprof deny-default '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{'"$EX"',"action":"SCMP_ACT_KILL_PROCESS","args":[{"index":1,"value":0,"op":"SCMP_CMP_EQ"}]}]}'
mkprof execve-only '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["execve"],"action":"SCMP_ACT_ERRNO"}]}'
mkprof deny-args '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{'"$EX"',"action":"SCMP_ACT_ERRNO","args":[{"index":1,"value":0,"op":"SCMP_CMP_EQ"}]}]}'
mkprof deny-gated '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{'"$EX"',"action":"SCMP_ACT_ERRNO","excludes":{"caps":["CAP_SYS_ADMIN"]}}]}'
mkprof allow-args '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{'"$EX"',"action":"SCMP_ACT_ALLOW","args":[{"index":1,"value":0,"op":"SCMP_CMP_NE"}]}]}'
mkprof unknown-action '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{'"$EX"',"action":"SCMP_ACT_NEW"}]}'
mkprof args-case '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{'"$EX"',"action":"SCMP_ACT_ERRNO","Args":[{"index":0,"value":0,"op":"SCMP_CMP_EQ"}]}]}'
mkprof default-case '{"defaultAction":"SCMP_ACT_ERRNO","DefaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ALLOW","comment":"execve"}]}'
mkprof default-twice '{"defaultAction":"SCMP_ACT_ALLOW","defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ALLOW","comment":"execve"}]}'
for c in deny-uncond:false deny-default:false execve-only:true deny-args:true deny-gated:true allow-args:true \
    unknown-action:true args-case:true default-case:true default-twice:true; do
    n=${c%:*} EV1=$(newdir)
    run env PATH="$FAKEBIN:$PATH" bash "$RUNEV" --evidence "$EV1" --run r --image kiemthu/probe:test --in "$DIN" --out "$DOUT" \
        --profile "$T/$n.json" -- /app/main.py
    [ "$(jget "$EV1/runs/r/$n/run.json" "d['started']")" = "${c#*:}" ] &&
        ok "stand-in docker, profile $n: the exec-failure message $([ "${c#*:}" = false ] && echo decides: not started || echo is not believed: started)" ||
        not_ok "stand-in docker, profile $n: $(cat "$EV1/runs/r/$n/run.json" 2>&1 | head -c 300)"
done
sed 's/--pids-limit 64/--pids-limit 128/' "$RUNEV" > "$T/drifted.sh"
run env PATH="$FAKEBIN:$PATH" bash "$T/drifted.sh" --evidence "$(newdir)" --run probe --image i --in "$DIN" --out "$DOUT" \
    --profile "$SAFE"
grep -rq "the seed's is '64'" "$T" 2> /dev/null && ok "the stand-in docker rejects a drifted flag" || not_ok "the stand-in docker rejects a drifted flag"
