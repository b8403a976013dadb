# Issue 10 item 9 (attacker's findings F3, F6): nothing a payload writes
# makes the runner delete an attempt's record. A record filesystem the
# payload fills (bytes or inodes) stops the /out copy, recorded in run.json;
# a bind-mode /out nested deeper than 1024 levels is removed; empty
# directories count against a cap; names colliding with the host --out's
# are reported, the rest published.
SANDBOX=$KT_BIN/kiemthu-sandbox
SAFE=$KT_SRC/profiles/seccomp-startup-safe.json

rj() { # rj RUNJSON PYTHON-EXPR: evaluate against the parsed run.json as r
    /usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"
}
lj() { # lj LADDERJSON PYTHON-EXPR: against the parsed ladder.json as l
    /usr/bin/python3 -c 'import json,sys; l=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"
}
MOUNTS=()
cleanup() { for m in "${MOUNTS[@]}"; do umount "$m" 2> /dev/null; done; }
trap cleanup EXIT
smallfs() { # smallfs DIR OPTIONS: a tmpfs for a record, unmounted when the test ends
    mkdir -p "$1" && mount -t tmpfs -o "$2" kt-outfault "$1" && MOUNTS+=("$1")
}

if ! is_root; then
    skip "/out fault tests (need root: a small tmpfs for the record, the tmpfs /out)"
