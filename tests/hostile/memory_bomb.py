"""Asking for far more memory than the limit allows, at once and bit by bit."""


def good(x):
    return 2 * x


def huge(x):
    block = bytearray(10**11)
    return float(len(block))


def grow(x):
    chunks = []
    while True:
        chunks.append(bytearray(1 << 20))
