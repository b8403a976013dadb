# Host mode hashes what really runs: the program, the script an interpreter
# is given, a #! script's interpreter, and every --ro-bind source (a file's
# sha256, a directory's tree digest as docs/RUN_RECORD.md defines it, which
# this test recomputes independently).
SANDBOX=$KT_BIN/kiemthu-sandbox
SAFE=$KT_SRC/profiles/seccomp-startup-safe.json
PY=/usr/bin/python3

hx_run() { # hx_run NAME [sandbox options] -- CMD...
    local name=$1; shift
    REC=$T/rec-$name
    run "$SANDBOX" run -p "$SAFE" --record "$REC" "$@"
    RUNJ=$REC/seccomp-startup-safe/run.json
}
jget() { # jget KEY...: a value from $RUNJ ("null" for null)
    "$PY" - "$RUNJ" "$@" << 'PY'
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    v = v[int(k)] if isinstance(v, list) else v[k]
print("null" if v is None else v)
PY
}
sha() { echo "sha256:$(sha256sum < "$1" | cut -d' ' -f1)"; }

if [ ! -x "$PY" ]; then
    skip "host-mode hashing tests (need /usr/bin/python3)"
else
    APP=$(newdir)
    printf 'print("hello from the script")\n' > "$APP/app.py"
    printf '#!/bin/sh\necho from a shebang script\n' > "$APP/run.sh"
    printf '#!/usr/bin/env python3\nprint("env shebang")\n' > "$APP/envrun"
    chmod 755 "$APP/run.sh" "$APP/envrun"
    mkdir -p "$APP/tree/sub"
    echo data > "$APP/tree/sub/file"
    ln -s sub/file "$APP/tree/link"
    touch "$APP/tree/odd name"
    chmod -R a+rX "$APP"

    hx_run py --ro-bind "$APP/app.py:/app/app.py" -- python3 /app/app.py
    [ "$RC" -eq 0 ] && ok "python3 /app/app.py runs" || not_ok "python3 /app/app.py (exit $RC)"
    [ "$(jget executed script sha256)" = "$(sha "$APP/app.py")" ] && ok "the script python3 runs is hashed" || not_ok "script hash: $(jget executed script sha256)"
    [ "$(jget executed script path)" = /app/app.py ] && ok "the script's sandbox path is recorded" || not_ok "script path"
    [ "$(jget executed program sha256)" = "$(sha "$(readlink -f /usr/bin/python3)")" ] && ok "the interpreter binary is hashed as the program" || not_ok "program hash"
    [ "$(jget image_digest)" = "$(jget executed program sha256)" ] && ok "image_digest is still the executed program's sha256" || not_ok "image_digest"
    [ "$(jget ro_binds 0 digest)" = "$(sha "$APP/app.py")" ] && [ "$(jget ro_binds 0 kind)" = file ] && ok "a --ro-bind file is hashed (ro_binds)" || not_ok "ro_binds file"

    hx_run pyopts --ro-bind "$APP/app.py:/app/app.py" -- python3 -B -W ignore -X dev /app/app.py
    [ "$(jget executed script path)" = /app/app.py ] && ok "interpreter options (with values) are skipped to find the script" || not_ok "options skipped: $(jget executed note)"
    hx_run inline -- sh -c 'echo inline'
    [ "$(jget executed script)" = null ] && [ "$(jget executed note)" = "inline code in argv (-c)" ] && ok "sh -c: no script, noted as inline code" || not_ok "sh -c note: $(jget executed note)"
    hx_run module -- python3 -m json.tool --help
    [ "$(jget executed note)" = "inline code in argv (-m)" ] && ok "python3 -m: noted" || not_ok "python3 -m: $(jget executed note)"
    hx_run shebang --ro-bind "$APP/run.sh:/app/run.sh" -- /app/run.sh
    [ "$RC" -eq 0 ] && [ "$(jget executed shebang)" = '#!/bin/sh' ] && ok "a #! script: its #! line is recorded" || not_ok "shebang (exit $RC): $(jget executed shebang)"
    [ "$(jget executed interpreter sha256)" = "$(sha "$(readlink -f /bin/sh)")" ] && ok "a #! script: its interpreter is hashed" || not_ok "#! interpreter hash"
    [ "$(jget image_digest)" = "$(sha "$APP/run.sh")" ] && ok "a #! script: image_digest is the script's" || not_ok "#! image_digest"
    hx_run envshebang --ro-bind "$APP/envrun:/app/envrun" -- /app/envrun
    [ "$(jget executed interpreter sha256)" = "$(sha "$(readlink -f /usr/bin/python3)")" ] &&
        ok "#!/usr/bin/env python3: python3, as PATH finds it, is hashed" || not_ok "env shebang: $(jget executed interpreter path)"
    hx_run missing --ro-bind "$APP/app.py:/app/app.py" -- python3 /tmp/not-there.py
    [ "$(jget executed script)" = null ] && jget executed note | grep -q 'not a file on a mount' && ok "a script the runner cannot read is noted, not invented" || not_ok "missing script note"

    hx_run tree --ro-bind "$APP/tree:/data" -- true
    want=$("$PY" - "$APP/tree" << 'PY'
import hashlib, os, stat, sys
root = sys.argv[1]
def esc(s):
    return "".join(c if 0x20 < ord(c) < 0x7f and c != "\\" else "\\x%02x" % ord(c) for c in s)
lines = []
def walk(rel):
    for name in sorted(os.listdir(os.path.join(root, rel) if rel else root)):
        p = os.path.join(rel, name) if rel else name
        st = os.lstat(os.path.join(root, p))
        m = st.st_mode
        if stat.S_ISDIR(m):
            lines.append("d %04o %s\n" % (m & 0o7777, esc(p))); walk(p)
        elif stat.S_ISREG(m):
            h = hashlib.sha256(open(os.path.join(root, p), "rb").read()).hexdigest()
            lines.append("f %04o %s %s\n" % (m & 0o7777, esc(p), h))
        elif stat.S_ISLNK(m):
            lines.append("l %s %s\n" % (esc(p), esc(os.readlink(os.path.join(root, p)))))
        else:
            lines.append("o %07o %s\n" % (m, esc(p)))
walk("")
print("sha256:" + hashlib.sha256("".join(lines).encode()).hexdigest())
PY
)
    [ "$(jget ro_binds 0 kind)" = tree ] && [ "$(jget ro_binds 0 digest)" = "$want" ] &&
        ok "a --ro-bind directory: its tree digest, recomputed from the documented listing" || not_ok "tree digest $(jget ro_binds 0 digest) != $want"
    [ "$(jget executed program path)" = /usr/bin/true ] && ok "the program is found on the sandbox's PATH" || not_ok "program path $(jget executed program path)"

    # Relative names run what lies beneath the working directory (--chdir);
    # the record must hash that file, not a host file of the same name found
    # from / or on the PATH.
    REL=$(newdir); mkdir -p "$REL/bin"
    printf '#!/bin/sh\necho the project bin/true\n' > "$REL/bin/true"
    printf 'echo the project gettext.sh\n' > "$REL/gettext.sh"
    printf '#!/bin/sh\necho the project ./true\n' > "$REL/true"
    chmod -R a+rX "$REL"; chmod 755 "$REL/bin/true" "$REL/true"
    hx_run rel1 --in "$REL" -w /in -- bin/true
    grep -q 'the project bin/true' "$REC"/*/stdout && [ "$(jget executed program path)" = /in/bin/true ] &&
        [ "$(jget executed program sha256)" = "$(sha "$REL/bin/true")" ] &&
        ok "-w /in -- bin/true: the record hashes /in/bin/true, the file that ran" ||
        not_ok "-w /in -- bin/true: recorded $(jget executed program path) $(jget executed program sha256)"
    hx_run rel2 --in "$REL" -w /in -- sh gettext.sh
    grep -q 'the project gettext.sh' "$REC"/*/stdout && [ "$(jget executed script path)" = /in/gettext.sh ] &&
        [ "$(jget executed script sha256)" = "$(sha "$REL/gettext.sh")" ] &&
        ok "-w /in -- sh gettext.sh: the script hashed is the one in the working directory" ||
        not_ok "-w /in -- sh gettext.sh: recorded $(jget executed script path)"
    hx_run rel3 --in "$REL" -w /in --env PATH=.:/usr/bin -- true
    grep -q 'the project ./true' "$REC"/*/stdout && [ "$(jget executed program path)" = /in/true ] &&
        ok "PATH=.:/usr/bin -w /in -- true: the record hashes /in/true, the file that ran" ||
        not_ok "PATH with '.': recorded $(jget executed program path)"
    hx_run rel4 --in "$REL" -w /in/bin -- ../gettext.sh
    [ "$(jget executed program path)" = /in/gettext.sh ] && ok "-w /in/bin -- ../gettext.sh: '..' taken as the kernel does" ||
        not_ok "'..': recorded $(jget executed program path)"
fi
