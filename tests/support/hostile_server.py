#!/usr/bin/env python3
"""A deliberately broken Bedrock Runtime endpoint, for tests of what edgeroute does
with a hostile or faulty server.

    python3 tests/support/hostile_server.py --mode MODE --ready-file PATH [--max-seconds 60]

It listens on 127.0.0.1 on an ephemeral port (plain HTTP: the client's endpoint URL
is http://127.0.0.1:PORT, allowed for loopback only), writes {"port": N} to the
ready file once it accepts connections, and answers every request with the mode's
reply. It never verifies signatures. It stops on SIGTERM/SIGINT and by itself after
--max-seconds, so a test that dies cannot leave it running. Requests whose path
ends in /converse-stream get an event stream where the mode has one.

Modes (the reply to every request):
  oversize-500      HTTP 500 with a JSON body of --body-bytes (default 2 MiB)
  no-status-line    a body with no status line or headers (HTTP/0.9), then close
  giant-message     HTTP 400 ValidationException whose message is 900 KB
  control-message   HTTP 400 ValidationException whose message holds ESC, BEL, CR/LF
  bad-utf8-message  HTTP 400 ValidationException whose message holds invalid UTF-8
  control-text      HTTP 200 whose Converse text holds ESC and BEL sequences
  nul-text          HTTP 200 whose Converse text holds a \\u0000 escape mid-text
  bad-utf8-text     HTTP 200 whose Converse text holds invalid UTF-8 bytes
  huge-header       HTTP 200 with one 1 MiB header line
  header-drip       a status line, then one header line every --drip-ms
  body-drip         HTTP 200 headers, then one body byte every --drip-ms
"""
import argparse
import json
import os
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sim"))
from simlib import eventstream  # noqa: E402

# What the text modes put in a Converse answer (as raw bytes inside the JSON string:
# escapes are written as JSON escapes, invalid UTF-8 as raw bytes).
CONTROL_TEXT = b"ok \\u001b]0;owned\\u0007 \\u001b[2J\\u001b[31mred\\u001b[0m bell\\u0007 done"
NUL_TEXT = b"before\\u0000after"
BAD_UTF8_TEXT = b"caf\xc3 \xff\xfe end \xed\xa0\x80 ok"
CONTROL_MESSAGE = b"bad \\u001b[31mred\\u001b[0m \\u0007bell\\r\\nsecond line \\u009b end"
BAD_UTF8_MESSAGE = b"bad \xff\xfe bytes \xc3"
TEXTS = {"control-text": CONTROL_TEXT, "nul-text": NUL_TEXT, "bad-utf8-text": BAD_UTF8_TEXT}
MESSAGES = {"control-message": CONTROL_MESSAGE, "bad-utf8-message": BAD_UTF8_MESSAGE,
            "giant-message": b"A" * 900_000}
MODES = sorted(["oversize-500", "no-status-line", "huge-header", "header-drip", "body-drip",
                *TEXTS, *MESSAGES])
# How long one connection may take, so that a client that never reads cannot keep a
# handler thread forever.
CONNECTION_LIMIT_S = 30.0


def read_request(conn):
    """Reads one request's head and body; the path, or None when the peer closed."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
        if len(data) > 1 << 20:
            return None
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip() or b"0")
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        body += chunk
    parts = lines[0].split(b" ")
    return parts[1].decode("latin-1") if len(parts) > 1 else "/"


def reply(status, headers, body):
    head = [f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}".encode()]
    head += [f"{k}: {v}".encode() for k, v in headers] + [f"Content-Length: {len(body)}".encode()]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def converse_body(text):
    return (b'{"output":{"message":{"role":"assistant","content":[{"text":"' + text +
            b'"}]}},"stopReason":"end_turn","usage":{"inputTokens":1,"outputTokens":1,'
            b'"totalTokens":2},"metrics":{"latencyMs":1}}')


def stream_body(text):
    """A ConverseStream answer with the text as one delta. The payload is written by
    hand so that its bytes are exactly the mode's (json.dumps would repair them)."""
    def frame(event_type, payload):
        headers = [eventstream.string_header(":event-type", event_type),
                   eventstream.string_header(":content-type", "application/json"),
                   eventstream.string_header(":message-type", "event")]
        return eventstream.encode_message(headers, payload)
    return (frame("messageStart", b'{"role":"assistant"}') +
            frame("contentBlockDelta", b'{"contentBlockIndex":0,"delta":{"text":"' + text + b'"}}') +
            frame("contentBlockStop", b'{"contentBlockIndex":0}') +
            frame("messageStop", b'{"stopReason":"end_turn"}'))


