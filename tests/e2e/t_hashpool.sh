# Large members of a bundle file are hashed after the headers, on every CPU
# (verify/hashpool.h), under the verifier's self-sandbox: the same verdicts as
# from a stream (read in one pass, in order), a changed byte in any of them is
# REJECT naming that member, and with two CPUs two threads read them.

KEY=$(seckey k.key test-ed25519.key)
PUB=$FIXKEYS/test-ed25519.pub
export SOURCE_DATE_EPOCH=1718000000
E=$(newdir)
make_evidence "$E"
for m in 1 2 3; do # 1, 2 and 3 MiB (the pool takes members of 1 MiB or more), and a small one
    head -c $((m * 1048576 + m)) /dev/urandom > "$E/big$m.bin"
done
echo small > "$E/small.txt"
"$BUNDLE" create -q -e "$E" -k "$KEY" -o "$T/b.tar"
run "$VERIFY" "$T/b.tar" --key "$PUB" -f json
[ "$RC" -eq 4 ] && [ "$(jget "$T/out" 'd["verdict"]')" = AUTHENTIC ] &&
    ok "three large members and small ones: AUTHENTIC (exit 4: no policy)" || not_ok "large members (exit $RC)"
run sh -c "cat '$T/b.tar' | '$VERIFY' - --key '$PUB' -f json"
[ "$RC" -eq 4 ] && [ "$(jget "$T/out" 'd["verdict"]')" = AUTHENTIC ] &&
    ok "the same bundle from a stream (in order, one pass): AUTHENTIC" || not_ok "from a stream (exit $RC)"
if command -v taskset > /dev/null; then
    run taskset -c 0 "$VERIFY" "$T/b.tar" --key "$PUB"
    [ "$RC" -eq 4 ] && ok "on one CPU: AUTHENTIC" || not_ok "on one CPU (exit $RC)"
else
    skip "one CPU (needs taskset)"
fi

