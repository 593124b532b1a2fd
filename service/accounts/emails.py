"""Checking an email address someone types for an account, with a maintained validator (email-validator)."""

from email_validator import EmailNotValidError, validate_email

MAX_EMAIL_LENGTH = 254


def checked_email(text: str) -> str:
    """The address in the form accounts are stored (lower case), or ValueError when it is not a real address's shape.

    Syntax only: deliverability needs DNS, which the service neither has nor needs to decide who may be invited.
    """
    text = (text or "").strip()
    if not text or len(text) > MAX_EMAIL_LENGTH:
        raise ValueError("Give a full email address.")
    try:
        valid = validate_email(text, check_deliverability=False)
    except EmailNotValidError as problem:
        raise ValueError("Give a full email address.") from problem
    return valid.normalized.lower()
