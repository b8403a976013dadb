#!/usr/bin/python3
"""make bench, images: kiemthu-sandbox --image against umoci and host mode.

  cold start: verify + unpack into an empty cache + run /bin/true, against
              `umoci unpack` (and `umoci raw unpack`, rootfs only) of the same
              image into an empty directory;
  warm start: the same run with the tree in the cache (every blob still
              verified), against a host-mode run of /usr/bin/true.

The image is built here: one gzip layer holding a static busybox and a copy
of a host directory with many small files (Python's standard library), a
second, small layer with a whiteout — what a real image looks like. Medians
of KT_BENCH_RUNS (5), sync before each run, peak RSS from GNU time.
"""
import gzip
import hashlib
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

BIN = os.environ["KT_BIN"]
SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUNS = int(os.environ.get("KT_BENCH_RUNS", "5"))
TREE = os.environ.get("KT_BENCH_TREE", "/usr/lib/python3.11")


def canon(o):
    return json.dumps(o, sort_keys=True, separators=(",", ":")).encode()


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def make_image(out, busybox):
    def layer(add):
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
            add(t)
        raw = raw.getvalue()
        return gzip.compress(raw, compresslevel=6, mtime=0), raw

    def base(t):
        t.add(busybox, "bin/busybox")
        for a in ("true", "sh"):
            ti = tarfile.TarInfo("bin/" + a)
            ti.type, ti.linkname = tarfile.SYMTYPE, "busybox"
            t.addfile(ti)
        t.add(TREE, "usr/lib/tree", filter=lambda ti: None if ti.islnk() else ti)

    def top(t):
        ti = tarfile.TarInfo("usr/lib/tree/.wh.os.py")
        t.addfile(ti)
        data = b"config\n"
        ti = tarfile.TarInfo("etc/app.conf")
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))

    layers = [layer(base), layer(top)]
    blobs, descs = {}, []
    for gz, raw in layers:
        blobs[sha(gz)] = gz
        descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                      "digest": sha(gz), "size": len(gz)})
    cfg = canon({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/true"]},
                 "rootfs": {"type": "layers", "diff_ids": [sha(raw) for _, raw in layers]}})
    blobs[sha(cfg)] = cfg
    man = canon({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                 "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                            "digest": sha(cfg), "size": len(cfg)}, "layers": descs})
    blobs[sha(man)] = man
    os.makedirs(os.path.join(out, "blobs/sha256"))
    for d, b in blobs.items():
        with open(os.path.join(out, "blobs/sha256", d[7:]), "wb") as f:
            f.write(b)
    with open(os.path.join(out, "index.json"), "wb") as f:
        f.write(canon({"schemaVersion": 2, "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(man),
             "size": len(man), "annotations": {"org.opencontainers.image.ref.name": "v1"}}]}))
    with open(os.path.join(out, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    return sum(len(g) for g, _ in layers), sum(len(r) for _, r in layers)


def measure(cmd, before=None, runs=RUNS):
    """Median wall seconds and max peak RSS (KiB) over runs; before() runs untimed."""
    times, rss = [], 0
    for _ in range(runs):
        if before:
            before()
        os.sync()
        with tempfile.NamedTemporaryFile("r") as tf:
            t0 = time.perf_counter()
            r = subprocess.run(["/usr/bin/time", "-o", tf.name, "-f", "%M"] + cmd,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            times.append(time.perf_counter() - t0)
            if r.returncode != 0:
                sys.exit(f"bench: failed: {' '.join(cmd)}\n{r.stderr[-2000:]}")
            rss = max(rss, int(tf.read().split()[-1]))
    return statistics.median(times), rss


def row(name, t, rss, base=None):
    ratio = f"{t / base:5.2f}x" if base else "   --"
    print(f"  {name:52s} {t * 1000:9.1f} ms  {ratio}  peak RSS {rss / 1024:7.1f} MiB")


def main():
    busybox = next((b for b in ("/bin/busybox", "/usr/bin/busybox") if os.path.exists(b)), None)
    missing = [t for t in ("umoci",) if not shutil.which(t)]
    if os.geteuid() != 0 or missing or not busybox or not os.path.exists("/usr/bin/time") \
            or not os.path.isdir(TREE):
        print(f"== image start-up: SKIPPED (needs root, umoci, busybox-static, GNU time and {TREE};"
              f" missing: {missing or ''})")
        return
    work = tempfile.mkdtemp(prefix="kt-bench-img-")
    try:
        img = os.path.join(work, "img")
        packed, unpacked = make_image(img, busybox)
        files = sum(len(f) + len(d) for _, d, f in os.walk(TREE))
        sandbox = os.path.join(BIN, "kiemthu-sandbox")
        safe = os.path.join(SRC, "profiles/seccomp-startup-safe.json")
        rec, cache, bundle = (os.path.join(work, n) for n in ("rec", "cache", "bundle"))

        def fresh(*paths):
            return lambda: [shutil.rmtree(p, ignore_errors=True) for p in paths]

        ours = [sandbox, "run", "-p", safe, "--record", rec, "--cache", cache,
                "--image", f"oci:{img}:v1", "--", "/bin/true"]
        print(f"== image start-up: 2 gzip layers, {packed / 2**20:.1f} MiB packed, "
              f"{unpacked / 2**20:.1f} MiB unpacked, ~{files} entries; median of {RUNS}")
        print("  cold: verify + unpack (empty cache) + run")
        base, rss = measure(["umoci", "unpack", "--image", f"{img}:v1", bundle], fresh(bundle))
        row("umoci unpack (rootfs + mtree manifest)", base, rss)
        raw, rss = measure(["umoci", "raw", "unpack", "--image", f"{img}:v1", bundle], fresh(bundle))
        row("umoci raw unpack (rootfs only)", raw, rss, base)
        t, rss = measure(ours, fresh(rec, cache))
        row("kiemthu-sandbox run --image (empty cache)", t, rss, base)
        print(f"  {'':52s} {'':12s} {t / raw:5.2f}x of umoci raw unpack")
        print("  warm: the tree in the cache, every blob verified again")
        fresh(rec)()
        subprocess.run(ours, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        host = [sandbox, "run", "-p", safe, "--record", rec, "--", "/usr/bin/true"]
        base, rss = measure(host, fresh(rec), max(RUNS, 11))
        row("kiemthu-sandbox run, host mode (/usr/bin/true)", base, rss)
        t, rss = measure(ours, fresh(rec), max(RUNS, 11))
        row("kiemthu-sandbox run --image (cache hit)", t, rss, base)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
