"""``manage.py verify_assessment ID``: recompute an assessment from its frozen inputs and compare."""

from django.core.management.base import BaseCommand, CommandError

from safeserve.assessment.actions import verify_assessment
from safeserve.assessment.models import Assessment


class Command(BaseCommand):
    help = "Recompute an assessment's result from its frozen inputs and say whether it matches the stored one."

    def add_arguments(self, parser):
        parser.add_argument("assessment_id", type=int)

    def handle(self, *args, assessment_id, **options):
        try:
            assessment = Assessment.objects.get(pk=assessment_id)
        except Assessment.DoesNotExist:
            raise CommandError(f"考核 {assessment_id} 不存在") from None
        problems = verify_assessment(assessment)
        if problems:
            for p in problems:
                self.stderr.write(p)
            raise CommandError(f"考核 {assessment_id}（{assessment}）：重算结果与存储结果不符")
        self.stdout.write(
            f"考核 {assessment_id}（{assessment}）：按冻结数据重算，结果一致。冻结数据 SHA-256 {assessment.inputs_hash}"
        )
