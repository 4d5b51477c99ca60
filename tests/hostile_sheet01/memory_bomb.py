# d_1c asks for 100 GB, then for a huge numpy array.
def d_1c(x):
    try:
        blob = bytearray(10**11)
    except MemoryError:
        blob = np.ones(10**10)  # noqa: F821
    return float(len(blob))