else
    # F3. A record on a 32 MiB tmpfs and a 40 MB file in /out: the copy stops
    # at ENOSPC, the run is recorded whole with its own exit code.
    M=$T/full; OUT=$(newdir)
    if ! smallfs "$M" size=32m; then
        skip "record on a full filesystem (cannot mount a tmpfs)"
    else
        expect 3 "record filesystem filled through /out: the payload's exit code (3), not 125" "$SANDBOX" run -p "$SAFE" --out "$OUT" --record "$M/rec" \
            -- /bin/sh -c 'echo kept-stdout; echo kept-stderr >&2; echo small > /out/a; head -c 40000000 /dev/zero > /out/big; exit 3'
        A=$M/rec/seccomp-startup-safe
        rj "$A/run.json" 'r["out"]["stopped"]=="record write failed" and r["out"]["stopped_errno"]==28 and r["out"]["stopped_at"]=="big" and [f["name"] for f in r["out"]["files"]]==["a"] and r["exit_code"]==3' &&
            ok "run.json says the copy stopped at big (ENOSPC); a kept" || not_ok "full record: $(head -c 800 "$A/run.json" 2>&1)"
        [ "$(cat "$A/stdout")" = kept-stdout ] && [ "$(cat "$A/stderr")" = kept-stderr ] && [ ! -e "$A/out/big" ] &&
            ok "stdout and stderr kept, no partial file under its name" || not_ok "full record: stdout/stderr/out: $(ls -A "$A" "$A/out" 2>&1)"
        lj "$M/rec/ladder.json" 'l["attempts"][0]["outcome"].startswith("started") and not l["runner_error"]' &&
            ok "ladder.json: started, no runner error" || not_ok "full record ladder.json: $(cat "$M/rec/ladder.json" 2>&1)"
        [ -z "$(ls -A "$M/rec" | grep '^\.partial')" ] && ok "no .partial directory left" || not_ok "full record: $(ls -A "$M/rec")"
    fi

    # F3. Out of inodes: 2000 empty directories against a record with 1000
    # inodes; run.json cannot be written beside the copy, so the copy goes
    # and run.json says so.
    M=$T/inodes; OUT=$(newdir)
    if ! smallfs "$M" size=64m,nr_inodes=1000; then
        skip "record out of inodes (cannot mount a tmpfs)"
    else
        expect 0 "record out of inodes through /out: exit 0, not 125" "$SANDBOX" run -p "$SAFE" --out "$OUT" --record "$M/rec" \
            -- /bin/sh -c 'cd /out && mkdir $(seq 2000) && echo done'
        A=$M/rec/seccomp-startup-safe
        rj "$A/run.json" 'r["out"]["stopped"]=="record write failed" and r["out"]["stopped_errno"]==28 and "removed to make room" in r["out"]["error"] and r["out"]["files"]==[]' &&
            ok "run.json: copy stopped (ENOSPC), the copy given up to write the record, said in out.error" || not_ok "inodes: $(head -c 800 "$A/run.json" 2>&1)"
        [ "$(cat "$A/stdout")" = done ] && lj "$M/rec/ladder.json" 'l["attempts"][0]["outcome"]=="started, exit 0"' &&
            ok "stdout kept, ladder.json says started, exit 0" || not_ok "inodes: ladder.json $(cat "$M/rec/ladder.json" 2>&1)"
    fi

    # F3. Bind mode (--out-size 0): a tree 1500 levels deep in /out, which
    # the runner must remove from the attempt (it once stopped at 1024).
    OUT=$(newdir); R=$T/deep
    expect 0 "bind /out 1500 levels deep: exit 0" "$SANDBOX" run -p "$SAFE" --out-size 0 --out "$OUT" --record "$R" \
        -- /bin/sh -c 'mkdir -p /out/$(printf "d/%.0s" $(seq 1500)) && echo x > /out/top'
    A=$R/seccomp-startup-safe
    rj "$A/run.json" 'r["out"]["error"] is None and "depth cap" in [x["reason"] for x in r["out"]["refused"]] and [f["name"] for f in r["out"]["files"]]==["top"]' &&
        ok "deep bind /out: recorded (depth cap), no error" || not_ok "deep bind: $(head -c 800 "$A/run.json" 2>&1)"
    [ -f "$A/run.json" ] && [ ! -e "$A/out.raw" ] && [ -z "$(ls -A "$R" | grep '^\.partial')" ] && ok "deep bind /out: out.raw removed, nothing left beside" ||
        not_ok "deep bind: $(ls -A "$R" "$A")"

    # The payload fills the record's file system through stdout: storing
    # stops, the run goes on to its own exit code, the stored output makes
    # room for run.json (the larger stream), and the record is complete (it
    # was a runner failure, exit 125, and the attempt was deleted).
    M=$T/fullout
    if ! smallfs "$M" size=256k; then
        skip "record filled through stdout (cannot mount a tmpfs)"
    else
        expect 3 "record filled through stdout: the payload's exit code (3), not 125" "$SANDBOX" run -p "$SAFE" --record "$M/rec" \
            -- /bin/sh -c 'echo started >&2; head -c 2000000 /dev/zero; exit 3'
        A=$M/rec/seccomp-startup-safe
        rj "$A/run.json" 'r["started"] and r["exit_code"]==3 and r["stdout"]["bytes"]==2000000 and r["stdout"]["stored"]==0 and r["stdout"]["store_error"]=="No space left on device; what was stored was removed to make room for run.json" and r["stderr"]["stored"]==8 and r["stderr"]["store_error"] is None' &&
            [ ! -s "$A/stdout" ] && [ "$(cat "$A/stderr")" = started ] && lj "$M/rec/ladder.json" 'l["attempts"][0]["outcome"]=="started, exit 3"' &&
            ok "run.json: stdout counted, its store stopped and emptied for run.json (said so), stderr kept; ladder.json: started, exit 3" ||
            not_ok "record filled through stdout: $(ls -A "$M/rec" "$A" 2>&1 | tr '\n' ' ') $(head -c 600 "$A/run.json" 2>&1)"
    fi

    # No inode left for the attempt's directory, which the runner makes while
    # the sandbox sets itself up: a runner error naming it, before anything
    # of the payload ran; no cgroup or process of the run left.
    M=$T/noinode; OUT=$(newdir)
    if ! smallfs "$M" size=1m,nr_inodes=2; then
        skip "record with no inode for the attempt (cannot mount a tmpfs)"
    else
        run_sb "$SANDBOX" run -p "$SAFE" --out "$OUT" --record "$M/rec" -- /bin/sh -c 'echo ran > /out/ran'
        if [ "$RC" -eq 125 ] && grep -q "cannot create $M/rec/.partial-seccomp-startup-safe.[0-9]*: No space left on device" "$T/err" &&
            [ ! -e "$OUT/ran" ] && [ -z "$(ls -A "$M/rec")" ] && [ -z "$(own_cgroups "$SBPID")" ] && [ -z "$(own_procs "$SBPID")" ]; then
            ok "no inode for the attempt: exit 125 naming it, the payload never ran, no cgroup or process left"
        else
            not_ok "no inode for the attempt: exit $RC, $(head -c 300 "$T/err"), rec: $(ls -A "$M/rec"), out: $(ls -A "$OUT"), cgroups: $(own_cgroups "$SBPID")"
        fi
    fi

    # F6. 100,000 empty directories: capped like files (--out-files, 4096),
    # the rest refused by name ("directory cap") or counted.
    OUT=$(newdir); R=$T/dirflood
    expect 0 "100,000 empty directories in /out: exit 0" "$SANDBOX" run -p "$SAFE" --out "$OUT" --record "$R" \
        -- /bin/sh -c 'cd /out && seq 100000 | xargs mkdir'
    A=$R/seccomp-startup-safe
    rj "$A/run.json" 'r["out"]["dirs"]==4096 and r["out"]["caps"]["dirs"]==4096 and len(r["out"]["refused"])==256 and {x["reason"] for x in r["out"]["refused"]}=={"directory cap"} and r["out"]["refused_more"]==100000-4096-256' &&
        ok "4096 directories kept, 256 refused by name (directory cap), the rest counted" || not_ok "dirflood: $(head -c 600 "$A/run.json" 2>&1)"
    n=$(find "$A/out" -mindepth 1 -type d | wc -l); h=$(find "$OUT" -mindepth 1 -type d | wc -l)
    [ "$n" -eq 4096 ] && [ "$h" -eq 4096 ] && ok "the record and the host --out hold 4096 directories" || not_ok "dirflood: record $n, host $h directories"

    # F9. /out names that collide with the host --out's own (a file where
    # the payload made a directory, a directory where it made a file): exit
    # 125, every other file published, the record whole, ladder.json says so.
    OUT=$(newdir); R=$T/collide
    echo host-file > "$OUT/x"; mkdir "$OUT/y"; echo host-keep > "$OUT/y/keep"
    expect_msg 125 'not published' "--out collisions: 125, said" "$SANDBOX" run -p "$SAFE" --out "$OUT" --record "$R" \
        -- /bin/sh -c 'mkdir /out/x && echo a > /out/x/inner && echo b > /out/y && echo c > /out/z'
    [ "$(cat "$OUT/z")" = c ] && [ "$(cat "$OUT/x")" = host-file ] && [ "$(cat "$OUT/y/keep")" = host-keep ] &&
        ok "--out collisions: the rest published, the host's own files untouched" || not_ok "collide: $(ls -lA "$OUT")"
    rj "$R/seccomp-startup-safe/run.json" 'sorted(f["name"] for f in r["out"]["files"])==["x/inner","y","z"]' &&
        lj "$R/ladder.json" 'l["runner_error"] is None and "2 name(s) not published" in l["publish_error"] and l["attempts"][0]["outcome"]=="started, exit 0"' &&
        ok "--out collisions: the record holds every file, ladder.json says what was not published" || not_ok "collide: $(cat "$R/ladder.json" 2>&1)"
fi
