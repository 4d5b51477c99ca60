"""Looking for credentials in the environment."""

import os

SUSPICIOUS = ("TOKEN", "SECRET", "KEY", "PASSWORD", "AWS", "GITHUB", "CREDENTIAL")


def good(x):
    return 2 * x


def secrets(x):
    print("\n".join(sorted(os.environ)))
    return float(sum(any(word in name for word in SUSPICIOUS) for name in os.environ))