def error_reply(message):
    return reply(400, [("Content-Type", "application/json"),
                       ("x-amzn-ErrorType", "ValidationException:http://internal.amazon.com/"),
                       ("x-amzn-RequestId", "hostile-0001")],
                 b'{"message":"' + message + b'"}')


def answer(mode, path, args, conn, stop):
    """Sends the mode's reply; returns False when the connection must close after it."""
    streaming = path.endswith("/converse-stream")
    if mode == "oversize-500":
        body = b'{"message":"' + b"x" * args.body_bytes + b'"}'
        conn.sendall(reply(500, [("Content-Type", "application/json")], body))
    elif mode == "no-status-line":
        conn.sendall(converse_body(b"no status line"))
        return False
    elif mode in MESSAGES:
        conn.sendall(error_reply(MESSAGES[mode]))
    elif mode in TEXTS:
        if streaming:
            conn.sendall(reply(200, [("Content-Type", "application/vnd.amazon.eventstream")],
                               stream_body(TEXTS[mode])))
        else:
            conn.sendall(reply(200, [("Content-Type", "application/json")], converse_body(TEXTS[mode])))
    elif mode == "huge-header":
        conn.sendall(reply(200, [("Content-Type", "application/json"), ("x-hostile", "a" * (1 << 20))],
                           converse_body(b"after a huge header")))
    elif mode == "header-drip":
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        for i in range(int(CONNECTION_LIMIT_S * 1000 / args.drip_ms)):
            if stop.wait(args.drip_ms / 1000):
                break
            conn.sendall(f"x-drip-{i}: {i}\r\n".encode())
        return False
    elif mode == "body-drip":
        body = converse_body(b"drip" * 1000)
        conn.sendall(reply(200, [("Content-Type", "application/json")], body)[:-len(body)])
        for i in range(min(len(body), int(CONNECTION_LIMIT_S * 1000 / args.drip_ms))):
            if stop.wait(args.drip_ms / 1000):
                break
            conn.sendall(body[i:i + 1])
        return False
    return True


def serve_connection(conn, mode, args, stop):
    try:
        conn.settimeout(CONNECTION_LIMIT_S)
        while not stop.is_set():
            path = read_request(conn)
            if path is None or not answer(mode, path, args, conn, stop):
                break
    except OSError:
        pass  # the client gave up: that is its right
    finally:
        try:
            conn.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        conn.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", required=True, choices=MODES)
    parser.add_argument("--ready-file", required=True)
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument("--body-bytes", type=int, default=2 << 20)
    parser.add_argument("--drip-ms", type=int, default=200)
    args = parser.parse_args()

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.1)
    tmp = args.ready_file + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"port": listener.getsockname()[1], "mode": args.mode}, f)
    os.replace(tmp, args.ready_file)

    end = time.monotonic() + args.max_seconds
    while not stop.is_set() and time.monotonic() < end:
        try:
            conn, _ = listener.accept()
        except socket.timeout:
            continue
        threading.Thread(target=serve_connection, args=(conn, args.mode, args, stop), daemon=True).start()
    stop.set()
    listener.close()


if __name__ == "__main__":
    main()
