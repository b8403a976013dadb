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
