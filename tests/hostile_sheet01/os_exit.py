# d_1c ends its process at once, without cleanup.
import os as _os


def d_1c(x):
    _os._exit(0)
