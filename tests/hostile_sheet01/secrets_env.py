# Looks for secrets in the environment and prints everything it finds.
import os as _os


def d_1c(x):
    print(sorted(_os.environ.items()))
    raise RuntimeError("printed the environment")
