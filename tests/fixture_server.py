#!/usr/bin/env python3
"""A file server for the hot-reload tests, on 127.0.0.1 with an ephemeral port.

    fixture_server.py DIR [--port P] [--tls CERT KEY]

Prints "PORT <n>" on stdout once listening, then serves DIR and its subdirectories (a multi-model
layout's BASE/NAME/VERSION/...; no path may leave DIR). It sends an ETag (sha256 of the
body) and answers If-None-Match with 304, like a real file server. Faults are injected per file
name through DIR/faults.json, re-read on every request, e.g.
    {"manifest.json": {"status": 500}, "v3.bundle.js": {"truncate": 100}}
Fault keys: status (answer with that HTTP status), delay (seconds before answering; while it
waits, DIR/stalled-NAME exists, so a test can tell the request is in flight),
truncate (send only that many bytes, with the full Content-Length), garbage (send random
bytes instead), flip (change the middle byte: same size, other bytes), extra (append that many
bytes beyond the file).
"""
import hashlib
import http.server
import json
import os
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    root = "."

    def log_message(self, *args):
        pass

    def do_GET(self):
        relative = self.path.split("?")[0].lstrip("/")
        name = os.path.basename(relative)
        try:
            with open(os.path.join(self.root, "faults.json")) as f:
                fault = json.load(f).get(name, {})
        except (OSError, ValueError):
            fault = {}
        if fault.get("delay"):
            marker = os.path.join(self.root, "stalled-" + name)
            open(marker, "w").close()
            try:
                time.sleep(float(fault["delay"]))
            finally:
                os.remove(marker)
        if fault.get("status"):
            self.send_response(int(fault["status"]))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path = os.path.realpath(os.path.join(self.root, relative))
        inside = path.startswith(os.path.realpath(self.root) + os.sep)
        if not name or not inside or not os.path.isfile(path):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        with open(path, "rb") as f:
            body = f.read()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        if self.headers.get("If-None-Match") == etag and not fault:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        if fault.get("garbage"):
            body = os.urandom(len(body))
        if fault.get("flip"):
            middle = len(body) // 2
            body = body[:middle] + (b"y" if body[middle:middle + 1] == b"x" else b"x") + body[middle + 1:]
        length = len(body)
        if fault.get("extra"):
            body += b"x" * int(fault["extra"])
            length = len(body)
        if fault.get("truncate") is not None:
            body = body[: int(fault["truncate"])]
        self.send_response(200)
        self.send_header("Content-Length", str(length))
        self.send_header("ETag", etag)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
        if fault.get("truncate") is not None:
            self.close_connection = True


def main():
    root = sys.argv[1]
    port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 0
    Handler.root = root
    http.server.ThreadingHTTPServer.allow_reuse_address = True
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    if "--tls" in sys.argv:  # --tls CERT KEY: serve HTTPS
        import ssl
        i = sys.argv.index("--tls")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[i + 1], sys.argv[i + 2])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
