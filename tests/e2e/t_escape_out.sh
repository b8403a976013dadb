# Bytes a payload or an image chose never reach the operator's terminal raw
# (redteam finding F7): a /out file name where the copy stopped, an image's
# Entrypoint and WorkingDir, --chdir, and run-evidence.sh's echo of the
# runtime's stderr. Each message is made to happen with ESC/CSI sequences, C1
# controls (U+009B, CSI on an 8-bit terminal), a bidi override and invalid
# UTF-8 in the name; stderr must hold only printable ASCII and newlines, the
# name shown escaped, and ladder.json stay valid UTF-8 JSON. Plain names give
# the same messages as before.
SANDBOX=$KT_BIN/kiemthu-sandbox
SAFE=$KT_SRC/profiles/seccomp-startup-safe.json
STRICT=$KT_SRC/profiles/seccomp-deny-by-default.json
MKIMAGE=$KT_BIN/tests/kt-mkimage
PY=/usr/bin/python3

HOSTILE=$(printf '\033[2J\033[H\033[1;32mPASS\302\233\342\200\256\377x') # ESC, CSI, U+009B, U+202E, 0xFF
VALID=$(printf '\033[2J\033[H\302\233\342\200\256x')                    # the same, valid UTF-8 (an image's JSON)

clean_stderr() { # clean_stderr FILE: only printable ASCII and newlines
    [ "$(LC_ALL=C tr -d '\n -~' < "$1" | wc -c)" -eq 0 ]
}
has_line() { # has_line FILE LINE: LINE is a whole line of FILE
    grep -qxF -- "$2" "$1"
}
json_ok() { # json_ok FILE: strict UTF-8 JSON
    "$PY" -c 'import json, sys; json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))' "$1" 2> /dev/null
}
runner_error() { # runner_error LADDER: its runner_error
    "$PY" -c 'import json, sys; print(json.load(open(sys.argv[1], encoding="utf-8"))["runner_error"])' "$1" 2> /dev/null
}
sb_case() { # sb_case NAME WANT_RC LINE DESC SANDBOX-ARGS...: stderr clean, LINE in it, ladder.json valid
    local name=$1 want=$2 line=$3 desc=$4; shift 4
    REC=$T/rec/$name
    run "$SANDBOX" run -p "$SAFE" --record "$REC" "$@"
    if [ "$RC" -ne "$want" ]; then
        not_ok "$desc (exit $RC, want $want)"
    elif ! clean_stderr "$T/err"; then
        not_ok "$desc: a raw control or non-ASCII byte on stderr: $(cat -v "$T/err" | head -3)"
    elif ! has_line "$T/err" "kiemthu-sandbox: $line"; then
        not_ok "$desc: no line 'kiemthu-sandbox: $line'"
    elif [ -e "$REC/ladder.json" ] && ! json_ok "$REC/ladder.json"; then
        not_ok "$desc: ladder.json is not valid UTF-8 JSON"
    else
        ok "$desc"
    fi
}

# --- a /out name where the copy stopped (the record's filesystem is full) ---
# The copy stops and run.json names the file (out.stopped_at, encoded); the
# run keeps the payload's exit code (t_outfault.sh).
out_case() { # out_case NAME ENCODED DESC: a payload leaves a 4 MB file NAME in /out, the record has 2 MiB
    local name=$1 enc=$2 desc=$3 d
    d=$(newdir)
    mkdir -m 755 "$d/in" "$d/out" "$d/small"
    printf '%s' "$name" > "$d/in/name"
    printf 'head -c 4000000 /dev/zero > "/out/$(cat /in/name)"\n' > "$d/in/p.sh"
    chmod 644 "$d/in/name" "$d/in/p.sh"
    run unshare -m sh -c 'mount -t tmpfs -o size=2m,mode=755 kt-small "$1/small" &&
        "$2" run -p "$3" --in "$1/in" --out "$1/out" --record "$1/small/rec" -- /bin/sh /in/p.sh;
        rc=$?; cp "$1/small/rec/ladder.json" "$1/ladder.json"; cp "$1/small/rec/seccomp-startup-safe/run.json" "$1/run.json"; exit $rc' sh "$d" "$SANDBOX" "$SAFE"
    if [ "$RC" -ne 0 ]; then
        not_ok "$desc (exit $RC, want 0: the payload's)"
    elif ! clean_stderr "$T/err"; then
        not_ok "$desc: a raw control or non-ASCII byte on stderr: $(cat -v "$T/err" | head -3)"
    elif ! grep -q "copy stopped: record write failed" "$T/err"; then
        not_ok "$desc: stderr does not say the copy stopped"
    elif ! json_ok "$d/ladder.json" || [ "$(runner_error "$d/ladder.json")" != None ]; then
        not_ok "$desc: ladder.json's runner_error: $(cat -v "$d/ladder.json")"
    elif ! json_ok "$d/run.json" || ! "$PY" -c 'import json,sys; o=json.load(open(sys.argv[1], encoding="utf-8"))["out"]; sys.exit(0 if o["stopped_at"]==sys.argv[2] and o["stopped_error"]=="No space left on device" else 1)' "$d/run.json" "$enc"; then
        not_ok "$desc: run.json's out: $(cat -v "$d/run.json" | head -c 600)"
    else
        ok "$desc"
    fi
}
if ! is_root; then
    skip "a /out name in a copy error (mounting a small tmpfs for the record needs root)"
