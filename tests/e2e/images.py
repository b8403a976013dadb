#!/usr/bin/python3
"""Crafted OCI images for the e2e tests of kiemthu-sandbox --image.

    images.py OUTDIR CANARY BUSYBOX

writes OUTDIR/<name>/ OCI layouts (and a few archives), each named for what
it tests. CANARY is a directory outside any cache that the hostile images
try to write into; BUSYBOX is a static busybox for the images that must run.

Layers are tar streams built here (tarfile, fixed times), so that an image
can hold exactly what a hostile one would: "../" and absolute names, links
out of the tree, whiteouts, opaque directories, sizes that lie. Every
descriptor is then computed honestly from the bytes, unless the image is
about a descriptor that lies.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_TAR = "application/vnd.oci.image.layer.v1.tar"
MT_GZIP = MT_TAR + "+gzip"


def canon(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def tar_layer(entries):
    """entries: (kind, name, arg[, mode]) with kind f(ile) d(ir) l(symlink) h(ardlink) c(hardev)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for e in entries:
            kind, name, arg = e[0], e[1], e[2]
            ti = tarfile.TarInfo(name)
            ti.mtime = 1700000000
            ti.uid = ti.gid = 0
            if kind == "f":
                ti.mode = e[3] if len(e) > 3 else 0o644
                ti.size = len(arg)
                t.addfile(ti, io.BytesIO(arg))
                continue
            if kind == "d":
                ti.type, ti.mode = tarfile.DIRTYPE, e[3] if len(e) > 3 else 0o755
            elif kind == "l":
                ti.type, ti.linkname, ti.mode = tarfile.SYMTYPE, arg, 0o777
            elif kind == "h":
                ti.type, ti.linkname = tarfile.LNKTYPE, arg
            elif kind == "c":
                ti.type, ti.devmajor, ti.devminor, ti.mode = tarfile.CHRTYPE, 1, 3, 0o666
            t.addfile(ti)
    return buf.getvalue()


def ustar_header(name, size):
    """One ustar header block, for a member that claims size bytes."""
    h = bytearray(512)
    h[0:len(name)] = name.encode()
    h[100:108] = b"0000644\0"
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = ("%011o\0" % size).encode() if size < 8 ** 11 else b"\x80" + size.to_bytes(11, "big")
    h[136:148] = b"00000000000\0"
    h[156:157] = b"0"
    h[257:265] = b"ustar\x0000"
    h[148:156] = b" " * 8
    h[148:156] = ("%06o\0 " % sum(h)).encode()
    return bytes(h)


