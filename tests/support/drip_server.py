"""A loopback TLS endpoint that answers at once and then drips: the status line
comes straight away, then one header line (--mode headers) or one body byte
(--mode body) every --interval-ms, for as long as the client stays. A client that
measures the first byte sees the fastest endpoint there is; one that waits for
the whole answer waits for ever.

Its certificate names bedrock-runtime.REGION.amazonaws.com and 127.0.0.1, issued
by a throw-away CA (the simulator's tls module). When listening it writes
{"port": P, "ca_file": PATH} to --ready-file; it exits after --max-seconds in any
case. Tests start one per case and stop it (DripServer below).

    python3 tests/support/drip_server.py --region eu-west-1 --dir DIR --ready-file DIR/ready.json
"""
import argparse
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def serve(conn, mode, interval_s, until):
    try:
        conn.settimeout(max(0.1, until - time.monotonic()))
        request = b""
        while b"\r\n\r\n" not in request and len(request) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                return
            request += chunk
        conn.sendall(b"HTTP/1.1 404 Not Found\r\n")
        if mode == "body":
            conn.sendall(b"Content-Type: text/plain\r\nContent-Length: 100000\r\n\r\n")
        n = 0
        while time.monotonic() < until:
            time.sleep(interval_s)
            n += 1
            conn.sendall(b"x" if mode == "body" else b"x-drip-%d: %d\r\n" % (n, n))
    except (OSError, ssl.SSLError):
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--region", required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--ready-file", required=True)
    parser.add_argument("--mode", choices=["headers", "body"], default="headers")
    parser.add_argument("--interval-ms", type=int, default=500)
    parser.add_argument("--max-seconds", type=float, default=60)
    args = parser.parse_args()
    until = time.monotonic() + args.max_seconds

    sys.path.insert(0, os.path.join(HERE, "..", "sim"))
    from simlib import tls  # the simulator's throw-away CA
    ca = tls.create_ca(args.dir)
    context = tls.create_server_context(args.dir, ca, f"bedrock-runtime.{args.region}.amazonaws.com", "127.0.0.1")

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    tmp = args.ready_file + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"port": listener.getsockname()[1], "ca_file": ca[0]}, f)
    os.replace(tmp, args.ready_file)
    while time.monotonic() < until:
        try:
            raw, _ = listener.accept()
        except socket.timeout:
            continue
        try:
            raw.settimeout(5)
            conn = context.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            raw.close()
            continue
        threading.Thread(target=serve, args=(conn, args.mode, args.interval_ms / 1000.0, until),
                         daemon=True).start()
    listener.close()


class DripServer:
    """Starts drip_server.py in a temporary directory; stop() always ends it."""

    def __init__(self, directory, region, mode="headers", interval_ms=500, max_seconds=60):
        self.dir = directory
        self.ready_file = os.path.join(directory, "ready.json")
        self.cmd = [sys.executable, os.path.abspath(__file__), "--region", region, "--dir", directory,
                    "--ready-file", self.ready_file, "--mode", mode, "--interval-ms", str(interval_ms),
                    "--max-seconds", str(max_seconds)]
        self.proc = None

    def start(self, max_wait_s=30):
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + max_wait_s
        while not os.path.exists(self.ready_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("drip server did not start")
            time.sleep(0.05)
        with open(self.ready_file) as f:
            return json.load(f)

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None


if __name__ == "__main__":
    main()
