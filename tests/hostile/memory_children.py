"""Children that each stay under the address-space limit but together exceed the memory cap."""

import os
import time


def good(x):
    return 2 * x


def together(x):
    children = []
    for _ in range(4):
        pid = os.fork()
        if pid == 0:
            block = bytearray(300 << 20)
            for i in range(0, len(block), 4096):
                block[i] = 1
            time.sleep(1)
            os._exit(0)
        children.append(pid)
    finished = 0
    for pid in children:
        _, status = os.waitpid(pid, 0)
        finished += os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    return float(finished) + 0 * x
