# Running one's own program (issue 15 item 3): --env NAME (the host's value,
# never recorded), --tee (the payload's output live, escaped, never holding
# the runner up), -w/--chdir, 126/127 with the cause, --out created.
SANDBOX=$KT_BIN/kiemthu-sandbox
SAFE=$KT_SRC/profiles/seccomp-startup-safe.json
PY=/usr/bin/python3

if ! is_root && ! unshare -U true 2> /dev/null; then
    skip "running programs in the sandbox (needs root or user namespaces)"
    return 0
fi
R=$(newdir)
sb() { run "$SANDBOX" run -p "$SAFE" "$@"; }

# --env NAME: the value passes, the record has the name only.
# (the payload compares a hash: the value itself must appear nowhere, argv included)
tok_sha=$(printf %s 's3cr3t-value-4217' | sha256sum | cut -d' ' -f1)
KT_E2E_TOKEN='s3cr3t-value-4217' sb --record "$R/env" --env KT_E2E_TOKEN --env A=1 --env A=2 -- \
    /bin/sh -c "[ \"\$(printf %s \"\$KT_E2E_TOKEN\" | sha256sum | cut -d' ' -f1)\" = $tok_sha ] && echo token-ok; echo \"A=\$A\"; env | grep -c '^A='"
[ "$RC" -eq 0 ] && grep -qx token-ok "$R/env/seccomp-startup-safe/stdout" && ok "--env NAME passes the host's value" || not_ok "--env NAME (exit $RC)"
grep -rq 's3cr3t-value-4217' "$R/env" && not_ok "the passed value is in the record" || ok "--env NAME: the value is nowhere in the record"
[ "$(jget "$R/env/seccomp-startup-safe/run.json" "d['isolation']['env_from_host']")" = '["KT_E2E_TOKEN"]' ] &&
    ok "run.json lists the name in isolation.env_from_host" || not_ok "env_from_host: $(jget "$R/env/seccomp-startup-safe/run.json" "d['isolation']['env_from_host']")"
[ "$(sed -n 2,3p "$R/env/seccomp-startup-safe/stdout" | tr '\n' ' ')" = "A=2 1 " ] &&
    jget "$R/env/seccomp-startup-safe/run.json" "d['isolation']['env']" | grep -q '"A=2"' &&
    ok "a later --env of a name replaces the earlier (once in the environment, recorded as given)" || not_ok "--env A=1 --env A=2: $(cat "$R/env/seccomp-startup-safe/stdout")"
PATH=/usr/bin:/bin sb --record "$R/envpath" --env PATH -- /bin/sh -c 'echo "$PATH"'
[ "$RC" -eq 0 ] && [ "$(cat "$R/envpath/seccomp-startup-safe/stdout")" = /usr/bin:/bin ] && ok "--env PATH passes the host's PATH" || not_ok "--env PATH"
unset KT_E2E_UNSET
expect_msg 64 'KT_E2E_UNSET is not set here \(--env KT_E2E_UNSET= passes an empty value\)' "--env NAME unset on the host: usage error saying so" \
    "$SANDBOX" run -p "$SAFE" --record "$R/e1" --env KT_E2E_UNSET -- /bin/true
expect_msg 64 '--env takes K=V or NAME' "--env 9X (not a name): usage error" "$SANDBOX" run -p "$SAFE" --record "$R/e2" --env 9X -- /bin/true
expect_msg 64 '--env takes K=V or NAME' "--env =V: usage error" "$SANDBOX" run -p "$SAFE" --record "$R/e2" --env =V -- /bin/true
[ ! -e "$R/e1" ] && [ ! -e "$R/e2" ] && ok "nothing recorded for a bad --env" || not_ok "a bad --env left a record"

# --tee: shown live on the runner's stdout/stderr, escaped; the record raw.
HOSTILE='printf "plain \\033[2J\\033]0;owned\\007 CR\\rLF\\n\\tTAB \\303\\251 C1\\302\\233 8bit\\233 nul\\000x\\n"; printf "on stderr \\033[31m\\n" >&2'
LC_ALL=C.UTF-8 run "$SANDBOX" run -p "$SAFE" --record "$R/tee" --tee -- /bin/sh -c "$HOSTILE"
want_raw=$(printf 'plain \033[2J\033]0;owned\007 CR\rLF\n\tTAB \303\251 C1\302\233 8bit\233 nul\000x\n' | od -An -tx1 | tr -d ' \n')
[ "$RC" -eq 0 ] && [ "$(od -An -tx1 < "$R/tee/seccomp-startup-safe/stdout" | tr -d ' \n')" = "$want_raw" ] &&
    ok "--tee: the record keeps the payload's bytes raw" || not_ok "--tee record (exit $RC)"
