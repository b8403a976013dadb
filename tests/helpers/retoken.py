#!/usr/bin/python3
"""retoken.py BUNDLE OUT [TOKEN|flip:N|drop]: rewrite a kiemthu bundle in
canonical form with its timestamp.tst replaced by the bytes of TOKEN (another
bundle's token), with byte N of its token flipped, or dropped; every other
member as it was. (Short member names only: the tests' bundles.)"""
import sys, tarfile


def octal(v, n):
    return b"%0*o\0" % (n, v)


def member(name, data, mtime):
    h = bytearray(512)
    h[0:len(name)] = name
    h[100:108] = octal(0o644, 7); h[108:116] = octal(0, 7); h[116:124] = octal(0, 7)
    h[124:136] = octal(len(data), 11); h[136:148] = octal(mtime, 11); h[148:156] = b" " * 8
    h[156:157] = b"0"; h[257:265] = b"ustar\x0000"; h[329:337] = octal(0, 7); h[337:345] = octal(0, 7)
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h) + data + b"\0" * ((512 - len(data) % 512) % 512)


src, out, how = sys.argv[1], sys.argv[2], sys.argv[3]
t = tarfile.open(src)
parts = []
for m in t.getmembers():
    data = t.extractfile(m).read()
    assert len(m.name) <= 100, m.name
    if m.name == "timestamp.tst":
        if how == "drop":
            continue
        if how.startswith("flip:"):
            i = int(how[5:]) % len(data)
            data = data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:]
        else:
            data = open(how, "rb").read()
    parts.append(member(m.name.encode(), data, m.mtime))
open(out, "wb").write(b"".join(parts) + b"\0" * 1024)