else
    out_case "$HOSTILE" \
        "%1B%5B2J%1B%5BH%1B%5B1%3B32mPASS%C2%9B%E2%80%AE%FFx" \
        "a /out name with ESC, CSI, C1, bidi and invalid UTF-8 where the copy stopped: member-name encoded in run.json, stderr clean, ladder.json valid"
    out_case "big.bin" "big.bin" \
        "a plain /out name where the copy stopped: run.json names it"
fi

# --- an image's Entrypoint and WorkingDir --------------------------------
if [ ! -x "$MKIMAGE" ]; then
    skip "image Entrypoint/WorkingDir messages ($MKIMAGE not built)"
else
    I=$T/img
    mkdir -p "$I"
    echo data > "$T/f"
    chmod 644 "$T/f"
    "$MKIMAGE" --out "$I/ep" --tag t --entrypoint "/app/$VALID" "$T/f:/app/f" > /dev/null &&
        "$MKIMAGE" --out "$I/noexec" --tag t --entrypoint "/app/$VALID" "$T/f:/app/$VALID:0644" > /dev/null &&
        "$MKIMAGE" --out "$I/wd" --tag t --entrypoint /app/f --workdir "/$VALID" "$T/f:/app/f" > /dev/null &&
        "$MKIMAGE" --out "$I/plain" --tag t --entrypoint /app/missing --workdir /no/such/dir "$T/f:/app/f" > /dev/null ||
        not_ok "kt-mkimage could not make the test images"
    SHOWN='\x1b[2J\x1b[H\u{009B}\u{202E}x'
    sb_case ep 127 "/app/$SHOWN: not found in the image" \
        "an image's Entrypoint with ESC, CSI, C1 and bidi, not found: shown escaped, exit 127" \
        --cache "$T/cache" --image "oci:$I/ep"
    sb_case noexec 126 "/app/$SHOWN: found but cannot be executed (Permission denied)" \
        "an image's Entrypoint with control bytes, not executable: shown escaped, exit 126" \
        --cache "$T/cache" --image "oci:$I/noexec"
    sb_case wd 125 "sandbox setup failed: working directory /%1B%5B2J%1B%5BH%C2%9B%E2%80%AEx: No such file or directory" \
        "an image's WorkingDir with control bytes: member-name encoded, exit 125" \
        --cache "$T/cache" --image "oci:$I/wd"
    [ "$(runner_error "$REC/ladder.json")" = "sandbox setup failed: working directory /%1B%5B2J%1B%5BH%C2%9B%E2%80%AEx: No such file or directory" ] &&
        ok "ladder.json's runner_error names the WorkingDir encoded" || not_ok "runner_error: $(cat -v "$REC/ladder.json")"
    sb_case chdir-img 125 "sandbox setup failed: working directory /%1B%5B2J%1B%5BH%1B%5B1%3B32mPASS%C2%9B%E2%80%AE%FFx: No such file or directory" \
        "--chdir with invalid UTF-8 over an image: encoded, ladder.json valid JSON" \
        --cache "$T/cache" --image "oci:$I/ep" --entrypoint /app/f --chdir "/$HOSTILE"
    sb_case plain-ep 127 "/app/missing: not found in the image" \
        "a plain Entrypoint not found: the message as before" --cache "$T/cache" --image "oci:$I/plain" --chdir /
    sb_case plain-wd 125 "sandbox setup failed: working directory /no/such/dir: No such file or directory" \
        "a plain WorkingDir missing: the message as before" --cache "$T/cache" --image "oci:$I/plain"
    # A string from the image's JSON in an error message: escaped once, where
    # shown (it was escaped when the message was made too: \\x1b on screen).
    mkdir -p "$I/mt/blobs/sha256"
    echo '{"imageLayoutVersion":"1.0.0"}' > "$I/mt/oci-layout"
    printf '{}' > "$I/mt/b"
    H=$(sha256sum "$I/mt/b" | cut -c1-64)
    mv "$I/mt/b" "$I/mt/blobs/sha256/$H"
    printf '{"schemaVersion":2,"manifests":[{"mediaType":"x\\u001b[31mred\\\\z","digest":"sha256:%s","size":2,"annotations":{"org.opencontainers.image.ref.name":"t"}}]}' \
        "$H" > "$I/mt/index.json"
    sb_case media-type 125 "oci:$I/mt:t: sha256:$H is not an image manifest (media type \"x\\x1b[31mred\\\\z\")" \
        "an index's media type with ESC and a backslash in a message: escaped once" \
        --cache "$T/cache" --image "oci:$I/mt:t"
