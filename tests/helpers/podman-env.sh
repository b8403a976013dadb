# podman-env.sh DIR [OCI_RUNTIME] (sourced): real podman, offline and
# self-contained. Config, storage and state live under DIR
# (CONTAINERS_CONF / CONTAINERS_STORAGE_CONF / CONTAINERS_REGISTRIES_CONF);
# the host's own podman state is never touched. Root here lacks
# CAP_SYS_RESOURCE, so default_ulimits stay below the hard limits.
# Sets PODMAN_READY=1, or PODMAN_WHY to why podman cannot run here.
kt_podman_env() {
    local dir=$1 oci=${2:-runc}
    PODMAN_READY= PODMAN_WHY=
    command -v podman > /dev/null || { PODMAN_WHY="podman not installed: apt-get install podman"; return 1; }
    command -v "$oci" > /dev/null || { PODMAN_WHY="$oci not installed: apt-get install $oci"; return 1; }
    mkdir -p "$dir/tmp" "$dir/run" "$dir/storage"
    local nofile nproc
    nofile=$(ulimit -Hn); [ "$nofile" = unlimited ] && nofile=1048576
    nproc=$(ulimit -Hu); [ "$nproc" = unlimited ] && nproc=65536
    [ "$nofile" -gt 1024 ] && nofile_soft=1024 || nofile_soft=$nofile
    [ "$nproc" -gt 4096 ] && nproc=4096
    cat > "$dir/containers.conf" << CONF
[containers]
default_ulimits = ["nofile=$nofile_soft:$nofile_soft", "nproc=$nproc:$nproc"]
[engine]
runtime = "$oci"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$dir/events.log"
tmp_dir = "$dir/tmp"
CONF
    printf '[storage]\ndriver = "vfs"\nrunroot = "%s/run"\ngraphroot = "%s/storage"\n' "$dir" "$dir" > "$dir/storage.conf"
    echo 'unqualified-search-registries = []' > "$dir/registries.conf"
    export CONTAINERS_CONF=$dir/containers.conf CONTAINERS_STORAGE_CONF=$dir/storage.conf \
        CONTAINERS_REGISTRIES_CONF=$dir/registries.conf
    if ! podman info > "$dir/info.log" 2>&1; then
        PODMAN_WHY="podman info fails: $(grep -m1 -i error "$dir/info.log")"
        return 1
    fi
    PODMAN_READY=1
}

# kt_podman_image DIR NAME PROBE: a small image made offline (no registry):
# busybox-static as /bin/sh plus kiemthu-probe at /app, /tmp 1777 as in any
# distribution image; tar mtimes fixed so the image ID is reproducible.
kt_podman_image() {
    local dir=$1 name=$2 probe=$3 r=$1/rootfs
    rm -rf "$r"
    mkdir -p "$r/bin" "$r/app" "$r/usr" "$r/etc" "$r/in" "$r/out" "$r/proc" "$r/dev" "$r/sys" "$r/tmp"
    chmod 1777 "$r/tmp"
    cp /bin/busybox "$r/bin/busybox" && ln -s busybox "$r/bin/sh"
    cp "$probe" "$r/app/kiemthu-probe"
    tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$r" -cf "$dir/rootfs.tar" . &&
        podman import -q --change 'CMD ["/bin/sh"]' "$dir/rootfs.tar" "$name" > "$dir/import.log" 2>&1
}
