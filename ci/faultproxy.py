#!/usr/bin/env python3
"""ci/faultproxy.py LISTEN_PORT UPSTREAM MODE: an HTTP proxy in front of a registry that
breaks layer blob downloads (GETs of blobs bigger than 4 KiB, so manifests and configs pass):

  truncate  send half of the blob, then close the connection
  stall     send a little, then send nothing more (until killed)
  corrupt   flip one byte in the middle of the blob
  fail2     answer 503 to the first two requests of each blob, then pass it through
  pass      change nothing

Used by ci/fault-injection.sh.
"""
import http.client
import http.server
import sys
import threading
import time

PORT, UPSTREAM, MODE = int(sys.argv[1]), sys.argv[2], sys.argv[3]
failures = {}
lock = threading.Lock()


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        up = http.client.HTTPConnection(UPSTREAM, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        up.request(self.command, self.path, body=body, headers=headers)
        resp = up.getresponse()
        data = resp.read()
        blob = self.command == "GET" and "/blobs/" in self.path and len(data) > 4096 and resp.status == 200
        if blob and MODE == "fail2":
            with lock:
                n = failures.get(self.path, 0)
                failures[self.path] = n + 1
            if n < 2:
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if not blob or MODE in ("pass", "fail2"):
            self.wfile.write(data)
        elif MODE == "truncate":
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
        elif MODE == "stall":
            self.wfile.write(data[:1024])
            self.wfile.flush()
            time.sleep(3600)
        elif MODE == "corrupt":
            mid = len(data) // 2
            self.wfile.write(data[:mid] + bytes([data[mid] ^ 0xFF]) + data[mid + 1 :])

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = forward


class Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # clients that give up on a broken blob are what this proxy is for


Server(("127.0.0.1", PORT), Proxy).serve_forever()