# One byte changed in the middle of each large member, and in the last byte
# of the largest: REJECT (2), naming the member.
off() { /usr/bin/python3 - "$T/b.tar" "$1" << 'PY'
import sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    m = t.getmember("evidence/" + sys.argv[2].split(":")[0])
    at = sys.argv[2].split(":")[1]
    print(m.offset_data + (m.size - 1 if at == "last" else m.size // 2))
PY
}
for c in big1.bin:mid big2.bin:mid big3.bin:mid big3.bin:last; do
    cp "$T/b.tar" "$T/x.tar"
    o=$(off "$c")
    printf '\x00' | cmp -s - <(dd if="$T/x.tar" bs=1 skip="$o" count=1 2> /dev/null) && v='\x01' || v='\x00'
    printf "$v" | dd of="$T/x.tar" bs=1 seek="$o" conv=notrunc 2> /dev/null
    run "$VERIFY" "$T/x.tar" --key "$PUB" -f json
    [ "$RC" -eq 2 ] && [ "$(jget "$T/out" 'd["verdict"]')" = REJECT ] && grep -q "${c%%:*}" "$T/out" &&
        ok "a byte changed in ${c%%:*} (${c#*:}): REJECT naming it" || not_ok "changed byte in $c (exit $RC)"
done

# Two CPUs: four members of just over 1 MiB are each read in turn by the
# thread that hashes it (none is large enough to be read ahead), so a second
# thread reads the bundle besides the one that read its first block; on one
# CPU none does. (Before main() asked for the CPU count ahead of its
# self-sandbox, which refuses sched_getaffinity, one thread did all of it and
# every verdict was still right.)
if [ "$(nproc)" -ge 2 ] && command -v taskset > /dev/null && command -v strace > /dev/null &&
    strace -o /dev/null true 2> /dev/null; then
    export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 # LeakSanitizer cannot run under ptrace
    Q=$(newdir)
    for m in 1 2 3 4; do head -c $((1048576 + m)) /dev/urandom > "$Q/q$m.bin"; done
    "$BUNDLE" create -q -e "$Q" -k "$KEY" -o "$T/q.tar"
    others() { # others CMD...: threads that read q.tar, but the one that read its first block
        strace -f -o "$T/pool.log" -e trace=openat,pread64 "$@" "$VERIFY" "$T/q.tar" --key "$PUB" > /dev/null 2>&1
        awk '/^[0-9]+ +openat\(/ && /q\.tar/ { n = split($0, a, "= "); fd = a[n] + 0 }
            /^[0-9]+ +pread64\(/ { split($2, b, "("); split(b[2], c, ","); if (fd == "" || c[1] + 0 != fd) next
                if ($0 ~ /, 0\) += /) first = $1; else t[$1] = 1 }
            END { n = 0; for (p in t) if (p != first) n++; print n }' "$T/pool.log"
    }
    two=$(others) one=$(others taskset -c 0)
    [ "${two:-0}" -ge 1 ] && [ "${one:-1}" -eq 0 ] &&
        ok "four 1 MiB members: read by $((two + 1)) threads on $(nproc) CPUs, by one on one CPU" ||
        not_ok "threads reading the members: ${two:-?} more on $(nproc) CPUs, ${one:-?} more on one"
else
    skip "threads reading large members (needs 2 CPUs, taskset and strace with ptrace allowed)"
fi

# No thread to spare (RLIMIT_NPROC, as a pids limit would do): the reading
# and the hashing happen in turn, and the verdict is the same; before, the
# pool's read-ahead thread failing was REJECT naming an intact member.
if is_root && command -v prlimit > /dev/null && command -v setpriv > /dev/null; then
    P=$(newdir)
    cp "$T/b.tar" "$PUB" "$P/" && chmod 644 "$P/b.tar" "$P/$(basename "$PUB")"
    X=$(newdir) && chown 65534:65534 "$X"
    if as_nobody test -r "$P/b.tar" && as_nobody test -x "$VERIFY"; then
        for how in file extract stream; do
            case $how in
            file) run as_nobody prlimit --nproc=1 "$VERIFY" "$P/b.tar" --key "$P/$(basename "$PUB")" -f json ;;
            extract) run as_nobody prlimit --nproc=1 "$VERIFY" "$P/b.tar" --key "$P/$(basename "$PUB")" -f json --extract "$X/out" ;;
            stream) run as_nobody sh -c "cat '$P/b.tar' | prlimit --nproc=1 '$VERIFY' - --key '$P/$(basename "$PUB")' -f json" ;;
            esac
            [ "$RC" -eq 4 ] && [ "$(jget "$T/out" 'd["verdict"]')" = AUTHENTIC ] &&
                ok "no thread can be started ($how): AUTHENTIC, as with threads" ||
                not_ok "no thread ($how, exit $RC): $(head -c 300 "$T/out")"
        done
    else
        skip "no thread to spare (the checkout is not readable by uid 65534)"
    fi
else
    skip "no thread to spare (needs root, prlimit and setpriv)"
fi

# Stdin redirected from a file that was partly read already is read from
# where it is, as a pipe would deliver it (before, the file path read it
# from byte 0: a verdict on bytes stdin no longer gave).
head -c 512 /dev/zero > "$T/pre.tar" && cat "$T/b.tar" >> "$T/pre.tar"
run sh -c "(head -c 512 > /dev/null; '$VERIFY' - --key '$PUB' -f json) < '$T/pre.tar'"
a=$RC va=$(jget "$T/out" 'd["verdict"]')
run sh -c "(head -c 512 > /dev/null; cat | '$VERIFY' - --key '$PUB' -f json) < '$T/pre.tar'"
[ "$a" -eq 4 ] && [ "$va" = AUTHENTIC ] && [ "$RC" -eq 4 ] && [ "$(jget "$T/out" 'd["verdict"]')" = AUTHENTIC ] &&
    ok "stdin from a file at byte 512: read from there, AUTHENTIC as through a pipe" ||
    not_ok "stdin at an offset: exit $a ($va), through a pipe exit $RC"
run sh -c "(head -c 1024 > /dev/null; '$VERIFY' - --key '$PUB' -f json) < '$T/b.tar'"
[ "$RC" -eq 2 ] && [ "$(jget "$T/out" 'd["verdict"]')" = REJECT ] &&
    ok "stdin from a file at byte 1024 of a bundle: REJECT (not the bytes before it)" ||
    not_ok "stdin 1024 bytes in (exit $RC): $(head -c 300 "$T/out")"
