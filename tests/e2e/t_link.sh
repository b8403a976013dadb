# How kiemthu-sandbox is linked (Makefile; `make sandbox-link` says it):
# static-pie where third_party/cjson holds Debian's source of the installed
# libcjson-dev (.ci/cjson-src.sh), else dynamic. The binary under test is
# what the Makefile says, a static one is still position-independent (ASLR),
# and the fallbacks hold: another libcjson-dev version, or SAN=1, links it
# dynamically. The rest of the suite runs on whichever it is (make check:
# static-pie in CI; make asan: dynamic).

# "static-pie" or "dynamic" (a PT_INTERP program header names the loader),
# and the ELF type (3: ET_DYN, position-independent)
elf_link() {
    python3 - "$1" << 'EOF'
import struct, sys
with open(sys.argv[1], "rb") as f:
    h = f.read(64)
    etype, = struct.unpack_from("<H", h, 16)
    phoff, = struct.unpack_from("<Q", h, 32)
    phentsize, phnum = struct.unpack_from("<HH", h, 54)
    f.seek(phoff)
    ph = f.read(phentsize * phnum)
types = [struct.unpack_from("<I", ph, i * phentsize)[0] for i in range(phnum)]
print("dynamic" if 3 in types else "static-pie", etype)
EOF
}

if [ ! -r /var/lib/dpkg/status ] || ! command -v make > /dev/null; then
    skip "sandbox linkage: no dpkg database or make here (the VM shares /usr only)"
    return 0
fi
san=${SAN_BUILD:-}
run make -s -C "$KT_SRC" sandbox-link SAN="$san"
want=$(sed -n 's/^kiemthu-sandbox: \([a-z-]*\).*/\1/p' "$T/out")
read -r have etype < <(elf_link "$KT_BIN/kiemthu-sandbox")
if [ -n "$want" ] && [ "$want" = "$have" ]; then
    ok "kiemthu-sandbox is linked as make sandbox-link says: $have"
else
    not_ok "make sandbox-link says '$want', the binary is $have"
fi
[ "$etype" = 3 ] && ok "kiemthu-sandbox is position-independent (ELF type DYN), $have" ||
    not_ok "kiemthu-sandbox: ELF type $etype, not DYN"
[ "$san" = 1 ] && [ "$have" = dynamic ] && ok "under SAN=1 the sandbox is dynamic (the sanitizer runtimes are)"

if [ -f "$KT_SRC/third_party/cjson/cJSON.c" ]; then
    # the static build's cJSON is the patched Debian source of exactly this version
    v=$(cat "$KT_SRC/third_party/cjson/DEBIAN_VERSION")
    sys=$(dpkg-query -W -f='${source:Version}' libcjson-dev)
    [ "$v" = "$sys" ] && cmp -s "$KT_SRC/third_party/cjson/cJSON.h" /usr/include/cjson/cJSON.h &&
        ok "third_party/cjson is libcjson-dev's source version $v, header identical" ||
        not_ok "third_party/cjson is $v, libcjson-dev $sys (or cJSON.h differs)"
    run make -s -C "$KT_SRC" sandbox-link CJSON_SYS_VER=0.0-other
    grep -qx 'kiemthu-sandbox: dynamic' "$T/out" && grep -q "libcjson-dev is 0.0-other" "$T/err" &&
        ok "another libcjson-dev version: linked dynamically, with a warning naming both versions" ||
        not_ok "another libcjson-dev version: $(cat "$T/out")"
    run make -s -C "$KT_SRC" sandbox-link SAN=1
    grep -qx 'kiemthu-sandbox: dynamic.*' "$T/out" && ok "SAN=1: linked dynamically" ||
        not_ok "SAN=1: $(cat "$T/out")"
else
    skip "static sandbox: no third_party/cjson (run .ci/cjson-src.sh as root; CI does)"
fi
