#!/usr/bin/python3
"""Opens N keep-alive connections to host:port, makes one request on each, then holds them idle until
stdin closes. Prints 'ready' once all are open."""
import socket
import sys

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sockets = []
for i in range(count):
    s = socket.create_connection((host, port))
    s.sendall(b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n")
    sockets.append(s)
for s in sockets:
    data = b""
    while b"Hello, World!" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
print("ready", flush=True)
sys.stdin.read()
