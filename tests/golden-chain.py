#!/usr/bin/env python3
"""The first chain value of fixtures/golden/large.manifest.json, recomputed
without OpenSSL or nettle: SHA-256's compression function in plain Python
(FIPS 180-4, section 6.2.2) over the golden member's first 8 MiB (the AES-128-
CTR keystream of tests/golden.sh, from python3-cryptography). It must equal
the manifest's value 0, in the form docs/FORMAT.md section 3 gives (H(i),
eight big-endian words). Prints one TAP line; exit 1 if it differs."""
import json, os, struct, sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

K = [
    0x428A2F98, 0x71374491, 0xB5C0FBCF, 0xE9B5DBA5, 0x3956C25B, 0x59F111F1, 0x923F82A4, 0xAB1C5ED5,
    0xD807AA98, 0x12835B01, 0x243185BE, 0x550C7DC3, 0x72BE5D74, 0x80DEB1FE, 0x9BDC06A7, 0xC19BF174,
    0xE49B69C1, 0xEFBE4786, 0x0FC19DC6, 0x240CA1CC, 0x2DE92C6F, 0x4A7484AA, 0x5CB0A9DC, 0x76F988DA,
    0x983E5152, 0xA831C66D, 0xB00327C8, 0xBF597FC7, 0xC6E00BF3, 0xD5A79147, 0x06CA6351, 0x14292967,
    0x27B70A85, 0x2E1B2138, 0x4D2C6DFC, 0x53380D13, 0x650A7354, 0x766A0ABB, 0x81C2C92E, 0x92722C85,
    0xA2BFE8A1, 0xA81A664B, 0xC24B8B70, 0xC76C51A3, 0xD192E819, 0xD6990624, 0xF40E3585, 0x106AA070,
    0x19A4C116, 0x1E376C08, 0x2748774C, 0x34B0BCB5, 0x391C0CB3, 0x4ED8AA4A, 0x5B9CCA4F, 0x682E6FF3,
    0x748F82EE, 0x78A5636F, 0x84C87814, 0x8CC70208, 0x90BEFFFA, 0xA4506CEB, 0xBEF9A3F7, 0xC67178F2,
]
H0 = [0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19]
M = 0xFFFFFFFF


def rotr(x, n):
    return ((x >> n) | (x << (32 - n))) & M


def compress(h, block):
    w = list(struct.unpack(">16L", block))
    for i in range(16, 64):
        s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
        s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
        w.append((w[i - 16] + s0 + w[i - 7] + s1) & M)
    a, b, c, d, e, f, g, hh = h
    for i in range(64):
        t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) & M
        t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) & M
        hh, g, f, e, d, c, b, a = g, f, e, (d + t1) & M, c, b, a, (t1 + t2) & M
    return [(x + y) & M for x, y in zip(h, (a, b, c, d, e, f, g, hh))]


src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
manifest = json.load(open(os.path.join(src, "fixtures/golden/large.manifest.json")))
want = manifest["subject"][0]["annotations"]["sha256ChunkStates"][0]
data = Cipher(algorithms.AES(bytes(16)), modes.CTR(bytes(16))).encryptor().update(bytes(8 << 20))
h = H0
for i in range(0, len(data), 64):
    h = compress(h, data[i : i + 64])
got = "".join("%08x" % x for x in h)
if got == want:
    print(f"ok - golden large: chain value 0 is SHA-256's H(i) after 8 MiB, recomputed in plain Python ({got[:16]}...)")
    sys.exit(0)
print(f"not ok - golden large: chain value 0 is {want}, plain Python computes {got}")
sys.exit(1)
