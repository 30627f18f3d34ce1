"""`manage.py import_enterprises FILE.xlsx [--dry-run] [--user USERNAME]`: see registry/roster_import.py."""

from safeserve.registry.roster_import import ImportCommand


class Command(ImportCommand):
    help = (
        "Import enterprises from an .xlsx roster; if any row is bad, nothing is imported and each problem is printed."
    )
    kind = "enterprise"
