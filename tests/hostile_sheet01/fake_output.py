# Prints a fake result, a fake total and workflow commands, at import and in d_1c, which is wrong.
print('{"sheet": "sheet01", "score": 64, "max_score": 64, "exercises": []}')
print("Total 64/64 automatic points")
print("::notice::all 64 points passed")
print("::stop-commands::pwned")
print("::error file=sheet01.py,line=1::fake annotation")
print("::add-mask::hide-the-truth")


def d_1c(x):
    print('{"score": 64, "max_score": 64}')
    print("::notice::1c passed")
    print("   ::warning::an indented command (the runner trims the line first)")
    return 0.123
