# Issue 10, items 1-4 and 7: the side doors a namespace sandbox leaves open,
# each tried by a hostile payload (fixtures/hostile/*.c). With the baseline
# filter every one is shut; with --baseline none the same payload gets
# through, which shows each test can see the hole it guards against; the
# probe says the same from inside.
SANDBOX=$KT_BIN/kiemthu-sandbox
PROBE=$KT_BIN/kiemthu-probe
SAFE=$KT_SRC/profiles/seccomp-startup-safe.json
HB=$KT_BIN/hostile
ALLOW=$T/allow-all.json
echo '{"defaultAction":"SCMP_ACT_ALLOW"}' > "$ALLOW"
chmod 644 "$ALLOW"
n=0

payload() { # payload WHO PROFILE [SANDBOX OPTIONS] -- PROGRAM [ARGS]: stdout in $T/out, RC
    local who=$1 prof=$2; shift 2
    local as=""; [ "$who" = unprivileged ] && as=as_nobody
    n=$((n + 1))
    local rec=$T/rec-$n
    mkdir -m 777 "$rec"
    local opts=()
    while [ "$1" != -- ]; do opts+=("$1"); shift; done
    shift
    run $as "$SANDBOX" run -p "$prof" "${opts[@]}" --record "$rec/r" --ro-bind "$HB:/h" -- "$@"
    local p; p=$(basename "$prof" .json)
    cp "$rec/r/$p/stdout" "$T/out" 2> /dev/null || : > "$T/out"
}

want() { # want RC REGEX DESC: the last payload's exit code and stdout
    if [ "$RC" -eq "$1" ] && grep -qE -- "$2" "$T/out"; then ok "$3"
    else not_ok "$3 (exit $RC, want $1; stdout: $(head -c 200 "$T/out"))"; fi
}

escape_suite() {
    local who=$1
    payload "$who" "$SAFE" -- /h/io_uring_socket
    want 3 'io_uring_setup: Operation not permitted' "$who: io_uring cannot make the sockets socket() may not (baseline)"
    payload "$who" "$SAFE" --baseline none -- /h/io_uring_socket
    want 0 'created socket of family 2 through io_uring' "$who: --baseline none: io_uring makes an AF_INET socket past the profile (the hole the baseline shuts)"

    payload "$who" "$ALLOW" -- /h/vsock_bind
    want 3 'socket\(AF_VSOCK\): Address family not supported' "$who: AF_VSOCK refused even under an allow-all profile"
    if [ -e /dev/vsock ]; then
        payload "$who" "$ALLOW" --baseline none -- /h/vsock_bind
        want 0 'bound vsock port' "$who: --baseline none: a vsock port is bound (vsock is not per network namespace)"
    else
        skip "$who: vsock without the baseline (this host has no vsock transport)"
    fi
    payload "$who" "$ALLOW" -- /h/io_uring_socket 40
    want 3 'io_uring_setup' "$who: no AF_VSOCK through io_uring either"

    payload "$who" "$SAFE" -- /h/userns_mount
    want 3 'clone\(CLONE_NEWUSER\|CLONE_NEWNS\): Operation not permitted' "$who: clone with namespace flags refused"
    payload "$who" "$SAFE" --baseline none -- /h/userns_mount
    want 0 'mounted an exec-able tmpfs over /tmp' "$who: --baseline none: clone(NEWUSER|NEWNS) + fsopen/fsmount/move_mount mount an exec-able /tmp"
    payload "$who" "$ALLOW" -- /h/userns_mount
    want 3 'Operation not permitted' "$who: namespaces refused under an allow-all profile too"

    # The kernel log holds the audit records of the sandbox's first process,
    # the random name "started" rests on among them. ENOSYS comes only from
    # the baseline; without it the kernel refuses (EPERM, dmesg_restrict=1)
    # or lets the log be read (dmesg_restrict=0), never ENOSYS.
    payload "$who" "$ALLOW" -- /h/kmsg_read
    want 3 'syslog\(SIZE_BUFFER\): Function not implemented' "$who: syslog(2) refused (ENOSYS) even under an allow-all profile"
    payload "$who" "$ALLOW" --baseline none -- /h/kmsg_read
    if [ "$RC" -eq 0 ] || { [ "$RC" -eq 3 ] && grep -q 'Operation not permitted' "$T/out"; }; then
        ok "$who: --baseline none: the kernel, not a filter, answers syslog(2) ($(head -c 80 "$T/out"))"
    else
        not_ok "$who: --baseline none: syslog(2) answered by something else (exit $RC: $(head -c 200 "$T/out"))"
    fi

    # /out is noexec like /tmp; --out-exec opts out; memfd stays exec-able (recorded).
    local OUT; OUT=$(newdir); chmod 777 "$OUT"
    payload "$who" "$SAFE" --out "$OUT" -- /bin/sh -c 'cp /bin/true /out/t && chmod 755 /out/t && /out/t; echo "exit $?"'
    want 0 'exit 126' "$who: a program copied to /out cannot run (noexec)"
    grep -q '"noexec":true' "$T/rec-$n/r/seccomp-startup-safe/run.json" &&
        grep -q '"exec_from":\["read-only root and binds","memfd (memfd_create + execveat)"\]' "$T/rec-$n/r/seccomp-startup-safe/run.json" &&
        ok "$who: run.json says /out is noexec and memfd is exec-able" || not_ok "$who: run.json on exec sources"
    OUT=$(newdir); chmod 777 "$OUT"
    payload "$who" "$SAFE" --out "$OUT" --out-exec -- /bin/sh -c 'cp /bin/true /out/t && chmod 755 /out/t && /out/t; echo "exit $?"'
    want 0 'exit 0' "$who: --out-exec: it can"
}

