#!/usr/bin/python3
"""Sends exactly N keep-alive GETs over C connections, one in flight per connection; checks every answer
is a 200 with a Content-Length body. For deterministic per-request measurements (callgrind, strace -c),
where wrk's duration-bound request count would not do.
    keepalive_client.py PORT N [CONNECTIONS] [PATH]
"""
import selectors
import socket
import sys

port, n = int(sys.argv[1]), int(sys.argv[2])
conns = int(sys.argv[3]) if len(sys.argv) > 3 else 4
path = sys.argv[4] if len(sys.argv) > 4 else "/plaintext"
request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
selector = selectors.DefaultSelector()
pending = {}
sent = done = 0
for _ in range(min(conns, n)):
    s = socket.create_connection(("127.0.0.1", port))
    s.setblocking(False)
    pending[s] = b""
    s.send(request)
    sent += 1
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
            if sent < n:
                s.send(request)
                sent += 1
        pending[s] = buf
print(done)
