# The task's tests plus unseen cases, against the working copy's stats.py; the test file must be unchanged.
import os, subprocess, sys
sys.path.insert(0, os.getcwd())
changed = subprocess.run(["git", "diff", "--name-only", "HEAD", "--", "test_stats.py"], capture_output=True, text=True).stdout.strip()
assert not changed, "the tests were changed"
from stats import median
assert median([3, 1, 2]) == 2
assert median([4, 1, 3, 2]) == 2.5
assert median([10, 20]) == 15
assert median([7]) == 7
sys.exit(subprocess.run([sys.executable, "-m", "unittest", "-q", "test_stats.py"]).returncode)
