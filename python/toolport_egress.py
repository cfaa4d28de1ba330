"""Toolport egress forwarder: the sandbox entry point when python code may use the network.

The sandbox has its own network namespace with nothing but loopback. This forwarder listens on
127.0.0.1:<free port> inside it and relays every connection, byte for byte, to the server's egress
proxy on a unix socket bind-mounted into the sandbox. The proxy (in the Toolport server) decides
what may be reached. HTTP_PROXY / HTTPS_PROXY / ALL_PROXY point at the forwarder, then the runner
runs in this same process.

Usage: toolport_egress.py --socket PATH -- RUNNER.py [runner args...]

Standard library only.
"""

import os
import runpy
import socket
import sys
import threading

_CHUNK = 65536


def _pump(src, dst):
    try:
        while True:
            data = src.recv(_CHUNK)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for sock, how in ((dst, socket.SHUT_WR), (src, socket.SHUT_RD)):
            try:
                sock.shutdown(how)
            except OSError:
                pass


def _relay(client, socket_path):
    upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        upstream.connect(socket_path)
    except OSError:
        client.close()
        upstream.close()
        return
    back = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
    back.start()
    _pump(client, upstream)
    back.join()
    client.close()
    upstream.close()


def _serve(listener, socket_path):
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=_relay, args=(client, socket_path), daemon=True).start()


def start(socket_path):
    """Starts the forwarder thread and points the proxy variables at it; returns the port."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    threading.Thread(target=_serve, args=(listener, socket_path), daemon=True).start()
    proxy = "http://127.0.0.1:%d" % port
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        os.environ[name] = proxy
    for name in ("NO_PROXY", "no_proxy"):
        os.environ.pop(name, None)
    return port


def main(argv):
    if len(argv) < 4 or argv[0] != "--socket" or argv[2] != "--":
        sys.stderr.write("toolport-egress: usage: toolport_egress.py --socket PATH -- RUNNER.py [args...]\n")
        sys.exit(2)
    start(argv[1])
    runner = argv[3]
    sys.argv = [runner] + argv[4:]
    sys.path.insert(0, os.path.dirname(os.path.abspath(runner)))
    runpy.run_path(runner, run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
