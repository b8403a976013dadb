#!/usr/bin/env bash
# tests/vm/run.sh smoke|full - the sandbox's tests on a cgroup-v2-only
# kernel: Debian's packaged kernel (fetched with apt-get download, cached
# under $KT_VM_CACHE, never installed) booted under qemu (TCG; KVM only if
# KT_VM_ACCEL=kvm) with a busybox initramfs, the host's /usr and /etc and
# the project tree as read-only 9p shares, cgroup2 alone at /sys/fs/cgroup.
#   smoke: KT_SMOKE e2e files (limits, hits, delegation, probe);  full: the whole e2e suite.
# Prints the guest's TAP lines and its "e2e: N passed, ..." line; exit 0 if
# it passed, 1 if not, 77 with "SKIPPED - ... (why)" if no VM can run here.
set -u
mode=${1:-smoke}
: "${KT_BIN:?KT_BIN must point at the build directory}"
KT_SRC=$(cd "$(dirname "$0")/../.." && pwd)
KT_BIN=$(cd "$KT_BIN" && pwd)
cache=${KT_VM_CACHE:-$KT_SRC/build/vm}
smoke=${KT_SMOKE:-"t_limits.sh t_hits.sh t_deleg.sh t_probe.sh"}
timeout_s=${KT_VM_TIMEOUT:-$([ "$mode" = full ] && echo 3600 || echo 600)}
skip() { echo "SKIPPED - cgroup v2 VM $mode run ($*)"; exit 77; }

bin_shared=1 # a build directory outside the tree gets a share of its own
case $KT_BIN/ in "$KT_SRC"/*) bin_shared=0 ;; esac
command -v qemu-system-x86_64 > /dev/null || skip "qemu-system-x86_64 not installed: apt-get install qemu-system-x86"
[ -x /bin/busybox ] && file -L /bin/busybox 2> /dev/null | grep -q 'statically linked' ||
    skip "no static busybox: apt-get install busybox-static"
[ "$(uname -m)" = x86_64 ] || skip "host is $(uname -m), the VM recipe is for x86_64"

# 1. Debian's kernel, cached (the package linux-image-amd64 depends on).
mkdir -p "$cache"
kdir=$(ls -d "$cache"/kernel-* 2> /dev/null | tail -1)
if [ -z "$kdir" ] || [ ! -f "$kdir/vmlinuz" ]; then
    pkg=$(apt-cache depends linux-image-amd64 2> /dev/null | sed -n 's/.*Depends: \(linux-image-[0-9.]*-[0-9]*-amd64\)$/\1/p' | head -1)
    [ -n "$pkg" ] || skip "apt-cache knows no linux-image-amd64 (run apt-get update)"
    tmp=$(mktemp -d "$cache/dl.XXXXXX")
    (cd "$tmp" && apt-get download "$pkg" > "$tmp/apt.log" 2>&1) || skip "apt-get download $pkg failed: $(tail -1 "$tmp/apt.log")"
    dpkg-deb -x "$tmp"/*.deb "$tmp/x" || skip "dpkg-deb -x failed"
    kdir=$cache/kernel-${pkg#linux-image-}
    rm -rf "$kdir"; mkdir -p "$kdir/modules"
    cp "$tmp"/x/boot/vmlinuz-* "$kdir/vmlinuz"
    for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci 9pnet 9pnet_virtio netfs fscache 9p; do
        f=$(find "$tmp/x/lib/modules" -name "$m.ko" | head -1)
        [ -n "$f" ] && cp "$f" "$kdir/modules/"
    done
    rm -rf "$tmp"
fi

# 2. The initramfs: busybox, the modules, /init.
work=$(mktemp -d /tmp/kt-vm.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/initrd/bin" "$work/initrd/modules" "$work/results"
chmod 777 "$work/results"
cp /bin/busybox "$work/initrd/bin/busybox"
cp "$kdir"/modules/*.ko "$work/initrd/modules/" 2> /dev/null
cp "$KT_SRC/tests/vm/init" "$work/initrd/init"
conf="KT_SRC='$KT_SRC' KT_BIN='$KT_BIN' KT_MODE='$mode' KT_SMOKE='$smoke' KT_BIN_SHARED=$bin_shared"
echo "$conf" > "$work/initrd/vm.conf"
echo "$conf" > "$work/results/vm.conf"
(cd "$work/initrd" && find . | busybox cpio -o -H newc 2> /dev/null | gzip -1 > "$work/initrd.gz")

# 3. Boot. TCG by default: the nested KVM here cannot run a stock kernel.
accel=tcg
[ "${KT_VM_ACCEL:-}" = kvm ] && [ -w /dev/kvm ] && accel=kvm
vs() { echo "local,path=$1,mount_tag=$2,security_model=none,multidevs=remap${3:+,readonly=on}"; }
binshare=()
[ $bin_shared = 1 ] && binshare=(-virtfs "$(vs "$KT_BIN" bin ro)")
t0=$(date +%s%N)
timeout "$timeout_s" qemu-system-x86_64 -machine q35,accel=$accel -cpu max -smp 2 -m 2048 \
    -nographic -no-reboot -nodefaults -serial stdio -display none \
    -kernel "$kdir/vmlinuz" -initrd "$work/initrd.gz" \
    -append "console=ttyS0 quiet panic=-1 oops=panic systemd.unified_cgroup_hierarchy=1" \
    -virtfs "$(vs /usr usr ro)" -virtfs "$(vs /etc etc ro)" -virtfs "$(vs "$KT_SRC" src ro)" \
    -virtfs "$(vs "$work/results" results)" "${binshare[@]}" \
    > "$work/console.log" 2>&1 < /dev/null
qrc=$?
ms=$((($(date +%s%N) - t0) / 1000000)); secs=$((ms / 1000)).$(printf %03d $((ms % 1000)))
grep '^kt-vm:' "$work/console.log" | tr -d '\r'
cat "$work/results/info" 2> /dev/null
if [ ! -f "$work/results/rc" ]; then
    echo "not ok - cgroup v2 VM $mode run: the guest did not finish (qemu exit $qrc after ${secs}s, accel $accel); console:"
    tail -30 "$work/console.log" | tr -d '\r' | sed 's/^/#   /'
    exit 1
fi
cat "$work/results/log"
echo "kt-vm: $mode run: qemu ($accel) boot + tests + power-off ${secs}s in all, kernel $(basename "$kdir")"
exit "$(cat "$work/results/rc")"
