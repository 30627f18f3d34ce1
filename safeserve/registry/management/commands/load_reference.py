from django.core.management.base import BaseCommand

from safeserve.registry.actions import load_reference


class Command(BaseCommand):
    help = "Load the towns and villages of 嘉善县 and the GB/T 4754-2017 industries (idempotent)."

    def handle(self, *args, **options):
        created = load_reference()
        self.stdout.write(
            "参考数据已就绪：新增镇（街道） {town} 个，村（社区） {village} 个，行业 {industry} 个".format(**created)
        )
