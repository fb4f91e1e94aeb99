"""The one hash of a published text: what went out can be checked against what was signed off."""

import hashlib


def text_sha256(text: str) -> str:
    """The lowercase hex SHA-256 of ``text`` as UTF-8, exactly as stored."""
    return hashlib.sha256(text.encode()).hexdigest()