class Image:
    def __init__(self, layers, cmd=None, entrypoint=None, env=None, workdir=None, arch="amd64"):
        self.layers = layers  # (bytes as stored, media type, uncompressed bytes or None)
        self.config = {
            "architecture": arch,
            "os": "linux",
            "config": {"Env": env or ["PATH=/bin"]},
            "rootfs": {"type": "layers", "diff_ids": []},
        }
        if cmd is not None:
            self.config["config"]["Cmd"] = cmd
        if entrypoint is not None:
            self.config["config"]["Entrypoint"] = entrypoint
        if workdir:
            self.config["config"]["WorkingDir"] = workdir
        self.blobs = {}
        self.tamper = {}  # digest -> bytes written instead
        self.drop = set()  # digests not written
        self.size_lie = {}  # layer index -> size the descriptor claims
        self.mediatype_lie = {}
        self.index_override = None

    def build(self, tag="v1"):
        descs = []
        for i, (stored, mt, plain) in enumerate(self.layers):
            self.config["rootfs"]["diff_ids"].append(sha(plain if plain is not None else stored))
            d = sha(stored)
            self.blobs[d] = stored
            descs.append({"mediaType": self.mediatype_lie.get(i, mt), "digest": d,
                          "size": self.size_lie.get(i, len(stored))})
        cfg = canon(self.config)
        self.config_digest = sha(cfg)
        self.blobs[self.config_digest] = cfg
        man = canon({"schemaVersion": 2, "mediaType": MT_MANIFEST,
                     "config": {"mediaType": MT_CONFIG, "digest": self.config_digest, "size": len(cfg)},
                     "layers": descs})
        self.manifest_digest = sha(man)
        self.blobs[self.manifest_digest] = man
        self.index = {
            "schemaVersion": 2, "mediaType": MT_INDEX,
            "manifests": [{"mediaType": MT_MANIFEST, "digest": self.manifest_digest, "size": len(man),
                           "annotations": {"org.opencontainers.image.ref.name": tag}}]}
        return self

    def files(self):
        index = self.index_override or self.index
        out = {"oci-layout": b'{"imageLayoutVersion":"1.0.0"}', "index.json": canon(index)}
        for d, data in self.blobs.items():
            if d not in self.drop:
                out["blobs/sha256/" + d[7:]] = self.tamper.get(d, data)
        return out

    def write(self, path):
        for name, data in self.files().items():
            p = os.path.join(path, name)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(data)
        with open(os.path.join(path, "DIGESTS"), "w") as f:
            f.write("manifest %s\nconfig %s\n" % (self.manifest_digest, self.config_digest))

    def write_archive(self, path):
        with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as t:
            for name, data in sorted(self.files().items()):
                ti = tarfile.TarInfo(name)
                ti.size, ti.mtime = len(data), 0
                t.addfile(ti, io.BytesIO(data))


def plain(entries):
    raw = tar_layer(entries)
    return (raw, MT_TAR, None)


def gz(entries):
    raw = tar_layer(entries)
    return (gzip.compress(raw, mtime=0), MT_GZIP, raw)


def base_layer(busybox):
    with open(busybox, "rb") as f:
        bb = f.read()
    return gz([("d", "bin", None), ("f", "bin/busybox", bb, 0o755)] +
              [("l", "bin/" + a, "busybox") for a in ("sh", "cat", "ls", "id", "echo", "touch", "pwd")])