printf 'plain \\x1b[2J\\x1b]0;owned\\x07 CR\\x0dLF\n\tTAB \303\251 C1\\u{009B} 8bit\\x9b nul\\x00x\n' > "$T/want-shown"
cmp -s "$T/out" "$T/want-shown" && ok "--tee: stdout shown escaped (ESC, OSC, BEL, CR, C1, 8-bit CSI, NUL), \\n \\t and UTF-8 text as they are" ||
    not_ok "--tee shown: $(od -c "$T/out" | head -5 | tr '\n' ' ')"
grep -qF 'on stderr \x1b[31m' "$T/err" && ok "--tee: the payload's stderr shown on stderr, escaped" || not_ok "--tee stderr: $(head -2 "$T/err")"
if LC_ALL=C.UTF-8 "$PY" -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.exit(any((b<32 and b not in (9,10)) or b==127 for b in d))' "$T/out"; then
    ok "--tee: no control byte but \\n and \\t reaches the terminal"
else not_ok "--tee: a control byte was shown"; fi
LC_ALL=C LANG="" LC_CTYPE="" run "$SANDBOX" run -p "$SAFE" --record "$R/tee-c" --tee -- /bin/sh -c 'printf "caf\303\251 \342\234\233\n"'
[ "$(cat "$T/out")" = 'caf\u{00E9} \u{271B}' ] && ok "--tee in a non-UTF-8 locale: non-ASCII as \\u{XXXX} (no 0x9B inside U+271B for an 8-bit terminal)" ||
    not_ok "--tee LC_ALL=C: $(cat "$T/out")"
sb --record "$R/notee" -- /bin/sh -c 'echo quiet'
[ ! -s "$T/out" ] && ok "without --tee the payload's output is only in the record" || not_ok "output shown without --tee"

# A reader that does not keep up, or goes away, never holds the runner up or ends it.
if [ -x "$PY" ]; then
    "$PY" - "$SANDBOX" "$SAFE" "$R" > "$T/py" 2>&1 << 'PY'
import os, socket, subprocess, sys
sandbox, safe, rec = sys.argv[1:4]
def run(name, stdout, extra=(), cmd="head -c 8388608 /dev/zero | tr '\\0' x"):
    p = subprocess.Popen([sandbox, "run", "-p", safe, "--record", f"{rec}/{name}", "--tee", *extra,
                          "--", "/bin/sh", "-c", cmd], stdout=stdout, stderr=subprocess.PIPE)
    try:
        err = p.communicate(timeout=120)[1].decode(errors="replace")
    except subprocess.TimeoutExpired:
        p.kill(); print(f"not ok - {name}: the runner was held up (no exit in 120 s)"); return None, ""
    return p.returncode, err
def size(name):
    return os.path.getsize(f"{rec}/{name}/seccomp-startup-safe/stdout")
# 1. a pipe nobody reads: 8 MiB through a 64 KiB pipe
r, w = os.pipe()
rc, err = run("stalled", w)
os.close(w)
if rc is not None:
    ok = rc == 0 and size("stalled") == 8388608 and "not shown (the reader did not keep up); the record has them" in err
    print(("ok" if ok else "not ok") + f" - --tee into a pipe nobody reads: exit {rc}, record {size('stalled')} bytes, the rest counted as not shown")
os.close(r)
# 2. the same with a payload that never ends: --timeout still ends it
r, w = os.pipe()
rc, err = run("stalled-timeout", w, ["--timeout", "3"], "yes")
os.close(w)
if rc is not None:
    print(("ok" if rc == 137 else "not ok") + f" - --tee into a stalled pipe: --timeout still kills the sandbox (exit {rc})")
os.close(r)
# 3. a pipe whose reader is gone: no SIGPIPE death, the record whole
r, w = os.pipe(); os.close(r)
rc, err = run("noreader", w)
os.close(w)
if rc is not None:
    ok = rc == 0 and size("noreader") == 8388608 and "warning: --tee: the payload's stdout was not shown" in err
    print(("ok" if ok else "not ok") + f" - --tee with no reader: exit {rc} (not SIGPIPE), record whole, said on stderr")
