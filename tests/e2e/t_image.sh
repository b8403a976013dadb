# --image: images made offline by podman, buildah and skopeo run under the
# seed's flags with the digest skopeo reports; whiteouts and opaque
# directories give umoci's tree; crafted hostile images fail closed and
# write nothing outside the cache; the cache survives concurrent runs and a
# SIGKILL at any moment.
SANDBOX=$KT_BIN/kiemthu-sandbox
SAFE=$KT_SRC/profiles/seccomp-startup-safe.json
STRICT=$KT_SRC/profiles/seccomp-deny-by-default.json
PY=/usr/bin/python3
CACHE=$T/cache

img_run() { # img_run NAME [sandbox options] [-- ARGS]: run with the shared cache, record in $T/rec/NAME
    local name=$1; shift
    REC=$T/rec/$name
    run "$SANDBOX" run -p "$SAFE" --cache "$CACHE" --record "$REC" "$@"
    RUNJ=$REC/seccomp-startup-safe/run.json
}
field() { # field FILE JSONPATH...: a value from run.json, e.g. field "$RUNJ" image cache_hit
    "$PY" - "$@" << 'PY'
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    v = v[int(k)] if isinstance(v, list) else v[k]
print(json.dumps(v) if not isinstance(v, str) else v)
PY
}
check_eq() { # check_eq DESC GOT WANT
    if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (got '$2', want '$3')"; fi
}

podman_env() {
    PM=$T/podman
    mkdir -p "$PM"
    # runc (crun refuses this cgroup v1 hybrid), cgroupfs, file events,
    # ulimits within the hard limits root has here; storage under $T.
    local nofile; nofile=$(ulimit -Hn)
    [ "$nofile" = unlimited ] && nofile=1048576
    [ "$nofile" -gt 4096 ] && nofile=4096
    printf '[containers]\ndefault_ulimits = ["nofile=%s:%s"]\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' \
        "$nofile" "$nofile" > "$PM/containers.conf"
    printf '[storage]\ndriver = "vfs"\nrunroot = "%s/run"\ngraphroot = "%s/graph"\n' "$PM" "$PM" > "$PM/storage.conf"
    echo 'unqualified-search-registries = []' > "$PM/registries.conf"
    export CONTAINERS_CONF=$PM/containers.conf CONTAINERS_STORAGE_CONF=$PM/storage.conf \
        CONTAINERS_REGISTRIES_CONF=$PM/registries.conf
}

make_rootfs() { # make_rootfs DIR: busybox-static, a greeting, /app, and the probe
    mkdir -p "$1/bin" "$1/etc" "$1/app" "$1/usr"
    cp "$BUSYBOX" "$1/bin/busybox"
    for a in sh cat echo id pwd ls touch env true; do ln -s busybox "$1/bin/$a"; done
    echo hello > "$1/etc/greeting"
    cp "$KT_BIN/kiemthu-probe" "$1/app/kiemthu-probe"
    tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$1" -cf "$1.tar" .
}

real_images() {
    IMG=$T/img
    mkdir -p "$IMG"
    make_rootfs "$T/rootfs"
    run podman import --change 'CMD ["/bin/sh","-c","echo from-image; cat /etc/greeting; id -u; pwd; echo FOO=$FOO"]' \
        --change 'ENV FOO=bar' --change 'WORKDIR /app' "$T/rootfs.tar" kt-e2e:1
    [ "$RC" -eq 0 ] && ok "podman import of a rootfs tarball" || { not_ok "podman import"; return 1; }
    run podman import --change 'ENTRYPOINT ["/bin/echo","ep"]' --change 'CMD ["c"]' "$T/rootfs.tar" kt-e2e-ep:1
    check "podman save --format oci-dir" podman save --format oci-dir -o "$IMG/oci" kt-e2e:1
    check "podman save --format oci-archive" podman save --format oci-archive -o "$IMG/oci.tar" kt-e2e:1
    check "podman save --format docker-archive" podman save --format docker-archive -o "$IMG/docker.tar" kt-e2e:1
    check "podman save of the Entrypoint image" podman save --format oci-dir -o "$IMG/ep" kt-e2e-ep:1
    check "skopeo copy containers-storage: -> oci:" skopeo copy -q containers-storage:localhost/kt-e2e:1 "oci:$IMG/skopeo:v1"
    check "skopeo copy oci: -> docker-archive:" skopeo copy -q "oci:$IMG/skopeo:v1" "docker-archive:$IMG/skopeo-docker.tar:localhost/kt-e2e:1"
    IMAGE_ID=sha256:$(podman inspect --format '{{.Id}}' kt-e2e:1)
}

