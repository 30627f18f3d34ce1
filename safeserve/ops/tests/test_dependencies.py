"""Dependencies are locked: every range in requirements*.in is pinned with hashes in requirements*.txt,
and the commands install with --require-hashes (docs/dependencies.md)."""

import re

from safeserve_dev.mqtt_broker import ROOT


def names(in_file: str) -> set[str]:
    out = set()
    for line in (ROOT / in_file).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            out.add(re.split(r"[<>=!~\[; ]", line, maxsplit=1)[0].lower().replace("_", "-"))
    return out


def pins(txt_file: str) -> dict[str, bool]:
    text = (ROOT / txt_file).read_text()
    found = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        m = re.match(r"([A-Za-z0-9_.\-]+)==\S+", block)
        if m:
            found[m.group(1).lower().replace("_", "-")] = "--hash=sha256:" in block
    return found


def test_every_range_is_pinned_with_hashes():
    for in_file, txt_file, extra in (
        ("requirements.in", "requirements.txt", set()),
        ("requirements-dev.in", "requirements-dev.txt", names("requirements.in")),
    ):
        locked = pins(txt_file)
        missing = (names(in_file) | extra) - set(locked)
        assert not missing, f"{txt_file} lacks pins for {sorted(missing)}: run `make lock`"
        assert all(locked.values()), f"{txt_file}: pins without hashes"


def test_runtime_pins_agree_between_the_two_lock_files():
    text = {f: (ROOT / f).read_text() for f in ("requirements.txt", "requirements-dev.txt")}
    runtime = dict(re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", text["requirements.txt"], re.M))
    dev = dict(re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", text["requirements-dev.txt"], re.M))
    assert {k: v for k, v in runtime.items() if dev.get(k) != v} == {}


def test_setup_installs_with_require_hashes():
    assert "--require-hashes -r requirements-dev.txt" in (ROOT / "Makefile").read_text()
