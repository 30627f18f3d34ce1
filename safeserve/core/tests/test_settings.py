"""Production settings: `manage.py check --deploy` passes with no warnings.

Runs in a subprocess because settings are read once per process from the environment.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

MANAGE = Path(settings.BASE_DIR) / "manage.py"


def _run(args, env_overrides, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update({"SAFESERVE_VAR_DIR": str(tmp_path), **env_overrides})
    return subprocess.run(
        [sys.executable, str(MANAGE), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def production_env():
    return {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "example.gov.cn",
    }


def test_check_deploy_has_no_warnings(tmp_path):
    result = _run(["check", "--deploy", "--fail-level", "WARNING"], production_env(), tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output
    assert "WARNINGS" not in output and "?: (security" not in output, output


def test_check_deploy_flags_the_development_settings(tmp_path):
    """The same check fails on the DEBUG defaults, so the test above can fail."""
    result = _run(["check", "--deploy", "--fail-level", "WARNING"], {}, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "security.W018" in output  # DEBUG is on


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env()
    del env["DJANGO_SECRET_KEY"]
    result = _run(["check"], env, tmp_path)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr
