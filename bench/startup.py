#!/usr/bin/env python3
"""Starts `skiff server` and times process start -> first `/readyz` answering 200 "ok".

Launches the binary itself (so the clock starts right before fork/exec), polls /readyz over one kept-alive TLS
connection every millisecond (a refused connection or a non-ok answer is retried; bounded by --timeout),
then exits leaving the server running and prints one JSON line with its pid, for the caller to
stop by that pid. /readyz needs no token; the CA may not exist yet on a fresh data dir, so this
one probe does not verify the certificate.
"""
import argparse
import json
import socket
import ssl
import subprocess
import sys
import time

p = argparse.ArgumentParser()
p.add_argument("--bin", required=True)
p.add_argument("--data-dir", required=True)
p.add_argument("--port", type=int, required=True)
p.add_argument("--log", required=True)
p.add_argument("--timeout", type=float, default=30.0)
a = p.parse_args()

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
req = b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


class Prober:
    """GET /readyz on one kept-alive TLS connection (reconnecting when needed), so that polling
    every millisecond costs the starting server one handshake, not hundreds."""

    def __init__(self):
        self.sock = None

    def close(self):
        if self.sock:
            self.sock.close()
        self.sock = None

    def ready(self):
        """True when /readyz answers 200 with body "ok"."""
        try:
            if self.sock is None:
                raw = socket.create_connection(("127.0.0.1", a.port), timeout=2)
                self.sock = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
            self.sock.sendall(req)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = self.sock.recv(4096)
                if not chunk:
                    raise ConnectionError("closed")
                data += chunk
            head, body = data.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            length = next((int(l.split(":", 1)[1]) for l in lines if l.lower().startswith("content-length:")), None)
            if length is None:
                raise ConnectionError("no content-length")
            while len(body) < length:
                chunk = self.sock.recv(4096)
                if not chunk:
                    raise ConnectionError("closed")
                body += chunk
            if any(l.lower() == "connection: close" for l in lines):
                self.close()
            return lines[0].split(" ")[1] == "200" and body.strip() == b"ok"
        except (OSError, ssl.SSLError, IndexError, ValueError):
            self.close()
            return False


try:
    socket.create_connection(("127.0.0.1", a.port), timeout=0.5).close()
    print(json.dumps({"error": f"port {a.port} is already in use; refusing to time another server"}))
    sys.exit(1)
except OSError:
    pass

log = open(a.log, "ab")
t0 = time.monotonic()
proc = subprocess.Popen([a.bin, "server", "--data-dir", a.data_dir, "--port", str(a.port)],
                        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
prober = Prober()
attempts = 0
while True:
    attempts += 1
    if prober.ready():
        prober.close()
        ms = (time.monotonic() - t0) * 1000
        print(json.dumps({"pid": proc.pid, "ready_ms": round(ms, 1), "attempts": attempts}))
        sys.exit(0)
    if proc.poll() is not None:
        print(json.dumps({"pid": proc.pid, "error": f"server exited with {proc.returncode}"}))
        sys.exit(1)
    if time.monotonic() - t0 > a.timeout:
        print(json.dumps({"pid": proc.pid, "error": "not ready before timeout"}))
        sys.exit(1)
    time.sleep(0.001)
