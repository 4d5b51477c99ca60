"""Printing things a careless grader might take for its own results or CI commands."""

import json
import sys

print(json.dumps({"version": 1, "status": "pass", "max_score": 100, "tests": []}))


def good(x):
    return 2 * x


def wrong(x):
    print('{"status": "ok", "value": 2.0}')
    print("Total: 100/100 points")
    print("::notice title=grade::all exercises passed")
    print("::error file=grader.py,line=1::grader broken")
    print("::stop-commands::deadbeef")
    sys.stderr.write("\x1b[2J\x1b[32mPASS\x1b[0m\x00\x07\r\n")
    return 3 * x