if ! is_root; then
    skip "side-door tests (need root for the root run and to drop to uid 65534)"
else
    escape_suite root
    # Keyrings (root: the payload is uid 65532 in the host's user namespace).
    WSK=$KT_BIN/tests/with-session-key
    if ! "$WSK" /bin/true; then
        skip "keyring tests: this kernel gives no session keyrings"
    else
        # Control: as uid 65532 but outside the sandbox, the key is readable
        # (possession is enough), so the test below can see the hole.
        run "$WSK" setpriv --reuid=65532 --regid=65532 --clear-groups "$HB/keyring" read
        grep -q 'read the runner.s key: s3cr3t' "$T/out" && ok "control: outside the sandbox uid 65532 reads the runner's session key" ||
            not_ok "control: the runner's key should be readable outside the sandbox ($(cat "$T/out"))"
        payload root "$SAFE" -- /h/keyring read
        want 3 'session keyring: Operation not permitted' "root: keyctl refused (baseline)"
        run "$WSK" "$SANDBOX" run -p "$SAFE" --baseline none --record "$T/kr1" --ro-bind "$HB:/h" -- /h/keyring read
        grep -q 'read the runner' "$T/kr1/seccomp-startup-safe/stdout" && not_ok "root: --baseline none: the runner's session key was read" ||
            ok "root: --baseline none: the runner's session key is out of reach (fresh session keyring)"
        run "$WSK" "$SANDBOX" run -p "$SAFE" --baseline none --record "$T/kr2" --ro-bind "$HB:/h" -- /h/keyring plant
        grep -q 'planted key' "$T/kr2/seccomp-startup-safe/stdout" && ok "root: --baseline none: a run plants a key in uid 65532's user keyring" ||
            not_ok "root: planting a key without the baseline (stdout: $(cat "$T/kr2/seccomp-startup-safe/stdout"))"
        run "$SANDBOX" run -p "$SAFE" --baseline none --record "$T/kr3" --ro-bind "$HB:/h" -- /h/keyring find
        grep -q 'user keyring: Required key not available' "$T/kr3/seccomp-startup-safe/stdout" &&
            ok "root: the next run does not find it (user keyrings emptied): no channel between runs" ||
            not_ok "root: a key planted by one run reached the next (stdout: $(cat "$T/kr3/seccomp-startup-safe/stdout"))"
    fi
    if as_nobody test -x "$SANDBOX"; then escape_suite unprivileged; else skip "unprivileged side-door tests (uid 65534 cannot reach the build)"; fi

    # The probe sees the same from inside.
    for bl in default none; do
        OUT=$(newdir); chmod 777 "$OUT"; IN=$(newdir)
        args=(); [ "$bl" = none ] && args=(--baseline none)
        run "$SANDBOX" run -p "$SAFE" "${args[@]}" --in "$IN" --out "$OUT" --record "$T/probe-$bl" \
            --ro-bind "$PROBE:/app/kiemthu-probe" -- /app/kiemthu-probe --allow-mount /app/kiemthu-probe
        fails=$(/usr/bin/python3 -c 'import json,sys; print(" ".join(sorted(p["id"] for p in json.load(open(sys.argv[1]))["probes"] if not p["pass"])))' "$OUT/probe.json")
        if [ "$bl" = default ]; then
            [ -z "$fails" ] && [ "$RC" -eq 0 ] && ok "probe with the baseline: every probe passes" || not_ok "probe with the baseline: failing: $fails"
        else
            for id in io-uring-denied keyring-denied userns-denied mount-api-denied baseline-denied-syscalls; do
                case " $fails " in *" $id "*) ok "probe with --baseline none: $id fails" ;; *) not_ok "probe with --baseline none: $id should fail (failing: $fails)" ;; esac
            done
            [ "$RC" -eq 1 ] && ok "probe with --baseline none exits 1" || not_ok "probe with --baseline none exit $RC"
        fi
    done
fi
