"""``python -m gradcheck.spec``: write the parsed form of every bundled spec (of those named,
if any) beside its YAML file; see :mod:`gradcheck.spec.frozen`."""

import sys

from gradcheck.spec.frozen import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
