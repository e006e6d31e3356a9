"""What a phone number and an e-mail address on an account or a team look like."""

from __future__ import annotations

import re

from app.people.invalid import N_, Problems

PHONE = re.compile(r"\+?[0-9][0-9 ()-]{2,38}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_EMAIL = 200


def check_contacts(phone: tuple[str, str | None], email: tuple[str, str | None],
                   problems: Problems) -> None:
    """``phone`` and ``email``: (field name, value or None)."""
    (phone_field, phone_value), (email_field, email_value) = phone, email
    if phone_value is not None and not PHONE.fullmatch(phone_value):
        problems.add(phone_field, N_("Enter a phone number: digits, spaces, + and - only."))
    if email_value is not None and (len(email_value) > MAX_EMAIL
                                    or not EMAIL.fullmatch(email_value)):
        problems.add(email_field, N_("Enter an e-mail address such as name@example.cn."))
