import os, sys
sys.path.insert(0, os.getcwd())
from roman import to_roman
cases = {1: "I", 4: "IV", 9: "IX", 14: "XIV", 40: "XL", 90: "XC", 400: "CD", 1994: "MCMXCIV", 2024: "MMXXIV", 3999: "MMMCMXCIX"}
for n, want in cases.items():
    got = to_roman(n)
    assert got == want, f"to_roman({n}) = {got!r}, expected {want!r}"
for bad in (0, 4000):
    try:
        to_roman(bad)
    except ValueError:
        continue
    raise AssertionError(f"to_roman({bad}) should raise ValueError")
print("ok")
