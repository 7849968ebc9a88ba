import os, subprocess, sys
script = os.path.join(os.getcwd(), "wordcount.py")
if not os.path.exists(script):
    print("wordcount.py was not written")
    sys.exit(1)
cases = {"hello world\n": "1 2 12", "a b c\nd e\n": "2 5 10", "": "0 0 0", "  spaced   out  \nno newline": "1 4 27"}
for text, want in cases.items():
    got = subprocess.run([sys.executable, script], input=text, capture_output=True, text=True, timeout=10).stdout.strip()
    if got != want:
        print(f"for {text!r} it printed {got!r}, expected {want!r}")
        sys.exit(1)
print("ok")
