"""Opening network connections; the argument is the port of a listener on 127.0.0.1."""

import socket


def good(x):
    return 2 * x


def connect(port):
    try:
        with socket.create_connection(("127.0.0.1", int(port)), timeout=0.3):
            return 1.0
    except OSError:
        return -1.0


def udp(port):
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(b"exfiltrate", ("127.0.0.1", int(port)))
            return 1.0
    except OSError:
        return -1.0


def unix_socket(x):
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect("/var/run/docker.sock")
            return 1.0
    except OSError:
        return -1.0
