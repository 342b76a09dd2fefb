"""Grant codes: what a member shows at a partner's counter and a clerk types in.

Fifteen characters from `secrets` (75 bits: no one guesses one, and failed lookups are
limited besides) in Crockford's base 32, which leaves out I, L, O and U so that nothing
reads as something else, then one check character (Luhn mod 32), which catches every
single mistyped character and almost every swap of two neighbours before the code is
looked up.
Shown in groups of four, `7K3M-Q9TX-2HBW-4RCN`; read back however it was typed: any case,
with or without dashes or spaces, O for 0 and I or L for 1.
"""

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_LENGTH = 15
LENGTH = RANDOM_LENGTH + 1
_VALUE = {character: value for value, character in enumerate(ALPHABET)}
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})


def _check_character(body: str) -> str:
    """Luhn mod N over `body`, N = 32: the character that makes the whole code check."""
    total, factor = 0, 2
    for character in reversed(body):
        addend = factor * _VALUE[character]
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return ALPHABET[(32 - total % 32) % 32]


def new_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return body + _check_character(body)


def canonical(typed: str) -> str | None:
    """The code as stored, or None when `typed` cannot be a code: wrong length, a character
    outside the alphabet, or a check character that does not match (a typo)."""
    code = typed.upper().translate(_READ_AS)
    if len(code) != LENGTH or any(character not in _VALUE for character in code):
        return None
    return code if _check_character(code[:-1]) == code[-1] else None


def displayed(code: str) -> str:
    return "-".join(code[start:start + 4] for start in range(0, len(code), 4))
