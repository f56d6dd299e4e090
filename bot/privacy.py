"""What the bot keeps about people, and the masking of personal data before it is kept.

Unanswered questions are kept (without who asked) so organisers can improve the answers;
phone numbers, e-mail addresses and identity or account numbers in them are masked first.
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DOCUMENT = re.compile(r"\b[A-Z]{2,3} ?\d{6,7}\b")  # identity card ABC123456, passport AB1234567
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?\d{4}){3,7}(?:[ ]?\d{1,4})?\b")
# Runs of digits with the separators people type: +48 600 100 200, 600-100-200, (12) 345 67 89,
# a PESEL (11 digits), a card number. Seven digits or more; shorter numbers (a year, a
# hall, a time) stay.
_NUMBER = re.compile(r"(?<![\w.])\+?\(?\d(?:[\d \-()]{5,}\d)(?![\w])")


def mask_personal(text: str) -> str:
    """The text with e-mail addresses, account numbers and long numbers masked."""
    text = _EMAIL.sub("[e-mail]", text)
    text = _IBAN.sub("[konto/account]", text)
    text = _DOCUMENT.sub("[numer/number]", text)
    return _NUMBER.sub(_mask_number, text)


def _mask_number(found: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in found.group(0))
    return "[numer/number]" if digits >= 7 else found.group(0)
