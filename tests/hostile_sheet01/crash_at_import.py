# The module fails while it loads.
raise RuntimeError("the submission crashes at import")
