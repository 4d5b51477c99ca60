"""An endless loop in one function."""


def good(x):
    return 2 * x


def spin(x):
    while True:
        x = x + 1