digest_cases() {
    local ref want kind
    for spec in "oci:$IMG/oci|oci" "oci:$IMG/oci:localhost/kt-e2e:1|oci" "oci-archive:$IMG/oci.tar|oci-archive" \
        "oci:$IMG/skopeo:v1|oci" "docker-archive:$IMG/docker.tar|docker" "docker-archive:$IMG/skopeo-docker.tar|docker"; do
        ref=${spec%|*} kind=${spec##*|}
        img_run "fmt-$RANDOM" --image "$ref"
        if [ "$RC" -ne 0 ]; then not_ok "$ref runs (exit $RC)"; continue; fi
        grep -q from-image "$REC/seccomp-startup-safe/stdout" && ok "$kind: $ref ran its Cmd" || not_ok "$ref ran its Cmd"
        if [ "$kind" = docker ]; then
            want=$IMAGE_ID
            check_eq "$kind: image_digest is the config digest (podman's image ID)" "$(field "$RUNJ" image_digest)" "$want"
            check_eq "$kind: manifest_digest is null (no manifest file)" "$(field "$RUNJ" image manifest_digest)" null
        else
            local sref=$ref
            [ "${ref#oci:$IMG/oci:}" != "$ref" ] && sref=oci:$IMG/oci
            want=$(skopeo inspect --format '{{.Digest}}' "$sref" 2> /dev/null)
            check_eq "$kind: image_digest = skopeo inspect {{.Digest}} ($want)" "$(field "$RUNJ" image_digest)" "$want"
            check_eq "$kind: config_digest is podman's image ID" "$(field "$RUNJ" image config_digest)" "$IMAGE_ID"
        fi
        check_eq "$kind: the same tree from every format" "$(field "$RUNJ" image rootfs_digest)" "${ROOTFS_DIGEST:=$(field "$RUNJ" image rootfs_digest)}"
    done
    # index.json points at the manifest: its sha256 is image_digest
    local m; m=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$IMG/oci/index.json")
    check_eq "the blob index.json points to hashes to image_digest" "sha256:$(sha256sum < "$IMG/oci/blobs/sha256/${m#sha256:}" | cut -d' ' -f1)" \
        "$(skopeo inspect --format '{{.Digest}}' "oci:$IMG/oci")"
}

config_cases() {
    img_run cfg --image "oci:$IMG/oci"
    local out=$REC/seccomp-startup-safe/stdout
    grep -qx 65532 "$out" && ok "the payload runs as uid 65532 whatever the image says" || not_ok "uid 65532"
    grep -qx /app "$out" && ok "WorkingDir honoured (/app)" || not_ok "WorkingDir honoured"
    grep -qx FOO=bar "$out" && ok "Env honoured" || not_ok "Env honoured"
    check_eq "image_kind container-image" "$(field "$RUNJ" image_kind)" container-image
    check_eq "argv records the Cmd that ran" "$(field "$RUNJ" argv 0)" /bin/sh
    img_run env --image "oci:$IMG/oci" --env FOO=override
    grep -qx FOO=override "$REC/seccomp-startup-safe/stdout" && ok "--env overrides the image's Env" || not_ok "--env overrides Env"
    img_run args --image "oci:$IMG/oci" -- /bin/echo replaced
    grep -qx replaced "$REC/seccomp-startup-safe/stdout" && ok "args after -- replace Cmd" || not_ok "args replace Cmd"
    img_run ep --image "oci:$IMG/ep"
    grep -qx "ep c" "$REC/seccomp-startup-safe/stdout" && ok "Entrypoint + Cmd" || not_ok "Entrypoint + Cmd ($(cat "$REC/seccomp-startup-safe/stdout"))"
    img_run ep-args --image "oci:$IMG/ep" -- x y
    grep -qx "ep x y" "$REC/seccomp-startup-safe/stdout" && ok "Entrypoint + args (Cmd replaced)" || not_ok "Entrypoint + args"
    img_run ep-override --image "oci:$IMG/ep" --entrypoint /bin/echo -- z
    grep -qx "z" "$REC/seccomp-startup-safe/stdout" && ok "--entrypoint replaces Entrypoint and drops Cmd" || not_ok "--entrypoint"
    img_run ep-clear --image "oci:$IMG/ep" --entrypoint "" -- /bin/echo cleared
    grep -qx "cleared" "$REC/seccomp-startup-safe/stdout" && ok "--entrypoint \"\" clears the Entrypoint" || not_ok "--entrypoint \"\" (exit $RC)"
    img_run ep-cmd --image "oci:$IMG/ep" --entrypoint ""
    [ "$RC" -eq 127 ] && [ "$(field "$RUNJ" argv 0)" = c ] && ok "--entrypoint \"\" alone runs the image's Cmd (here \"c\": not found, 127)" || not_ok "--entrypoint \"\" alone (exit $RC)"
    img_run ro --image "oci:$IMG/oci" -- /bin/touch /x
    grep -q 'Read-only file system' "$REC/seccomp-startup-safe/stderr" && ok "the image's root is read-only" || not_ok "read-only root"
    expect_msg 64 'exclude each other' "--image with --rootfs: usage error" "$SANDBOX" run -p "$SAFE" --rootfs / --image "oci:$IMG/oci" --record "$T/rec/x1"
    expect_msg 64 'go with --image' "--entrypoint without --image: usage error" "$SANDBOX" run -p "$SAFE" --entrypoint /x --record "$T/rec/x2" -- /bin/true
    expect_msg 64 'files only' "a registry reference is refused: offline only" "$SANDBOX" run -p "$SAFE" --image docker://busybox --record "$T/rec/x3"
}

probe_case() { # B4' from an image made by kt-mkimage: the probes, strict then startup-safe profile
    local rec=$T/rec/b4 pimg=$T/img/probe d1 d2
    d1=$("$KT_BIN/tests/kt-mkimage" --out "$pimg" --tag probe --entrypoint /app/kiemthu-probe \
        --env PATH=/app --dir /usr "$KT_BIN/kiemthu-probe:/app/kiemthu-probe:0755")
    d2=$("$KT_BIN/tests/kt-mkimage" --out "$T/img/probe2" --tag probe --entrypoint /app/kiemthu-probe \
        --env PATH=/app --dir /usr "$KT_BIN/kiemthu-probe:/app/kiemthu-probe:0755")
    check_eq "kt-mkimage: the same digest twice, the one skopeo reports" "$d1 $d2" \
        "$(skopeo inspect --format '{{.Digest}}' "oci:$pimg") $d1"
    mkdir -p "$T/b4out" "$T/b4in"
    run "$SANDBOX" run -p "$STRICT" -p "$SAFE" --cache "$CACHE" --record "$rec" --in "$T/b4in" \
        --out "$T/b4out" --image "oci:$pimg"
    grep -q '"started":false' "$rec/seccomp-deny-by-default/run.json" && ok "B4' from an image: strict profile not started" || not_ok "strict not started"
    if [ "$RC" -eq 0 ] && grep -q '"started":true' "$rec/seccomp-startup-safe/run.json"; then
        ok "B4' from an image: every probe passes under the seed's flags ($(grep -o '"passed":[0-9]*' "$rec/seccomp-startup-safe/stdout" | head -1 | cut -d: -f2)/$(grep -o '"total":[0-9]*' "$rec/seccomp-startup-safe/stdout" | tail -1 | cut -d: -f2))"
    else
        not_ok "B4' from an image (exit $RC): $(grep -o '"id":"[^"]*"[^}]*"pass":false' "$rec/seccomp-startup-safe/stdout" | head -3)"
    fi
    check_eq "B4' from an image: image_digest is kt-mkimage's" "$(field "$rec/seccomp-startup-safe/run.json" image_digest)" "$d1"
}

cache_cases() {
    local c2=$T/cache2 a b
    run "$SANDBOX" run -p "$SAFE" --cache "$c2" --record "$T/rec/c1" --image "oci:$IMG/oci"
    a=$(field "$T/rec/c1/seccomp-startup-safe/run.json" image cache_hit)
    run "$SANDBOX" run -p "$SAFE" --cache "$c2" --record "$T/rec/c2" --image "oci-archive:$IMG/oci.tar"
    b=$(field "$T/rec/c2/seccomp-startup-safe/run.json" image cache_hit)
    check_eq "first run unpacks, the second (another format, same layers) hits the cache" "$a $b" "false true"
    check_eq "the cache holds one tree" "$(ls "$c2/rootfs" | wc -l)" 1
    check_eq "cache directories are 0700" "$(stat -c %a "$c2/rootfs" "$c2/tmp" "$c2/locks" | sort -u)" 700
    # concurrent runs on an empty cache: both succeed, one tree, nothing in tmp/
    local c3=$T/cache3
    "$SANDBOX" run -p "$SAFE" --cache "$c3" --record "$T/rec/p1" --image "oci:$IMG/oci" > /dev/null 2>&1 & local p1=$!
    "$SANDBOX" run -p "$SAFE" --cache "$c3" --record "$T/rec/p2" --image "oci:$IMG/oci" > /dev/null 2>&1 & local p2=$!
    wait $p1; a=$?; wait $p2; b=$?
    check_eq "two concurrent runs on an empty cache both succeed" "$a $b" "0 0"
    check_eq "concurrent runs: one tree, nothing left in tmp/" "$(ls "$c3/rootfs" | wc -l) $(ls "$c3/tmp" | wc -l)" "1 0"
    check_eq "concurrent runs: one unpacked, the other waited and hit" \
        "$( (field "$T/rec/p1/seccomp-startup-safe/run.json" image cache_hit; field "$T/rec/p2/seccomp-startup-safe/run.json" image cache_hit) | sort | tr '\n' ' ')" "false true "
    chmod 777 "$c3"
    expect_msg 125 'writable by no one else' "a cache others can write is refused" "$SANDBOX" run -p "$SAFE" --cache "$c3" --record "$T/rec/c4" --image "oci:$IMG/oci"
    chmod 700 "$c3"
}

kill_cases() { # SIGKILL at the publishing rename, and in the middle of writing files
    if ! command -v strace > /dev/null; then skip "SIGKILL mid-unpack (needs strace to kill at an exact syscall)"; return; fi
    local c=$T/cache-kill sc
    for sc in "renameat:when=1" "pwrite64:when=5"; do
        rm -rf "$c"
        { strace -f -qq -o /dev/null -e trace="${sc%%:*}" -e inject="${sc%%:*}:signal=SIGKILL:${sc#*:}" \
            "$SANDBOX" run -p "$SAFE" --cache "$c" --record "$T/rec/k-$RANDOM" --image "oci:$IMG/oci" > /dev/null 2>&1; } 2> /dev/null
        local left; left=$(ls "$c/tmp" 2> /dev/null | wc -l)
        if [ "$(ls "$c/rootfs" 2> /dev/null | wc -l)" -eq 0 ] && [ "$left" -eq 1 ]; then
            ok "SIGKILL at ${sc%%:*}: no tree published, the attempt left in tmp/"
        else not_ok "SIGKILL at ${sc%%:*}: rootfs/ $(ls "$c/rootfs" 2> /dev/null | wc -l), tmp/ $left"; fi
        run "$SANDBOX" run -p "$SAFE" --cache "$c" --record "$T/rec/ak-$RANDOM" --image "oci:$IMG/oci"
        if [ "$RC" -eq 0 ] && [ "$(ls "$c/tmp" | wc -l)" -eq 0 ] && [ "$(ls "$c/rootfs" | wc -l)" -eq 1 ]; then
            ok "after the SIGKILL at ${sc%%:*}: the next run unpacks afresh, removes the leftover, succeeds"
        else not_ok "after the SIGKILL at ${sc%%:*} (exit $RC)"; fi
    done
}

umoci_cases() {
    local cr=$T/crafted
    mkdir -p "$cr/canary"
    if ! "$PY" "$KT_SRC/tests/e2e/images.py" "$cr/out" "$cr/canary" "$BUSYBOX" > "$T/err" 2>&1; then
        not_ok "crafting the test images"; return 1
    fi
    CRAFTED=$cr
    img_run layers --image "oci:$cr/out/layers"
    [ "$RC" -eq 0 ] && grep -qx replaced "$REC/seccomp-startup-safe/stdout" && ok "a 4-layer image with whiteouts and an opaque directory runs" || not_ok "layers image runs"
    local tree ign
    tree=$(field "$RUNJ" isolation root)
    ign=$("$PY" -c 'import json,sys; print(" ".join("--ignore " + p for p in json.load(open(sys.argv[1]))["image"]["mount_points_added"]))' "$RUNJ")
    if umoci unpack --image "$cr/out/layers:v1" "$T/umoci-layers" > "$T/out" 2>&1; then
        run "$PY" "$KT_SRC/tests/e2e/treecmp.py" "$T/umoci-layers/rootfs" "$tree" $ign
        [ "$RC" -eq 0 ] && ok "the same tree as umoci unpack: $(tail -1 "$T/out")" || not_ok "tree differs from umoci unpack: $(head -3 "$T/out")"
    else not_ok "umoci unpack of the crafted image"; fi
    img_run layers-archive --image "oci-archive:$cr/out/layers.tar"
    check_eq "the same image as an oci-archive: the same tree digest" "$(field "$RUNJ" image rootfs_digest)" "$(field "$T/rec/layers/seccomp-startup-safe/run.json" image rootfs_digest)"
    # buildah: a layer that deletes files (whiteouts made by containers/storage)
    local ctr
    ctr=$(buildah from --pull-never localhost/kt-e2e:1 2> /dev/null) &&
        buildah run --isolation chroot "$ctr" -- /bin/sh -c 'rm /etc/greeting; echo b > /etc/b' > /dev/null 2>&1 &&
        buildah commit -q --timestamp 0 "$ctr" kt-e2e-ml:1 > /dev/null 2>&1 &&
        podman save -q --format oci-dir -o "$IMG/ml" kt-e2e-ml:1 > /dev/null 2>&1
    if [ -d "$IMG/ml" ] && umoci unpack --image "$IMG/ml:localhost/kt-e2e-ml:1" "$T/umoci-ml" > /dev/null 2>&1; then
        img_run ml --image "oci:$IMG/ml" -- /bin/cat /etc/b
        tree=$(field "$RUNJ" isolation root)
        ign=$("$PY" -c 'import json,sys; print(" ".join("--ignore " + p for p in json.load(open(sys.argv[1]))["image"]["mount_points_added"]))' "$RUNJ")
        run "$PY" "$KT_SRC/tests/e2e/treecmp.py" "$T/umoci-ml/rootfs" "$tree" $ign
        [ "$RC" -eq 0 ] && ok "a buildah-built 2-layer image: the same tree as umoci unpack" || not_ok "buildah image vs umoci: $(head -3 "$T/out")"
    else not_ok "buildah image with a whiteout layer"; fi
}

hostile_cases() {
    local cr=$CRAFTED hc=$T/cache-hostile before
    mkdir -p "$hc"
    hostile() { # hostile NAME REGEX [options]
        local name=$1 re=$2; shift 2
        before=$(ls "$hc/rootfs" 2> /dev/null | wc -l)
        expect_msg 125 "$re" "hostile image $name: refused" "$SANDBOX" run -p "$SAFE" --cache "$hc" --record "$T/rec/h-$name" --image "oci:$cr/out/$name" "$@" -- /bin/true
        if [ -n "$(ls -A "$cr/canary")" ] || [ -e /etc/kt-pwned ] || [ "$(ls "$hc/rootfs" | wc -l)" -ne "$before" ] || [ -n "$(ls -A "$hc/tmp")" ]; then
            not_ok "hostile image $name: something was written ($(ls -A "$cr/canary") / rootfs $(ls "$hc/rootfs" | wc -l) / tmp $(ls -A "$hc/tmp"))"
        else ok "hostile image $name: nothing written outside the cache, nothing published"; fi
        [ -e "$T/rec/h-$name" ] && [ -n "$(ls -A "$T/rec/h-$name")" ] && not_ok "hostile image $name: a record was left" || true
    }
    hostile dotdot 'entry \.\./.*refused: an absolute or "\.\." name'
    hostile absolute 'entry /.*refused: an absolute or "\.\." name'
    hostile symlink-abs 'esc leads out of the image root'
    hostile symlink-rel 'esc leads out of the image root'
    hostile symlink-layers 'layer 2 .*esc leads out of the image root'
    hostile hardlink-dotdot 'refused: hard link to'
    hostile hardlink-abs 'refused: hard link to "/etc/passwd"'
    hostile hardlink-symlink 'directory s leads out of the image root'
    hostile tampered-layer 'layer 0 \(sha256:[0-9a-f]{64}\): the blob has sha256:[0-9a-f]{64} \(tampered'
    hostile tampered-config 'config sha256:[0-9a-f]{64}: blob sha256:[0-9a-f]{64} has sha256 [0-9a-f]{64} \(tampered'
    hostile missing-blob 'layer 0 \(sha256:[0-9a-f]{64}\): the blob is missing'
    hostile size-mismatch 'the blob is [0-9]+ bytes, the descriptor says [0-9]+'
    hostile blob-symlink 'blobs/sha256/[0-9a-f]{64}: Too many levels of symbolic links'
    hostile unknown-mediatype 'layers\[0\]: unknown layer media type "application/vnd.example.unknown"'
    hostile arm64 'the image is for linux/arm64; this host runs linux/amd64'
    hostile list-no-amd64 'no linux/amd64 image .*linux/arm64, linux/s390x'
    local t0; t0=$(date +%s%N)
    hostile blob-64g 'declares 68719476736 bytes: over the cap'
    hostile bomb-declared 'entry zero: declares 21474836480 bytes, more than the [0-9]+ left under the unpacked-size cap'
    hostile bomb-stream 'more than the [0-9]+ left under the unpacked-size cap|decompresses to more than' --image-max-size 16m
    local ms=$((($(date +%s%N) - t0) / 1000000))
    [ "$ms" -lt 3000 ] && ok "the 64 GiB blob and the two bombs are refused in ${ms} ms together" || not_ok "bombs took ${ms} ms"
    # --ro-bind into an image: the mount point must be in the image, reached
    # without symlinks; the cached tree is never changed, nothing made outside.
    mkdir -p "$T/bdir" && echo data > "$T/bdir/bindsrc"
    expect_msg 64 'the image has no file there' "--ro-bind through an image's symlink to /etc is refused" \
        "$SANDBOX" run -p "$SAFE" --cache "$hc" --record "$T/rec/b1" --image "oci:$cr/out/symlink-mountpoint" --ro-bind "$T/bdir/bindsrc:/mnt/kt-pwned"
    [ -e /etc/kt-pwned ] && not_ok "a host file was created through the image's symlink" || ok "nothing created through the image's symlink (/etc/kt-pwned absent)"
    expect_msg 64 'the image has no file there' "--ro-bind onto a path the image lacks is refused (the cache is not changed)" \
        "$SANDBOX" run -p "$SAFE" --cache "$hc" --record "$T/rec/b2" --image "oci:$IMG/oci" --ro-bind "$T/bdir/bindsrc:/app/new-file"
    img_run bind-ok --image "oci:$IMG/oci" --ro-bind "$T/bdir:/app" -- /bin/cat /app/bindsrc
    grep -qx data "$REC/seccomp-startup-safe/stdout" && ok "--ro-bind onto a directory the image has works" || not_ok "--ro-bind onto /app (exit $RC)"
    img_run device --image "oci:$cr/out/device"
    [ "$RC" -eq 0 ] && [ "$(field "$RUNJ" image unpacked devices_skipped)" = 1 ] && [ "$(field "$RUNJ" image unpacked devices 0)" = dev/mem ] &&
        ok "a device node in a layer is skipped and recorded (dev/mem)" || not_ok "device skipped (exit $RC)"
    # docker-archive: a config whose name is not its digest; a layer name with ..
    "$PY" - "$IMG/docker.tar" "$T/bad-config.tar" "$T/bad-layer.tar" << 'PY'
import io, json, sys, tarfile
src = tarfile.open(sys.argv[1])
members = [(m, src.extractfile(m).read() if m.isfile() else None) for m in src.getmembers()]
def write(path, edit):
    with tarfile.open(path, "w") as out:
        for m, data in members:
            data = edit(m, data)
            if data is not None:
                m.size = len(data)
                out.addfile(m, io.BytesIO(data))
            else:
                out.addfile(m)
write(sys.argv[2], lambda m, d: d.replace(b'"FOO=bar"', b'"FOO=baz"') if m.name.endswith(".json") and m.name != "manifest.json" else d)
def bad_layer(m, d):
    if m.name != "manifest.json": return d
    j = json.loads(d); j[0]["Layers"] = ["../../etc/passwd"]; return json.dumps(j).encode()
write(sys.argv[3], bad_layer)
PY
    expect_msg 125 'is named for sha256:[0-9a-f]{64} but has sha256:' "docker-archive: a config that is not what its name says is refused" \
        "$SANDBOX" run -p "$SAFE" --cache "$hc" --record "$T/rec/d1" --image "docker-archive:$T/bad-config.tar"
    expect_msg 125 'Layers\[0\] is not a safe relative name' "docker-archive: a layer path with .. is refused" \
        "$SANDBOX" run -p "$SAFE" --cache "$hc" --record "$T/rec/d2" --image "docker-archive:$T/bad-layer.tar"
    gzip -c "$IMG/docker.tar" > "$T/docker.tar.gz"
    expect_msg 125 'gzip-compressed; decompress it first' "a compressed archive: a clear error" \
        "$SANDBOX" run -p "$SAFE" --cache "$hc" --record "$T/rec/d3" --image "docker-archive:$T/docker.tar.gz"
}

unprivileged_case() {
    if ! as_nobody unshare -U true 2> /dev/null; then skip "unprivileged --image (user namespaces unavailable)"; return; fi
    local nc=$T/nobody
    mkdir -m 755 "$nc" && chown 65534:65534 "$nc"
    chmod -R a+rX "$IMG/oci"
    run as_nobody "$SANDBOX" run -p "$SAFE" --cache "$nc/cache" --record "$nc/rec" --image "oci:$IMG/oci"
    if [ "$RC" -eq 0 ] && grep -q from-image "$nc/rec/seccomp-startup-safe/stdout"; then
        ok "unprivileged: an image runs from the user's own cache (user namespace)"
    else not_ok "unprivileged --image (exit $RC)"; fi
}

BUSYBOX=
for b in /bin/busybox /usr/bin/busybox; do
    [ -x "$b" ] && file -L "$b" | grep -q 'statically linked' && BUSYBOX=$b && break
done
missing=
for tool in podman skopeo umoci buildah runc; do command -v $tool > /dev/null || missing="$missing $tool"; done
if ! is_root; then
    skip "image tests (podman, buildah and umoci need root on this host)"
elif [ -n "$missing" ] || [ -z "$BUSYBOX" ] || [ ! -x "$PY" ]; then
    skip "image tests (missing:$missing${BUSYBOX:- busybox-static}; install them: .ci/packages.txt)"
else
    podman_env
    if real_images; then
        digest_cases
        config_cases
        probe_case
        cache_cases
        kill_cases
        umoci_cases && hostile_cases
        unprivileged_case
    fi
fi
