# An exception message with a lone surrogate (valid in Python text, not in UTF-8 output).
def d_1c(x):
    raise ValueError("bad \ud800 value")
