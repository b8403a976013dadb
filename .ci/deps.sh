#!/usr/bin/env bash
# Install the Debian packages kiemthu needs (listed in .ci/packages.txt) that
# are missing. As root it runs apt-get; otherwise it prints the exact command.
#
# --check: install nothing; exit 1 naming what the build lacks (build-essential,
# pkg-config, the -dev packages .ci/packages.txt lists), with the command that
# installs it. make runs this before compiling anything, so a machine without
# the packages gets that list instead of a compiler error. Packages that only
# some tests use are not required: those tests say SKIPPED.
set -euo pipefail
cd "$(dirname "$0")/.."

installed() { dpkg-query -W -f='${Status}' "$1" 2> /dev/null | grep -q "install ok installed"; }

if [ "${1:-}" = --check ]; then
    missing=()
    # dpkg's database where there is one (a test VM shares /usr without it:
    # then pkg-config answers)
    if command -v dpkg-query > /dev/null 2>&1 && [ -r /var/lib/dpkg/status ]; then
        # what the build needs of .ci/packages.txt: the compiler, pkg-config and
        # every -dev package (the fuzzers' clang runtime is optional)
        while read -r pkg; do
            case $pkg in libclang* | dpkg-dev) continue ;; build-essential | pkg-config | *-dev) ;; *) continue ;; esac
            installed "$pkg" || missing+=("$pkg")
        done < .ci/packages.txt
    else
        command -v "${CC:-cc}" > /dev/null 2>&1 || missing+=("a C compiler")
        command -v pkg-config > /dev/null 2>&1 || missing+=(pkg-config)
        for m in libsodium libcjson nettle libxml-2.0 libarchive libseccomp cmocka libelf libcrypto libcurl; do
            pkg-config --exists "$m" 2> /dev/null || missing+=("$m (pkg-config)")
        done
    fi
    [ ${#missing[@]} -eq 0 ] && exit 0
    echo "kiemthu cannot be built here: missing ${missing[*]}" >&2
    echo "  as root: apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    echo "  (or 'make deps' as root: every package .ci/packages.txt lists, the tests' too)" >&2
    exit 1
fi

missing=()
while read -r pkg; do
    [ -n "$pkg" ] || continue
    installed "$pkg" || missing+=("$pkg")
done < .ci/packages.txt
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "kiemthu needs these Debian packages; run as root:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
