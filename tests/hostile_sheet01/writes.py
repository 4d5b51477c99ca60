# Tries to write next to the submission's original folder and into the grader's output folder.
def d_1c(x):
    for target in ("__ORIGINAL_DIR__/hacked.txt", "__OUTPUT_DIR__/report.json",
                   "__OUTPUT_DIR__/extra.txt"):
        with open(target, "w") as handle:
            handle.write('{"score": 64}')
    return 0.25
