#!/usr/bin/python3
"""treecmp.py A B [--ignore PATH]... : compare two unpacked image trees.

Every entry is compared by type, permission bits (set-id included), owner,
content (sha256) or link target, and a regular file's or symlink's mtime.
Hard links are compared as link groups. Prints the differences; exit 0 when
there are none."""
import hashlib
import os
import stat
import sys


def listing(root, ignore):
    out, inodes = {}, {}
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(dirpath, name)
            rel = "/" + os.path.relpath(p, root)
            if rel in ignore:
                continue
            st = os.lstat(p)
            m = st.st_mode
            if stat.S_ISREG(m):
                with open(p, "rb") as f:
                    what = ("f", hashlib.sha256(f.read()).hexdigest(), int(st.st_mtime))
                inodes.setdefault(st.st_ino, []).append(rel)
            elif stat.S_ISLNK(m):
                what = ("l", os.readlink(p), int(st.st_mtime))
            elif stat.S_ISDIR(m):
                what = ("d",)
            else:
                what = ("o", stat.S_IFMT(m))
            out[rel] = what + (stat.S_IMODE(m) if not stat.S_ISLNK(m) else 0, st.st_uid, st.st_gid)
    links = sorted(tuple(sorted(v)) for v in inodes.values() if len(v) > 1)
    return out, links


def main():
    a, b = sys.argv[1], sys.argv[2]
    ignore = set()
    args = sys.argv[3:]
    while args:
        if args[0] == "--ignore":
            ignore.add(args[1])
            args = args[2:]
        else:
            sys.exit("usage: treecmp.py A B [--ignore PATH]...")
    la, links_a = listing(a, ignore)
    lb, links_b = listing(b, ignore)
    diffs = 0
    for rel in sorted(set(la) | set(lb)):
        if la.get(rel) != lb.get(rel):
            print("%s: %s != %s" % (rel, la.get(rel), lb.get(rel)))
            diffs += 1
    if links_a != links_b:
        print("hard links: %s != %s" % (links_a, links_b))
        diffs += 1
    print("%d entries compared, %d differences" % (len(set(la) | set(lb)), diffs))
    sys.exit(1 if diffs else 0)


if __name__ == "__main__":
    main()
