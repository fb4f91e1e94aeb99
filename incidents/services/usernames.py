"""Usernames that read alike are one username: "boss", "Boss", "ｂｏｓｓ" and "bоss" (a Cyrillic о).

A person signs in, is named in escalation messages and is picked from lists by username; a second
account whose name looks like another's lets one pass for the other. Two usernames are taken to look
alike when their skeletons are equal: the name in NFKC (as Django's sign-in form compares names,
which folds full-width and other compatibility forms), with the Cyrillic and Greek letters that look
like Latin ones replaced by those, then case-folded.

The replacements are the Cyrillic and Greek letters of Unicode's confusables data (UTS #39,
``confusables.txt``) whose prototype is a single Latin letter, each mapped to the Latin letter drawn
the same in the same case (Greek Ι to I, where Unicode's prototype is l), before case folding, so that
"ВОSS" (Cyrillic В and О) and "boss" still meet. Unicode's full skeleton also joins digits and Latin letters
("1" and "l", "0" and "O", "rn" and "m"), which would refuse ordinary names such as "user1" beside
"userl"; the libraries that compute it (ICU) do not install here, and the one that does
(confusable-homoglyphs) flags mixed scripts within a name rather than comparing two names.
"""

import unicodedata
from collections.abc import Iterable

# Each letter of the first string is drawn like the Latin letter in the same place of the second.
CYRILLIC = ("АВЕЅІЈКМНОРСТХУҮӀѴԌԜЬаеорсхуүѕіјһԁԛԝѡѵӏгҽ", "ABESIJKMHOPCTXYYIVGWbaeopcxyysijhdqwwvire")
GREEK = ("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧϜϺͿαγινορσυϳ", "ABEZHIKMNOPTYXFMJayivopouj")
LATIN_LOOK_ALIKES = str.maketrans(CYRILLIC[0] + GREEK[0], CYRILLIC[1] + GREEK[1])


def skeleton(username: str) -> str:
    """What ``username`` looks like: equal skeletons, look-alike usernames."""
    return unicodedata.normalize("NFKC", username).translate(LATIN_LOOK_ALIKES).casefold()


def look_alike(username: str, taken: Iterable[str]) -> str | None:
    """The first of the ``taken`` usernames that ``username`` looks like, or None."""
    wanted = skeleton(username)
    return next((other for other in taken if skeleton(other) == wanted), None)
