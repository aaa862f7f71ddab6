#!/usr/bin/env python3
"""An uppercase server written to the seed's semantics with socketserver only.

TCP: a ThreadingTCPServer whose handler is the seed's: recv(1024) in a loop,
answer each chunk with data.upper(), stop on an empty read (the client
half-closed) or a reset. UDP: a ThreadingUDPServer that answers each datagram
with sendto(data.upper(), client_address), reading at most max_packet_size
(8192) bytes of it.

    python3 server.py --tcp 8080 --udp 8080 [--host 127.0.0.1] [--fork]

--fork serves each TCP connection in a process of its own (ForkingTCPServer)
instead of a thread: the other architecture socketserver offers.

Either port may be left out to serve one protocol only; 0 picks a free port.
An IPv6 host (--host ::1) serves over IPv6.
The server says where it listens on stderr and exits 0 on SIGTERM or SIGINT.
"""

import argparse
import signal
import socket
import socketserver
import sys
import threading


class UpperTCPHandler(socketserver.BaseRequestHandler):
    """The seed's TCP handler: one thread per connection."""

    def handle(self):
        while True:
            try:
                data = self.request.recv(1024)
                if len(data) == 0:
                    break
                # The seed calls send(), which may write only part of its
                # argument when the socket buffer is nearly full (a client
                # that reads slowly) and returns how much it wrote; the seed
                # ignores that count and would silently drop the rest.
                # sendall() loops until every byte is written.
                self.request.sendall(data.upper())
            except (ConnectionResetError, BrokenPipeError):
                # The client reset, or vanished while we wrote to it: end
                # this connection only.
                break
        # socketserver then shuts the socket down for writing and closes it:
        # the client sees an orderly end (FIN) after the last reply byte.


class UpperUDPHandler(socketserver.BaseRequestHandler):
    """The seed's UDP handler: one thread per datagram."""

    def handle(self):
        data, sock = self.request
        sock.sendto(data.upper(), self.client_address)


class TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    # request_queue_size stays at socketserver's default of 5 (the listen
    # backlog), as in the seed.


class ForkingTCPServer(socketserver.ForkingTCPServer):
    """--fork: a process per connection, at most max_children (40) at once;
    the 41st connection waits in the accept queue until one ends."""

    allow_reuse_address = True
    # Shutting down does not wait for the children still serving clients.
    block_on_close = False


class UDPServer(socketserver.ThreadingUDPServer):
    daemon_threads = True
    allow_reuse_address = True
    # max_packet_size stays at socketserver's default of 8192: longer
    # datagrams are answered with their first 8192 bytes.


def parse_args(argv):
    p = argparse.ArgumentParser(description="uppercase server (socketserver, the seed's semantics)")
    p.add_argument("--tcp", type=int, metavar="PORT", help="TCP port to serve on")
    p.add_argument("--udp", type=int, metavar="PORT", help="UDP port to serve on")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; ::1 for IPv6)")
    p.add_argument("--fork", action="store_true",
                   help="serve each TCP connection in a process of its own (ForkingTCPServer) instead of a thread")
    args = p.parse_args(argv)
    if args.tcp is None and args.udp is None:
        p.error("give --tcp PORT, --udp PORT or both")
    for name in ("tcp", "udp"):
        port = getattr(args, name)
        if port is not None and not 0 <= port <= 65535:
            p.error(f"--{name} {port}: not a port number")
    return args


def main(argv):
    args = parse_args(argv)
    stop = threading.Event()
    # Signals only set the event: the main thread then shuts the servers
    # down, which must not happen inside serve_forever's own thread.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    # socketserver binds IPv4 unless the class says otherwise.
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    tcp_class = type("TCPServer", (ForkingTCPServer if args.fork else TCPServer,), {"address_family": family})
    udp_class = type("UDPServer", (UDPServer,), {"address_family": family})
    servers = []
    try:
        if args.tcp is not None:
            servers.append(("tcp", tcp_class((args.host, args.tcp), UpperTCPHandler)))
        if args.udp is not None:
            servers.append(("udp", udp_class((args.host, args.udp), UpperUDPHandler)))
    except OSError as e:
        for _, srv in servers:
            srv.server_close()
        print(f"server.py: cannot listen on {args.host}: {e.strerror or e}", file=sys.stderr)
        return 1

    threads = []
    for name, srv in servers:
        host, port = srv.server_address[:2]
        where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        print(f"server.py: {name} listening on {where}", file=sys.stderr, flush=True)
        t = threading.Thread(target=srv.serve_forever, name=f"{name}-server")
        t.start()
        threads.append(t)

    stop.wait()
    for _, srv in servers:
        srv.shutdown()
        srv.server_close()
    for t in threads:
        t.join()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