def main():
    out, canary, busybox = sys.argv[1:4]
    base = base_layer(busybox)
    made = {}

    # Layers with whiteouts and an opaque directory (compared with umoci unpack).
    l1 = gz([("d", "etc", None), ("f", "etc/keep", b"keep\n"), ("f", "etc/gone", b"gone\n"),
             ("d", "opq", None), ("f", "opq/lower1", b"1"), ("d", "opq/lowerdir", None),
             ("f", "opq/lowerdir/x", b"x"), ("d", "rmdir", None), ("f", "rmdir/f", b"f"),
             ("l", "etc/link", "keep"), ("h", "etc/hard", "etc/keep"), ("d", "mode", None, 0o700),
             ("f", "mode/suid", b"s", 0o4755)])
    l2 = gz([("f", "etc/.wh.gone", b""), ("d", "opq", None), ("f", "opq/new", b"new"),
             ("f", "opq/.wh..wh..opq", b""), ("f", ".wh.rmdir", b""), ("f", "etc/added", b"added\n"),
             ("f", "etc/keep", b"replaced\n")])
    l3 = plain([("d", "rmdir", None), ("f", "rmdir/again", b"again"), ("f", "opq/.wh.new", b"")])
    made["layers"] = Image([base, l1, l2, l3], cmd=["/bin/sh", "-c", "cat /etc/keep"]).build()

    # Hostile images: each must be refused, writing nothing outside the cache.
    climb = "../" * 24
    made["dotdot"] = Image([base, plain([("f", climb + canary.lstrip("/") + "/pwned", b"x")])]).build()
    made["absolute"] = Image([base, plain([("f", canary + "/pwned", b"x")])]).build()
    made["symlink-abs"] = Image([base, plain([("l", "esc", canary), ("f", "esc/pwned", b"x")])]).build()
    made["symlink-rel"] = Image([base, plain([("l", "esc", climb + canary.lstrip("/")),
                                              ("f", "esc/pwned", b"x")])]).build()
    made["symlink-layers"] = Image([base, plain([("l", "esc", canary)]),
                                    plain([("d", "esc/newdir", None)])]).build()
    made["hardlink-dotdot"] = Image([base, plain([("h", "h", climb + "etc/passwd")])]).build()
    made["hardlink-abs"] = Image([base, plain([("h", "h", "/etc/passwd")])]).build()
    made["hardlink-symlink"] = Image([base, plain([("l", "s", "/etc"), ("h", "h", "s/passwd")])]).build()

    t = Image([base], cmd=["/bin/true"]).build()
    layer_digest = sha(base[0])
    bad = bytearray(base[0])
    bad[len(bad) // 2] ^= 0xFF
    t.tamper[layer_digest] = bytes(bad)
    made["tampered-layer"] = t
    t = Image([base], cmd=["/bin/true"]).build()
    t.tamper[t.config_digest] = t.blobs[t.config_digest].replace(b"/bin/true", b"/bin/ls!!")
    made["tampered-config"] = t
    t = Image([base]).build()
    t.drop.add(layer_digest)
    made["missing-blob"] = t
    t = Image([base])
    t.size_lie[0] = 64 << 30
    made["blob-64g"] = t.build()
    t = Image([base])
    t.size_lie[0] = len(base[0]) + 1
    made["size-mismatch"] = t.build()
    t = Image([base])
    t.mediatype_lie[0] = "application/vnd.example.unknown"
    made["unknown-mediatype"] = t.build()
    made["arm64"] = Image([base], arch="arm64").build()
    t = Image([base]).build()
    man = t.blobs[t.manifest_digest]
    lst = canon({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": [
        {"mediaType": MT_MANIFEST, "digest": t.manifest_digest, "size": len(man),
         "platform": {"os": "linux", "architecture": "arm64"}},
        {"mediaType": MT_MANIFEST, "digest": t.manifest_digest, "size": len(man),
         "platform": {"os": "linux", "architecture": "s390x"}}]})
    t.blobs[sha(lst)] = lst
    t.index_override = {"schemaVersion": 2, "manifests": [
        {"mediaType": MT_INDEX, "digest": sha(lst), "size": len(lst)}]}
    made["list-no-amd64"] = t
    # A decompression bomb: one member that claims 20 GiB (refused at its
    # header), and one of many zero files (stopped by --image-max-size).
    made["bomb-declared"] = Image([base, (gzip.compress(ustar_header("zero", 20 << 30) + b"\0" * 4096,
                                                        mtime=0), MT_GZIP, None)]).build()
    zeros = io.BytesIO()
    chunk = b"\0" * (1 << 20)
    with gzip.GzipFile(fileobj=zeros, mode="wb", mtime=0) as z:
        for i in range(64):  # 256 MiB of zeros in about 256 KiB
            z.write(ustar_header("zero%02d" % i, 4 << 20))
            for _ in range(4):
                z.write(chunk)
    made["bomb-stream"] = Image([base, (zeros.getvalue(), MT_GZIP, None)]).build()
    made["symlink-mountpoint"] = Image([base, plain([("l", "mnt", "/etc")])], cmd=["/bin/true"]).build()
    made["device"] = Image([base, plain([("d", "dev", None), ("c", "dev/mem", None)])],
                           cmd=["/bin/ls", "/dev"]).build()

    for name, img in made.items():
        img.write(os.path.join(out, name))
    made["layers"].write_archive(os.path.join(out, "layers.tar"))
    # a layout whose layer blob is a symlink to a host file
    d = os.path.join(out, "blob-symlink")
    made["symlink-blob"] = Image([base]).build()
    made["symlink-blob"].write(d)
    p = os.path.join(d, "blobs/sha256", layer_digest[7:])
    os.unlink(p)
    os.symlink("/etc/passwd", p)


if __name__ == "__main__":
    main()