fi

# --- host mode: --chdir, usage errors, an unknown command -----------------
sb_case chdir 125 "sandbox setup failed: working directory /%1B%5B2J%1B%5BH%1B%5B1%3B32mPASS%C2%9B%E2%80%AE%FFx: No such file or directory" \
    "--chdir with ESC, CSI, C1, bidi and invalid UTF-8: encoded, stderr clean, ladder.json valid" \
    --chdir "/$HOSTILE" -- /bin/true
sb_case cmd 127 '/\x1b[2J\x1b[H\x1b[1;32mPASS\u{009B}\u{202E}\xffx: not found in the sandbox (host mode sees /usr, /in and --ro-bind; e.g. --ro-bind "$PWD/app.sh:/app/app.sh" -- /app/app.sh)' \
    "a host-mode command with ESC, CSI, C1, bidi and invalid UTF-8, not found: shown escaped, exit 127" -- "/$HOSTILE"
sb_case usage 64 "--in /nonexistent/\x1b[2J\x1b[H\x1b[1;32mPASS\u{009B}\u{202E}\xffx: not an existing directory" \
    "a usage error naming an argument with control bytes: shown escaped" --in "/nonexistent/$HOSTILE" -- /bin/true
run "$SANDBOX" "$HOSTILE"
[ "$RC" -eq 64 ] && clean_stderr "$T/err" &&
    has_line "$T/err" 'kiemthu-sandbox: unknown command "\x1b[2J\x1b[H\x1b[1;32mPASS\u{009B}\u{202E}\xffx"' &&
    ok "an unknown command with control bytes: shown escaped, exit 64" || not_ok "unknown command (exit $RC): $(cat -v "$T/err")"
