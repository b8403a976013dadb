# The compiled profile is held to its rules before anything runs under it
# (sandbox/filtercheck.h). libseccomp 2.5.4 (and 2.6.1) compile these two
# rules into a filter that allows getpriority(5): the second rule compares
# the low half of the argument where it means the high one. kiemthu-sandbox
# must refuse to run under it (a runner error, 125; the payload never runs;
# the looser profile after it is not tried), or, under a libseccomp that
# compiles it right, run and have getpriority(5) denied.
SANDBOX=$KT_BIN/kiemthu-sandbox
SAFE=$KT_SRC/profiles/seccomp-startup-safe.json
LT=$T/lt64.json
cat > "$LT" << 'JSON'
{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
  {"names": ["getpriority"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
   "args": [{"index": 0, "value": 5, "op": "SCMP_CMP_LT"}]},
  {"names": ["getpriority"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
   "args": [{"index": 0, "value": 4294967301, "op": "SCMP_CMP_LT"}]}]}
JSON
chmod 644 "$LT"
OUT=$(newdir); chmod 777 "$OUT"
# getpriority(5, 0): EINVAL from the kernel (no such "which"), EPERM from the rule
PAY='import os
try:
    os.getpriority(5, 0); print("getpriority: allowed")
except OSError as e:
    print("getpriority:", e.strerror)
open("/out/ran", "w").write("x")'
run "$SANDBOX" run -p "$LT" -p "$SAFE" --record "$T/rec" --out "$OUT" -- /usr/bin/python3 -c "$PAY"
if [ "$RC" -eq 125 ]; then
    grep -q 'compiled a filter that answers getpriority(0x5, .* with ALLOW, where its rules say ERRNO(1): a libseccomp bug' "$T/err" &&
        ok "a miscompiled profile is a runner error naming the call, the arguments and both answers" ||
        not_ok "exit 125 without the libseccomp message"
    [ ! -e "$OUT/ran" ] && [ "$(ls -A "$T/rec")" = ladder.json ] && ok "...and nothing ran under it (no /out file, no attempt record)" ||
        not_ok "something ran under the miscompiled filter"
    grep -q '"outcome":"not run: the runner failed","profile":"lt64"' "$T/rec/ladder.json" &&
        grep -q '"outcome":"not tried","profile":"seccomp-startup-safe"' "$T/rec/ladder.json" &&
        ok "...ladder.json: not run, and the looser profile after it not tried" ||
        not_ok "ladder.json: $(head -c 300 "$T/rec/ladder.json")"
elif [ "$RC" -eq 0 ]; then
    grep -q 'getpriority: Operation not permitted' "$T/rec/lt64/stdout" &&
        ok "this libseccomp compiles the two LT rules right: getpriority(5) denied" ||
        not_ok "a filter that lets getpriority(5) through was run: $(head -c 200 "$T/rec/lt64/stdout")"
else
    not_ok "two 64-bit LT rules: exit $RC"
fi

# The control: the same payload under a profile without the rules runs and is
# answered by the kernel, so the test above can tell the filter's EPERM.
OUT=$(newdir); chmod 777 "$OUT"
run "$SANDBOX" run -p "$SAFE" --record "$T/rec2" --out "$OUT" -- /usr/bin/python3 -c "$PAY"
[ "$RC" -eq 0 ] && grep -q 'getpriority: Invalid argument' "$T/rec2/seccomp-startup-safe/stdout" &&
    ok "control: without the rules getpriority(5) is the kernel's EINVAL" ||
    not_ok "control: exit $RC, $(head -c 200 "$T/rec2/seccomp-startup-safe/stdout" 2> /dev/null)"
pts=$(grep -o '"filter_checked_points":[0-9]*' "$T/rec2/seccomp-startup-safe/run.json" | cut -d: -f2)
[ "${pts:-0}" -gt 0 ] && ok "run.json: the profile was checked at $pts points" ||
    not_ok "run.json: filter_checked_points is '${pts}'"

# kiemthu-sandbox compile: what run.json records of the filter, computed
# again from the profile on this host (the auditor's comparison).
run "$SANDBOX" compile "$SAFE"
bpf=$(grep -o '"filter_bpf_sha256":"[0-9a-f]*"' "$T/rec2/seccomp-startup-safe/run.json" | cut -d'"' -f4)
lib=$(grep -o '"libseccomp":"[0-9.]*"' "$T/rec2/seccomp-startup-safe/run.json" | cut -d'"' -f4)
if [ "$RC" -eq 0 ] && [ -n "$bpf" ] && grep -q "filter_bpf_sha256      $bpf" "$T/out" &&
    grep -q "filter_checked_points  $pts\$" "$T/out" && grep -q "libseccomp             $lib\$" "$T/out"; then
    ok "compile: the same filter digest ($bpf), libseccomp $lib and $pts points as the run recorded"
else
    not_ok "compile (exit $RC) vs run.json: bpf '$bpf', libseccomp '$lib', points '$pts'"
fi
STRICT=$KT_SRC/profiles/seccomp-deny-by-default.json
run "$SANDBOX" compile "$STRICT"
plain=$(grep filter_bpf_sha256 "$T/out")
run "$SANDBOX" compile --exec-once "$STRICT"
[ "$RC" -eq 0 ] && [ -n "$plain" ] && ! grep -qF "$plain" "$T/out" &&
    ok "compile --exec-once: another program where the profile denies execve (the runner answers it)" ||
    not_ok "compile --exec-once: exit $RC, the same program as without"
run "$SANDBOX" compile "$SAFE" "$LT"
if [ "$RC" -eq 70 ] && grep -q 'a libseccomp bug' "$T/err" && grep -q 'filter_bpf_sha256' "$T/out"; then
    ok "compile: a miscompiled profile exits 70 after the good one is printed"
elif [ "$RC" -eq 0 ]; then
    ok "compile: this libseccomp compiles the two LT rules right"
else
    not_ok "compile of a good and a miscompiled profile: exit $RC"
fi
run "$SANDBOX" compile
[ "$RC" -eq 64 ] && ok "compile without a profile: usage, 64" || not_ok "compile without a profile: exit $RC"
run "$SANDBOX" compile "$T/no-such.json"
[ "$RC" -eq 66 ] && ok "compile of a missing file: 66" || not_ok "compile of a missing file: exit $RC"
printf '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [' > "$T/bad.json"
run "$SANDBOX" compile "$T/bad.json"
[ "$RC" -eq 65 ] && ok "compile of invalid JSON: 65" || not_ok "compile of invalid JSON: exit $RC"
# a file name is the user's, not ours: shown escaped
ESC=$T/$'\e[2Jx.json'
cp "$SAFE" "$ESC"
run "$SANDBOX" compile "$ESC"
[ "$RC" -eq 0 ] && ! grep -q $'\e' "$T/out" && grep -q '\\x1b\[2Jx.json' "$T/out" &&
    ok "compile: a control byte in the path is printed as \\x1b" || not_ok "compile: path not escaped (exit $RC)"
# The README's sample is what compile prints here (it cannot go stale when the
# profile or the compiler changes); the program's bytes are libseccomp's and
# the architecture's, so those lines are compared where both are the sample's.
sample=$(sed -n '/^\$ kiemthu-sandbox compile seccomp-startup-safe$/,/^```$/p' "$KT_SRC/README.md" | grep '^  ')
run "$SANDBOX" compile "$SAFE"
got=$(grep '^  ' "$T/out")
if [ -z "$sample" ]; then
    not_ok "README: no 'kiemthu-sandbox compile seccomp-startup-safe' sample"
elif [ "$(echo "$sample" | grep libseccomp)" = "$(echo "$got" | grep libseccomp)" ] && [ "$(uname -m)" = x86_64 ]; then
    [ "$sample" = "$got" ] && ok "README: the compile sample is what compile prints here" ||
        not_ok "README's compile sample differs: $(diff <(echo "$sample") <(echo "$got") | tr '\n' ' ')"
else
    [ "$(echo "$sample" | grep profile_sha256)" = "$(echo "$got" | grep profile_sha256)" ] &&
        ok "README: the compile sample's profile_sha256 is the file's" || not_ok "README: stale profile_sha256 in the compile sample"
    skip "README's compile sample: filter bytes compared only under libseccomp $(echo "$sample" | awk '/libseccomp/ {print $2}') on x86_64"
fi

# A filter that fails the check is laid out the other way (list or tree) and
# used if that one passes. libseccomp 2.5.4 makes of these rules a list whose
# x86-64 section never loads the syscall number (every rule there skipped);
# the tree is right.
cat > "$T/relay.json" << 'JSON'
{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
 "syscalls": [{"names": ["socketcall"], "action": "SCMP_ACT_LOG"},
  {"names": ["socket"], "action": "SCMP_ACT_TRAP", "args": [{"index": 2, "value": 2, "op": "SCMP_CMP_NE"}]},
  {"names": ["shmget"], "action": "SCMP_ACT_LOG", "args": [{"index": 1, "value": 2, "op": "SCMP_CMP_LE"}]}]}
JSON
run "$SANDBOX" compile "$T/relay.json"
if [ "$RC" -eq 0 ] && grep -q "layout  *libseccomp's other one" "$T/out"; then
    ok "compile: the list failed the check, the tree passed and is used (and said so)"
elif [ "$RC" -eq 0 ] && [ "$lib" != 2.5.4 ]; then
    ok "compile: libseccomp $lib lays these rules out right the first time"
else
    not_ok "compile of a profile libseccomp $lib gets wrong as a list: exit $RC"
fi
