#!/usr/bin/python3
"""Sends exactly N keep-alive GETs over C connections, one in flight per connection; checks every answer
is a 200 with a Content-Length body. For deterministic per-request measurements (callgrind, strace -c),
where wrk's duration-bound request count would not do.
    keepalive_client.py PORT N [CONNECTIONS] [PATH] [DEPTH] [BODY]
DEPTH > 1 pipelines: each connection sends DEPTH requests in one write and the next batch once all of
them are answered (as wrk with pipeline.lua does). BODY > 0 sends POSTs with a body of that many bytes
(head and body in one write, as post_body.lua does), for the server's body reads.
"""
import selectors
import socket
import sys

port, n = int(sys.argv[1]), int(sys.argv[2])
conns = int(sys.argv[3]) if len(sys.argv) > 3 else 4
path = sys.argv[4] if len(sys.argv) > 4 else "/plaintext"
depth = int(sys.argv[5]) if len(sys.argv) > 5 else 1
body = int(sys.argv[6]) if len(sys.argv) > 6 else 0
if body:
    request = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {body}\r\n\r\n".encode()
               + b"x" * body)
else:
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
selector = selectors.DefaultSelector()
pending = {}
outstanding = {}
sent = done = 0


def send_batch(s):
    global sent
    k = min(depth, n - sent)
    s.sendall(request * k)
    sent += k
    outstanding[s] = k


for _ in range(min(conns, (n + depth - 1) // depth)):
    s = socket.create_connection(("127.0.0.1", port))
    pending[s] = b""
    send_batch(s)
    s.setblocking(False)
    selector.register(s, selectors.EVENT_READ)
while done < n:
    for key, _ in selector.select():
        s = key.fileobj
        data = s.recv(65536)
        if not data:
            sys.exit(f"server closed a connection after {done} answers")
        buf = pending[s] + data
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                break
            head = buf[:end].decode("latin-1")
            if not head.startswith("HTTP/1.1 200"):
                sys.exit(f"unexpected answer: {head!r}")
            length = next(int(line.split(":", 1)[1]) for line in head.split("\r\n")
                          if line.lower().startswith("content-length:"))
            if len(buf) < end + 4 + length:
                break
            buf = buf[end + 4 + length:]
            done += 1
            outstanding[s] -= 1
            if outstanding[s] == 0 and sent < n:
                s.setblocking(True)
                send_batch(s)
                s.setblocking(False)
        pending[s] = buf
print(done)
