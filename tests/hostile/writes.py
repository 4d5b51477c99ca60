"""Writing outside the scratch folder. The test appends TARGETS (absolute paths) to this file."""

import os

TARGETS = []


def good(x):
    return 2 * x


def scribble(x):
    written = 0
    for path in TARGETS + ["../escaped.txt", "../../escaped.txt"]:
        try:
            with open(path, "w") as f:
                f.write("student was here")
            written += 1
        except OSError:
            pass
    return float(written)


def write_scratch(x):
    with open("notes.txt", "w") as f:
        f.write("scratch is fine")
    return float(os.path.getsize("notes.txt"))