REC=$T/rec/plain-run
run "$SANDBOX" run -p "$SAFE" --record "$REC" -- /bin/true
[ "$RC" -eq 0 ] && [ "$(sed 's/ ([0-9]* ms)$//' "$T/err")" = "kiemthu-sandbox: seccomp-startup-safe: started, exit 0
kiemthu-sandbox: canonical profile: seccomp-startup-safe (the strictest that started)" ] &&
    ok "a plain run: stderr as before" || not_ok "a plain run (exit $RC): $(cat -v "$T/err")"

# --- bytes that are not UTF-8 in what run.json records ----------------------
# An argument, an --env value and the working directory (a real one, under
# /in) with 0xFF: the payload runs, run.json is written and valid UTF-8 JSON
# with those values as {"encoded": ...} (member-name encoding, reversible),
# and the evidence can be bundled and verified. Before, run.json could not be
# written ("string is not valid UTF-8") and the run exited 125.
FF=$(printf '\377')
D=$(newdir)
mkdir -m 755 "$D/in" "$D/in/w$FF"
REC=$T/rec/not-utf8
run "$SANDBOX" run -p "$SAFE" --record "$REC" --in "$D/in" --chdir "/in/w$FF" --env "K=v$FF" \
    -- /bin/sh -c 'test "$(pwd)" = "$1" && test "$K" = "$2"' sh "/in/w$FF" "v$FF"
RUNJ=$REC/seccomp-startup-safe/run.json
if [ "$RC" -ne 0 ]; then
    not_ok "invalid UTF-8 in argv, env, workdir: the payload's exit (exit $RC, want 0)"
elif ! json_ok "$RUNJ"; then
    not_ok "invalid UTF-8 in argv, env, workdir: run.json missing or not UTF-8 JSON"
elif [ "$(jget "$RUNJ" 'd["argv"][4]')" != '{"encoded": "/in/w%FF"}' ] ||
    [ "$(jget "$RUNJ" 'd["argv"][5]')" != '{"encoded": "v%FF"}' ] ||
    [ "$(jget "$RUNJ" 'd["argv"][0]')" != /bin/sh ] ||
    [ "$(jget "$RUNJ" 'd["isolation"]["workdir"]')" != '{"encoded": "/in/w%FF"}' ] ||
    [ "$(jget "$RUNJ" '[e for e in d["isolation"]["env"] if not isinstance(e, str)]')" != '[{"encoded": "K=v%FF"}]' ]; then
    not_ok "invalid UTF-8 in argv, env, workdir: not recorded as {\"encoded\": ...}: $(jget "$RUNJ" '[d["argv"], d["isolation"]["workdir"]]')"
else
    ok "invalid UTF-8 in argv, env, workdir: the payload ran, run.json records them encoded"
fi
EV=$(newdir)
mkdir -p "$EV/runs"
cp -r "$REC" "$EV/runs/r"
KEY=$(seckey nu.key test-ed25519.key)
run "$KT_BIN/kiemthu-bundle" create -q -e "$EV" -k "$KEY" -o "$T/nu.tar"
if [ "$RC" -eq 0 ]; then
    run "$KT_BIN/kiemthu-verify" "$T/nu.tar" --key "$FIXKEYS/test-ed25519.pub"
    [ "$RC" -eq 4 ] && ok "that record bundles and verifies (AUTHENTIC, exit 4)" || not_ok "verify of that record (exit $RC)"
else
    not_ok "bundle create of that record (exit $RC)"
fi

# --- run-evidence.sh: the runtime's not-started message, echoed -----------
FAKEBIN=$(newdir)
cp "$KT_SRC/tests/helpers/fake-docker" "$FAKEBIN/docker"
for img in "x/$HOSTILE" kiemthu/probe:test; do
    EV=$(newdir)
    # the stand-in answers an exec-denying profile as runc <= 1.1: "exec IMAGE: operation not permitted"
    run env PATH="$FAKEBIN:$PATH" bash "$KT_SRC/sandbox/docker/run-evidence.sh" --evidence "$EV" --run r \
        --image "$img" --in "$(newdir)" --out "$(newdir)" --profile "$STRICT" --profile "$SAFE" -- /app/main.py
    if [ "$img" = kiemthu/probe:test ]; then
        [ "$RC" -eq 0 ] && has_line "$T/err" "run-evidence: r/seccomp-deny-by-default: not started: exec kiemthu/probe:test: operation not permitted" &&
            ok "run-evidence.sh: a plain not-started line as before" || not_ok "run-evidence.sh plain (exit $RC)"
        continue
    fi
    [ "$RC" -eq 0 ] && clean_stderr "$T/err" &&
        has_line "$T/err" 'run-evidence: r/seccomp-deny-by-default: not started: exec x/\x1b[2J\x1b[H\x1b[1;32mPASS\u{009B}\u{202E}\xffx: operation not permitted' &&
        ok "run-evidence.sh: the runtime's message with control bytes and invalid UTF-8 is echoed escaped (and classified not started)" ||
        not_ok "run-evidence.sh echo (exit $RC): $(cat -v "$T/err")"
    json_ok "$EV/runs/r/seccomp-deny-by-default/run.json" && json_ok "$EV/runs/r/ladder.json" &&
        ok "run-evidence.sh: run.json and ladder.json stay valid UTF-8 JSON" || not_ok "run-evidence.sh JSON: $(cat -v "$EV/runs/r/ladder.json")"
done