# 4. a reader that reads a little, then goes away mid-run
r, w = os.pipe()
p = subprocess.Popen([sandbox, "run", "-p", safe, "--record", f"{rec}/gone", "--tee", "--", "/bin/sh", "-c",
                      "echo first; head -c 8388608 /dev/zero | tr '\\0' y"], stdout=w, stderr=subprocess.PIPE)
os.close(w)
os.read(r, 6); os.close(r)
err = p.communicate(timeout=120)[1].decode(errors="replace")
ok = p.returncode == 0 and size("gone") == 8388614 and "warning: --tee" in err
print(("ok" if ok else "not ok") + f" - --tee whose reader goes away mid-run: exit {p.returncode}, record whole, said on stderr")
# 5. a socket (docker logs, journald): shown through send(MSG_DONTWAIT)
a, b = socket.socketpair()
rc, err = run("socket", a.fileno(), cmd="echo over a socket")
a.close()
got = b.recv(4096).decode(errors="replace"); b.close()
print(("ok" if rc == 0 and got == "over a socket\n" else "not ok") + f" - --tee to a socket: {got!r}")
PY
    while IFS= read -r line; do
        case $line in "ok - "*) ok "${line#ok - }" ;; "not ok - "*) not_ok "${line#not ok - }" ;; *) echo "# $line" ;; esac
    done < "$T/py"
else
    skip "--tee reader tests (need /usr/bin/python3)"
fi

# -w/--chdir
APP=$(newdir); printf '#!/bin/sh\necho "app in $(pwd)"\n' > "$APP/app.sh"; cp "$APP/app.sh" "$APP/noexec.sh"
chmod 755 "$APP/app.sh"; chmod 644 "$APP/noexec.sh"
sb --record "$R/cd" -w /app --ro-bind "$APP:/app" -- ./app.sh
[ "$RC" -eq 0 ] && [ "$(cat "$R/cd/seccomp-startup-safe/stdout")" = "app in /app" ] && [ "$(jget "$R/cd/seccomp-startup-safe/run.json" "d['isolation']['workdir']")" = /app ] &&
    ok "-w /app: the payload starts there (./app.sh found; workdir recorded)" || not_ok "-w /app (exit $RC)"
expect_msg 64 '--chdir takes an absolute path' "--chdir relative: usage error" "$SANDBOX" run -p "$SAFE" --record "$R/cd2" -w app -- /bin/true
expect_msg 125 'working directory /nowhere' "--chdir to a directory the sandbox lacks: 125 naming it" "$SANDBOX" run -p "$SAFE" --record "$R/cd3" -w /nowhere -- /bin/true

# 126 / 127, naming the cause (docker's codes), for every profile of the ladder
expect_msg 126 'app/noexec.sh: found but cannot be executed \(Permission denied\)' "a script without +x: 126, found but not executable" \
    "$SANDBOX" run -p "$KT_SRC/profiles/seccomp-deny-by-default.json" -p "$SAFE" --record "$R/x126" --ro-bind "$APP:/app" -- /app/noexec.sh
grep -q 'no profile let the payload start' "$T/err" && not_ok "126 blames the profiles" || ok "126 does not blame the profiles"
expect_msg 127 './app.sh: not found in the sandbox .*--ro-bind "\$PWD/app.sh:/app/app.sh" -- /app/app.sh' "a program not bound: 127, with the --ro-bind example" \
    "$SANDBOX" run -p "$SAFE" --record "$R/x127" -- ./app.sh
expect_msg 125 'no profile let the payload start' "the strict profile alone: 125 (the profile, not the program)" \
    "$SANDBOX" run -p "$KT_SRC/profiles/seccomp-deny-by-default.json" --record "$R/x125" -- /bin/true

# --out is created if missing (as docker -v makes a bind source)
sb --record "$R/mk" --out "$R/made/deep/out" -- /bin/sh -c 'echo hi > /out/f'
[ "$RC" -eq 0 ] && [ "$(cat "$R/made/deep/out/f" 2> /dev/null)" = hi ] && ok "--out made with its parents, the payload's file in it" || not_ok "--out creation (exit $RC)"
