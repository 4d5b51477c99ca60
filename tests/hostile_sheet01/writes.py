# Tries to write next to the submission's original folder and into the grader's output folder;
# prints which writes went through (the test expects none).
def d_1c(x):
    for target in ("__ORIGINAL_DIR__/hacked.txt", "__OUTPUT_DIR__/report.json",
                   "__OUTPUT_DIR__/extra.txt"):
        try:
            with open(target, "w") as handle:
                handle.write('{"score": 64}')
        except OSError as exc:
            print(f"refused: {target}: {type(exc).__name__}")
        else:
            print(f"WRITTEN: {target}")
    return float("nan")
