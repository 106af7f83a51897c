"""A round-robin HTTP proxy for the SDK test across replicas: each request goes to the next backend in turn, with its
method, path, headers (Host included, which the signature covers) and body unchanged.

Prints the backend port of each request answered, one per line.

Usage: python round_robin.py LISTEN_PORT BACKEND_PORT [BACKEND_PORT ...]
"""

import http.client
import itertools
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BACKENDS = itertools.cycle(int(port) for port in sys.argv[2:])
LOCK = threading.Lock()


class Forward(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def forward(self):
        with LOCK:
            port = next(BACKENDS)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request(self.command, self.path, body, dict(self.headers.items()))
        response = connection.getresponse()
        payload = response.read()
        self.send_response_only(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("X-Replica-Port", str(port))
        print(port, flush=True)  # one line per request: which replica answered it
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        connection.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = forward

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Forward).serve_forever()
