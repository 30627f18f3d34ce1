"""Create the PostgreSQL database named in DATABASE_URL when it does not exist yet (`make serve`)."""

import os
import sys
from urllib.parse import urlsplit, urlunsplit

url = os.environ.get("DATABASE_URL", "")
if not url.startswith(("postgres://", "postgresql://")):
    sys.exit(0)
import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

parts = urlsplit(url)
name = parts.path.lstrip("/")
admin = urlunsplit(parts._replace(path="/postgres"))
with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f">> created database {name}")
