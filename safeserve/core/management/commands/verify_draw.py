"""``manage.py verify_draw NUMBER``: recompute a draw's list hash and result and say whether they match."""

from django.core.management.base import BaseCommand, CommandError

from safeserve.core import draws
from safeserve.core.models import Draw


class Command(BaseCommand):
    help = "Recompute a random draw (by number, e.g. CQ2026-00001, or id) and report whether it matches."

    def add_arguments(self, parser):
        parser.add_argument("draw", help="draw number or id")

    def handle(self, *args, **options):
        key = options["draw"]
        draw = Draw.objects.filter(number=key).first() or (
            Draw.objects.filter(pk=key).first() if key.isdigit() else None
        )
        if draw is None:
            raise CommandError(f"no draw {key!r}")
        check = draws.verify(draw)
        self.stdout.write(f"draw        {draw.number}  {draw.purpose}  ({draw.algorithm})")
        self.stdout.write(f"candidates  {len(draw.candidates)}  places {draw.places}  reserves {draw.reserves}")
        self.stdout.write(f"list hash   stored {draw.candidates_hash}")
        self.stdout.write(
            f"            recomputed {check.expected_hash}  -> {'MATCH' if check.hash_ok else 'MISMATCH'}"
        )
        if draw.status != "drawn":
            self.stdout.write("value       not entered yet")
        else:
            self.stdout.write(f"value       {draw.random_value}  ({draw.value_source})")
            self.stdout.write(f"result      {'MATCH' if check.result_ok else 'MISMATCH'}  first {draws.chosen(draw)}")
        if not check.ok:
            raise CommandError("verification failed")
        self.stdout.write(self.style.SUCCESS("verified"))
