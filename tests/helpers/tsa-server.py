#!/usr/bin/python3
"""A real RFC 3161 Time-Stamp Authority on 127.0.0.1 for the tests: each POST
is answered by `openssl ts -reply` with the given TSA key and certificate.

Usage: tsa-server.py DIR PORTFILE [MODE [OWNER_PID]]
  DIR holds tsa.cnf, tsa.key, tsa.crt (and chain.pem, the CA, sent with the
  token's certificates). The port chosen is written to PORTFILE once the
  server listens. MODE makes a broken TSA: "http500", "text" (wrong
  Content-Type), "garbage" (random bytes), "huge" (a 1 MiB body); or an
  HTTPS one: "tls" serves over TLS with DIR/https.crt and DIR/https.key.
The test starts it in the background and kills it by its pid when done (a
trap); with OWNER_PID (the test's shell) it also exits by itself within half a
second of that process going away, e.g. killed by SIGKILL, which runs no trap."""
import http.server, os, ssl, subprocess, sys, tempfile

# Hold nothing the test's parents opened (a lock such as /work/wt/.land.lock
# must not outlive them in a stray server).
os.closerange(3, 4096)
DIR, PORTFILE = sys.argv[1], sys.argv[2]
MODE = sys.argv[3] if len(sys.argv) > 3 else "ok"
OWNER = int(sys.argv[4]) if len(sys.argv) > 4 else 0


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, code, ctype, body):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        if n > 65536 or self.headers.get("Content-Type") != "application/timestamp-query":
            return self.answer(400, "text/plain", b"bad request\n")
        query = self.rfile.read(n)
        if MODE == "http500":
            return self.answer(500, "text/plain", b"TSA down\n")
        if MODE == "garbage":
            return self.answer(200, "application/timestamp-reply", os.urandom(300))
        if MODE == "huge":
            return self.answer(200, "application/timestamp-reply", b"\0" * (1 << 20))
        with tempfile.TemporaryDirectory() as tmp:
            q, r = os.path.join(tmp, "q.tsq"), os.path.join(tmp, "r.tsr")
            open(q, "wb").write(query)
            p = subprocess.run(["openssl", "ts", "-reply", "-config", os.path.join(DIR, "tsa.cnf"),
                                "-queryfile", q, "-inkey", os.path.join(DIR, "tsa.key"),
                                "-signer", os.path.join(DIR, "tsa.crt"),
                                "-chain", os.path.join(DIR, "chain.pem"), "-out", r],
                               capture_output=True)
            if p.returncode != 0:
                return self.answer(500, "text/plain", p.stderr)
            body = open(r, "rb").read()
        self.answer(200, "text/plain" if MODE == "text" else "application/timestamp-reply", body)


class Server(http.server.HTTPServer):
    def service_actions(self):  # called by serve_forever at least every poll_interval
        if OWNER:
            try:
                os.kill(OWNER, 0)
            except ProcessLookupError:
                os._exit(0)


srv = Server(("127.0.0.1", 0), Handler)
if MODE == "tls":
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(DIR, "https.crt"), os.path.join(DIR, "https.key"))
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever(poll_interval=0.5)
