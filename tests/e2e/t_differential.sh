# Same seccomp semantics as the reference (issue 11, part 5): try-syscall
# --report under kiemthu-sandbox and under podman + runc with the same
# profile, for every syscall the profiles name plus a control set, must give
# the same errno for each. Allowed differences, each named: the syscalls
# kiemthu's baseline filter (profiles/baseline.json) denies on top of every
# profile. The strict profile denies execve: both runners must not start.
SANDBOX=$KT_BIN/kiemthu-sandbox
TRY=$KT_BIN/tests/try-syscall
RUNEV=$KT_SRC/sandbox/docker/run-evidence.sh
STRICT=$KT_SRC/profiles/seccomp-deny-by-default.json
SAFE=$KT_SRC/profiles/seccomp-startup-safe.json
MOBY=$KT_SRC/tests/fixtures/moby-default-seccomp.json
BASE=$KT_SRC/profiles/baseline.json
source "$KT_SRC/tests/helpers/podman-env.sh"

names() { # every syscall name the profiles mention, plus a control set no profile needs to name
    /usr/bin/python3 - "$@" << 'PY'
import json, sys
n = set("getpid getuid read write close uname clock_gettime sched_yield getcwd io_uring_setup keyctl add_key request_key fsopen open_tree mount_setattr".split())
for f in sys.argv[1:]:
    for r in json.load(open(f)).get("syscalls", []):
        n.update(r.get("names", []) + ([r["name"]] if "name" in r else []))
print(" ".join(sorted(n)))
PY
}

if ! is_root; then
    skip "differential seccomp test (rootful podman needs root)"
elif ! file "$TRY" 2> /dev/null | grep -q 'statically linked' || ! file -L /bin/busybox 2> /dev/null | grep -q 'statically linked'; then
    skip "differential seccomp test (needs the static try-syscall and busybox-static for the image)"
else
    P=$T/podman
    mkdir -p "$P"
    if ! kt_podman_env "$P" runc; then
        skip "differential seccomp test: podman + runc ($PODMAN_WHY)"
    elif ! kt_podman_image "$P" localhost/kiemthu-diff:test "$TRY" || ! cp "$TRY" "$P/rootfs/app/try-syscall" ||
        ! tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$P/rootfs" -cf "$P/rootfs.tar" . ||
        ! podman import -q "$P/rootfs.tar" localhost/kiemthu-diff:test > /dev/null 2>&1; then
        not_ok "differential: podman import of the try-syscall image"
    else
        read -r -a N <<< "$(names "$STRICT" "$SAFE" "$MOBY" ${BASE:+"$BASE"})"
        allowed=" $([ -f "$BASE" ] && /usr/bin/python3 -c 'import json,sys; print(" ".join(n for r in json.load(open(sys.argv[1]))["syscalls"] for n in r.get("names", [])))' "$BASE") "
        IN=$(newdir); OUT=$(newdir); chmod 777 "$OUT"
        for prof in "$SAFE" "$MOBY"; do
            name=$(basename "$prof" .json)
            run "$SANDBOX" run -p "$prof" --record "$T/kt-$name" --ro-bind "$TRY:/app/try-syscall" -- /app/try-syscall --report "${N[@]}"
            kt=$T/kt-$name/$name/stdout
            run env DOCKER=podman bash "$RUNEV" --evidence "$T/pm-$name" --run diff --image localhost/kiemthu-diff:test \
                --in "$IN" --out "$OUT" --profile "$prof" -- /app/try-syscall --report "${N[@]}"
            pm=$T/pm-$name/runs/diff/$name/stdout
            total=$(grep -c '' "$kt"); same=0; diffs=; documented=
            while read -r s a && read -r s2 b <&3; do
                if [ "$s" != "$s2" ]; then diffs+=" order:$s/$s2"; continue; fi
                if [ "$a" = "$b" ]; then same=$((same + 1))
                elif [[ $allowed == *" $s "* ]]; then documented+=" $s(kiemthu $a, runc $b)"
                else diffs+=" $s(kiemthu $a, runc $b)"; fi
            done < "$kt" 3< "$pm"
            if [ "$total" -ge 50 ] && [ "$total" -eq "$(grep -c '' "$pm")" ] && [ -z "$diffs" ]; then
                ok "differential $name: $same/$total syscalls give the same errno under kiemthu-sandbox and podman+runc"
            else
                not_ok "differential $name: $same/$total same (kiemthu $(grep -c '' "$kt") lines, runc $(grep -c '' "$pm")); differ:${diffs:0:600}"
            fi
            [ -n "$documented" ] && echo "# $name: documented differences (kiemthu's baseline filter):$documented"
        done
        # strict: execve denied, so neither runner starts the payload
        run "$SANDBOX" run -p "$STRICT" --record "$T/kt-strict" --ro-bind "$TRY:/app/try-syscall" -- /app/try-syscall true
        ktrc=$RC
        run env DOCKER=podman bash "$RUNEV" --evidence "$T/pm-strict" --run diff --image localhost/kiemthu-diff:test \
            --in "$IN" --out "$OUT" --profile "$STRICT" -- /app/try-syscall true
        [ "$ktrc" -eq 125 ] && [ "$RC" -eq 125 ] && [ "$(jget "$T/pm-strict/runs/diff/seccomp-deny-by-default/run.json" "d['started']")" = false ] &&
            ok "differential strict: neither kiemthu-sandbox nor podman+runc starts the payload (execve denied)" || not_ok "differential strict: kiemthu exit $ktrc, run-evidence exit $RC"
        podman rmi -f localhost/kiemthu-diff:test > /dev/null 2>&1
    fi
fi
