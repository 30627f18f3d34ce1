#!/usr/bin/env bash
# `make serve`: SafeServe in production mode on this machine — PostgreSQL, Redis (jobs and shared
# cache), an MQTT broker — with gunicorn, the job worker and two ingestion workers under honcho.
# Ctrl-C stops them all. Every setting can be overridden from the environment (docs/deployment.md).
set -euo pipefail
cd "$(dirname "$0")/.."

export DJANGO_DEBUG=0
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/safeserve}"
export HUEY_REDIS_URL="${HUEY_REDIS_URL:-redis://127.0.0.1:6379/0}"
export SAFESERVE_CACHE_URL="${SAFESERVE_CACHE_URL:-redis://127.0.0.1:6379/1}"
export MQTT_URL="${MQTT_URL-mqtt://127.0.0.1:1883}"
export HOST="${HOST:-127.0.0.1}" PORT="${PORT:-8000}"
export DJANGO_ALLOWED_HOSTS="${DJANGO_ALLOWED_HOSTS:-127.0.0.1,localhost}"
mkdir -p var
if [ -z "${DJANGO_SECRET_KEY:-}" ]; then
  [ -s var/secret_key ] || .venv/bin/python -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret_key
  DJANGO_SECRET_KEY="$(cat var/secret_key)"; export DJANGO_SECRET_KEY
fi
case "$HOST" in
  127.*|localhost|::1)
    # Plain HTTP on loopback (no TLS terminator in front): no HTTPS redirect, cookies not marked Secure.
    # Behind a TLS proxy leave both on (the defaults with DEBUG off).
    export DJANGO_SECURE_SSL_REDIRECT="${DJANGO_SECURE_SSL_REDIRECT:-0}"
    export DJANGO_SECURE_COOKIES="${DJANGO_SECURE_COOKIES:-0}";;
esac

echo ">> database  ${DATABASE_URL%%\?*}"
echo ">> jobs      $HUEY_REDIS_URL"
echo ">> broker    ${MQTT_URL:-(none: devices use POST /api/v1/telemetry)}"
.venv/bin/python scripts/ensure_database.py
.venv/bin/python manage.py migrate --noinput -v 0
.venv/bin/python manage.py collectstatic --noinput -v 0
.venv/bin/python manage.py check --deploy --fail-level ERROR
echo ">> serving   http://$HOST:$PORT/   (Ctrl-C stops every process)"
if [ -n "$MQTT_URL" ]; then
  exec .venv/bin/honcho start -f Procfile
else
  exec .venv/bin/honcho start -f Procfile web jobs
fi
