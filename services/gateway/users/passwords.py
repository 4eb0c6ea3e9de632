"""Password policy in NCSC's spirit: length over complexity, and no well-known passwords."""

from __future__ import annotations

from shared.problems import InvalidInput

MIN_LENGTH = 12
MAX_LENGTH = 128
#: A short deny list: passwords at the top of public breach lists and obvious local ones.
#: (NCSC recommends checking against a large list such as its top-100k; load one here in a
#: deployment that can ship it.)
_COMMON_TEXT = (
    "123456 123456789 12345678 password qwerty123 qwerty1 111111 12345 secret 123123 "
    "1234567890 1234567 000000 qwerty abc123 password1 iloveyou 11111111 dragon monkey "
    "123123123 123321 qwertyuiop 654321 666666 passw0rd 987654321 1q2w3e4r 7777777 1qaz2wsx "
    "letmein football welcome welcome1 admin admin123 changeme trustno1 sunshine princess "
    "baseball master superman starwars whatever shadow michael jennifer charlie password123 "
    "password1234 qwerty12345 qwertyuiop123 iloveyou123 welcome123 letmein123 liverpool "
    "liverpool1 everton everton1 merseyside wirral wirral123 council council123 police "
    "police123 probation passwordpassword correcthorsebatterystaple 1q2w3e4r5t6y qazwsxedcrfv "
    "zaq12wsx aaaaaaaaaaaa 123456789012 abcdefghijkl "
)
COMMON = frozenset(_COMMON_TEXT.split())


def check_password(password: str, username: str) -> None:
    """Raise InvalidInput (naming the rule, never echoing the password) when it is too weak."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"the password must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"the password may have at most {MAX_LENGTH} characters")
    lowered = password.lower()
    if lowered in COMMON or lowered.rstrip("0123456789!") in COMMON:
        raise InvalidInput("the password is too common; choose a longer phrase")
    if username and username.lower() in lowered:
        raise InvalidInput("the password must not contain the username")
    if len(set(password)) < 4:
        raise InvalidInput("the password repeats too few characters")
