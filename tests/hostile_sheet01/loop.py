# d_1c never returns.
def d_1c(x):
    while True:
        pass
