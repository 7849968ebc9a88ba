def to_roman(n):
    """The Roman numeral for an integer from 1 to 3999, in the subtractive form:
    to_roman(4) == "IV", to_roman(1994) == "MCMXCIV". Raises ValueError outside 1..3999."""
    raise NotImplementedError
