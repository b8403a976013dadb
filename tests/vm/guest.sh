#!/bin/sh
# Second stage inside the test VM (PID 1 on the tmpfs root): fresh proc, sys
# and devtmpfs, cgroup v2 alone with pids, memory and cpu for children, then
# the e2e suite (KT_MODE=full) or the smoke set, results on the shared
# /results; power off.
set -u
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 shm /dev/shm
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
# / is already a tmpfs (and may hold the shared tree under /tmp): no new mounts there
chmod 1777 /tmp /var/tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup
echo "+pids +memory +cpu" > /sys/fs/cgroup/cgroup.subtree_control
busybox hostname kt-vm
# loopback up: tests talk to local servers on 127.0.0.1 (the test TSA)
busybox ip link set lo up
. /results/vm.conf
[ "$KT_BIN_SHARED" = 1 ] && { mkdir -p "$KT_BIN" && mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=loose,ro bin "$KT_BIN"; }
export HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
export KT_IN_VM=1 KT_EXPECT_CGROUP=2
echo "kt-vm: kernel $(uname -r), cgroup2 alone at /sys/fs/cgroup, controllers: $(cat /sys/fs/cgroup/cgroup.controllers); $(grep -c ^processor /proc/cpuinfo) CPU, $(awk '/MemTotal/{print int($2/1024)}' /proc/meminfo) MiB; booted in $(cut -d' ' -f1 /proc/uptime) s" > /results/info
start=$(cut -d' ' -f1 /proc/uptime)
if [ "$KT_MODE" = full ]; then
    KT_BIN="$KT_BIN" SAN_BUILD= bash "$KT_SRC/tests/e2e/run.sh" > /results/log 2>&1
else
    KT_BIN="$KT_BIN" SAN_BUILD= KT_E2E_ONLY="$KT_SMOKE" bash "$KT_SRC/tests/e2e/run.sh" > /results/log 2>&1
fi
echo $? > /results/rc
echo "kt-vm: tests took $(awk -v s="$start" '{printf "%.1f", $1 - s}' /proc/uptime) s" >> /results/info
sync
busybox poweroff -f
