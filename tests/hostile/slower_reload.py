"""Loads fast the first time, hangs when loaded again (a marker beside the scratch folders;
only mode "none" lets it write there), and crashes when asked."""

import os
import time
from pathlib import Path

_marker = Path(os.getcwd()).parent.parent / "slower_reload.loaded"
if _marker.exists():
    time.sleep(60)
_marker.write_text("")


def die(x):
    os._exit(0)
