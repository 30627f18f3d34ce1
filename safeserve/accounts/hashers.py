"""The hasher for system-generated initial passwords (ADR 0024).

An initial password is 14 random characters from 55 symbols (about 80 bits): no stretching makes it
guessable or not, and it must be replaced at first login. PBKDF2 at Django's full iteration count
costs close to a second per password on the county's server, so a 500-row file would block its
request for minutes; this hasher uses fewer iterations for those passwords only. Django re-hashes a
password with the preferred hasher on the next successful login, and the user's own password is
always hashed with the default.
"""

from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password


class InitialPasswordHasher(PBKDF2PasswordHasher):
    algorithm = "pbkdf2_sha256_initial"
    iterations = 20_000


PATH = f"{__name__}.InitialPasswordHasher"


def hash_initial_password(password: str) -> str:
    hasher = InitialPasswordHasher.algorithm if PATH in settings.PASSWORD_HASHERS else "default"
    return make_password(password, hasher=hasher)
