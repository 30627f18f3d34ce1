"""Idle sessions expire without a database write on every request.

Sessions end after ``SESSION_COOKIE_AGE`` idle seconds (8 hours) and when the browser closes. Django
keeps an idle timeout by saving the session on every request (``SESSION_SAVE_EVERY_REQUEST``): an
UPDATE and a commit of the session row for every page, API call and htmx fragment, which on SQLite
also takes the database's single write lock. Here the row is rewritten, and its expiry moved on, when
the session changed or when its last such write is ``SAFESERVE_SESSION_TOUCH_SECONDS`` old (default
60), so an idle session ends between AGE − 60 s and AGE after the last request.
"""

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware

TOUCHED = "_touched"  # when the session row was last written (epoch seconds)


class SessionMiddleware(DjangoSessionMiddleware):
    def process_response(self, request, response):
        session = getattr(request, "session", None)
        # Only a session this request read (so nothing is loaded, nor Vary: Cookie added, for one that
        # did not) and only a signed-in user's (a cookie whose session has expired loads as empty: it
        # is never written back as a new one).
        if session is not None and session.accessed and not session.modified and session.get(SESSION_KEY) is not None:
            now = int(time.time())
            if now - session.get(TOUCHED, 0) >= settings.SAFESERVE_SESSION_TOUCH_SECONDS:
                session[TOUCHED] = now  # marks it modified: Django saves it with a new expiry
        return super().process_response(request, response)
