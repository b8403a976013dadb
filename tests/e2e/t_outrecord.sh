# Issue 10, items 5, 6, 8 and 9 (the runner's side): each attempt's /out is
# copied into its own record within caps (apparent size, file count, depth),
# under the deadline, every refusal named; the host --out gets the canonical
# attempt's files only; --out and --record never overlap; nothing the payload
# writes deletes a record or stops ladder.json.
SANDBOX=$KT_BIN/kiemthu-sandbox
SAFE=$KT_SRC/profiles/seccomp-startup-safe.json
STRICT=$KT_SRC/profiles/seccomp-deny-by-default.json
ALLOW=$T/allow-all.json
echo '{"defaultAction":"SCMP_ACT_ALLOW"}' > "$ALLOW"

rj() { # rj RUNJSON PYTHON-EXPR: evaluate against the parsed run.json as r
    /usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"
}

if ! is_root; then
    skip "/out record tests (need root for the tmpfs /out cap)"
else
    # 5. A sparse 4 GiB file in a 16 MiB /out: refused by its apparent size.
    OUT=$(newdir); R=$T/sparse
    expect 0 "sparse 4 GiB file in /out: the run completes" "$SANDBOX" run -p "$SAFE" --out-size 16m --out "$OUT" --record "$R" \
        -- /bin/sh -c 'truncate -s 4G /out/sparse.bin && echo small > /out/ok.txt'
    RJ=$R/seccomp-startup-safe/run.json
    rj "$RJ" 'r["out"]["refused"]==[{"name":"sparse.bin","reason":"size cap"}] and [f["name"] for f in r["out"]["files"]]==["ok.txt"] and r["out"]["size_cap"]==16777216' &&
        ok "sparse file refused by name (size cap), the rest kept, all in run.json" || not_ok "sparse file record: $(cat "$RJ")"
    [ ! -e "$OUT/sparse.bin" ] && [ "$(cat "$OUT/ok.txt")" = small ] && [ "$(du -sb "$OUT" | cut -f1)" -lt 100000 ] &&
        ok "nothing of the sparse file reached the host (--out holds $(du -sb "$OUT" | cut -f1) bytes)" || not_ok "the sparse file reached the host"
    [ ! -e "$R/seccomp-startup-safe/out/sparse.bin" ] && ok "nor the record" || not_ok "the sparse file is in the record"

    # The copy runs under the deadline: a payload killed at its timeout leaves
    # no time to copy, and the record says the copy stopped.
    OUT=$(newdir); R=$T/deadline
    run "$SANDBOX" run -p "$SAFE" --timeout 1 --out "$OUT" --record "$R" -- /bin/sh -c 'echo x > /out/a; while :; do :; done'
    rj "$R/seccomp-startup-safe/run.json" 'r["timed_out"] and r["out"]["stopped"]=="deadline"' &&
        ok "copy under the deadline: stopped, and recorded as such" || not_ok "deadline copy: $(cat "$R/seccomp-startup-safe/run.json")"

    # 6. --out and --record may not overlap.
    B=$(newdir)
    expect_msg 64 'overlap' "--out inside --record: refused (64)" "$SANDBOX" run -p "$SAFE" --out "$B/r/out" --record "$B/r" -- /bin/true
    expect_msg 64 'overlap' "--record inside --out: refused (64)" "$SANDBOX" run -p "$SAFE" --out "$B/o" --record "$B/o/rec" -- /bin/true
    expect_msg 64 'overlap' "--out equal to --record: refused (64)" "$SANDBOX" run -p "$SAFE" --out "$B/same" --record "$B/same" -- /bin/true
    mkdir -p "$B/real/rec"; ln -s "$B/real" "$B/link"
    expect_msg 64 'overlap' "--out reaching --record through a symlink: refused (64)" "$SANDBOX" run -p "$SAFE" --out "$B/link" --record "$B/real/rec2" -- /bin/true
    [ ! -e "$B/r" ] && [ ! -e "$B/o/rec" ] && ok "a refused overlap created nothing" || not_ok "a refused overlap left directories"

    # 8. Each attempt's /out belongs to its record; the host --out gets the canonical one's.
    OUT=$(newdir); R=$T/peratt
    expect 0 "--all-profiles: every attempt runs" "$SANDBOX" run -p "$STRICT" -p "$SAFE" -p "$ALLOW" --all-profiles --out "$OUT" --record "$R" \
        -- /bin/sh -c 'sha256sum /etc/kiemthu/seccomp-profile.json > /out/profile.sha'
    a=$(cut -c1-64 "$R/seccomp-startup-safe/out/profile.sha"); b=$(cut -c1-64 "$R/allow-all/out/profile.sha")
    [ "$a" = "$(sha256sum < "$SAFE" | cut -c1-64)" ] && [ "$b" = "$(sha256sum < "$ALLOW" | cut -c1-64)" ] &&
        ok "each attempt's /out is in its own record" || not_ok "per-attempt /out: $a / $b"
    [ "$(cut -c1-64 "$OUT/profile.sha")" = "$a" ] && ok "the host --out holds the canonical attempt's files, not the last one's" ||
        not_ok "the host --out was overwritten by a later attempt"
    h=$(sha256sum < "$R/allow-all/out/profile.sha" | cut -c1-64)
    rj "$R/allow-all/run.json" "r['out']['files']==[{'name':'profile.sha','size':$(stat -c %s "$R/allow-all/out/profile.sha"),'sha256':'$h'}]" &&
        ok "run.json lists each output file with its size and sha256" || not_ok "run.json out.files"
    [ -d "$R/seccomp-deny-by-default/out" ] && [ -z "$(ls -A "$R/seccomp-deny-by-default/out")" ] &&
        ok "an attempt that did not start has an empty out/" || not_ok "not-started attempt's out/"

    # 9. Nothing the payload writes stops the record: names of every kind,
    # a deep tree, links, a FIFO, more files than the cap.
    OUT=$(newdir); R=$T/weird
    run "$SANDBOX" run -p "$SAFE" --out-files 50 --out "$OUT" --record "$R" -- /bin/sh -c '
        cd /out && echo a > "with space" && echo b > "$(printf "esc\033[2Jape")" && echo c > "nl
line" && echo d > "ünïcødé" && echo e > "$(printf "%0250d" 0)" && echo f > "50%" &&
        mkdir -p "$(printf "d/%.0s" $(seq 70))" && echo deep > "$(printf "d/%.0s" $(seq 70))leaf" &&
        p=$(printf "%0200d" 0) && mkdir -p "$p/$p/$p/$p/$p/$p/$p/$p/$p/$p/$p" && echo x > "$p/$p/$p/$p/$p/$p/$p/$p/$p/$p/$p/f" &&
        ln -s /etc/passwd link && mkfifo fifo && mkdir zz-many && i=0 && while [ $i -lt 300 ]; do : > zz-many/$i; i=$((i+1)); done; exit 7'
    [ "$RC" -eq 7 ] && ok "weird /out: the payload's own exit code (7)" || not_ok "weird /out: exit $RC"
    RJ=$R/seccomp-startup-safe/run.json
    [ -f "$R/ladder.json" ] && rj "$RJ" 'True' && ok "weird /out: run.json and ladder.json written" || not_ok "weird /out: record missing"
    rj "$RJ" '{x["reason"] for x in r["out"]["refused"]} >= {"symlink","special file","depth cap","file cap","path too long"} and r["out"]["refused_more"]>0' &&
        ok "weird /out: link, FIFO, depth and file-cap refusals named, the rest counted" || not_ok "weird /out refusals: $(head -c 600 "$RJ")"
    rj "$RJ" 'len(r["out"]["files"])==50 and "with%20space" in [f["name"] for f in r["out"]["files"]] and all(c.isprintable() and ord(c)<128 for f in r["out"]["files"] for c in f["name"])' &&
        ok "weird /out: 50 files kept (--out-files), names encoded to printable ASCII in run.json" || not_ok "weird /out files: $(head -c 600 "$RJ")"
    [ -f "$R/seccomp-startup-safe/out/with space" ] && [ ! -e "$R/seccomp-startup-safe/out/link" ] &&
        ok "weird /out: the record holds the files under their own names, no link" || not_ok "weird /out record tree"
    # ... and kiemthu-bundle create stores it all, each file under the name
    # run.json gives it; the bundle verifies.
    EV=$(newdir); mkdir -p "$EV/runs"; cp -a "$R" "$EV/runs/weird"
    KEY=$(seckey weird.key test-ed25519.key)
    expect 0 "weird /out: kiemthu-bundle create succeeds on the record" "$KT_BIN/kiemthu-bundle" create --evidence "$EV" --key "$KEY" -o "$T/weird.tar"
    expect 4 "weird /out: the bundle verifies (authentic, no policy)" "$KT_BIN/kiemthu-verify" "$T/weird.tar" --key "$FIXKEYS/test-ed25519.pub"
    names=$(/usr/bin/python3 -c 'import json,sys; print("\n".join("evidence/runs/weird/seccomp-startup-safe/out/"+f["name"] for f in json.load(open(sys.argv[1]))["out"]["files"]))' "$RJ")
    missing=$(tar -tf "$T/weird.tar" | grep -vxFf - <(echo "$names") | head -3)
    [ -z "$missing" ] && ok "weird /out: every file run.json lists is a member of that name" || not_ok "weird /out: members missing: $missing"

    # 50,000 files once exceeded the bundle's member cap: the runner's cap
    # (4096 per attempt by default) keeps every record bundleable.
    OUT=$(newdir); R=$T/many
    run "$SANDBOX" run -p "$SAFE" --out "$OUT" --record "$R" -- /bin/sh -c 'cd /out && i=0; while [ $i -lt 50000 ]; do : > f$i; i=$((i+1)); done'
    rj "$R/seccomp-startup-safe/run.json" 'len(r["out"]["files"])==4096 and len(r["out"]["refused"])==256 and r["out"]["refused_more"]==50000-4096-256' &&
        ok "50,000 files in /out: 4096 kept, the rest refused (256 by name, the others counted)" || not_ok "50,000 files: $(head -c 300 "$R/seccomp-startup-safe/run.json")"
    EV=$(newdir); mkdir -p "$EV/runs"; cp -a "$R" "$EV/runs/many"
    expect 0 "50,000 files in /out: create still makes the bundle" "$KT_BIN/kiemthu-bundle" create --evidence "$EV" --key "$KEY" -o "$T/many.tar"
fi
