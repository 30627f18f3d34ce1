"""`manage.py import_enterprises FILE.xlsx [--dry-run] [--user USERNAME]`: see registry/importing.py."""

from safeserve.registry.importing import ImportCommand


class Command(ImportCommand):
    help = (
        "Import enterprises from an .xlsx roster; if any row is bad, nothing is imported and each problem is printed."
    )
    kind = "enterprise"
