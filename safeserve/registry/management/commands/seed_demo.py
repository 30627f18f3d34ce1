import time

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db.models import ProtectedError

from safeserve.registry import models as m
from safeserve_dev.registry_seed import Seeder, ensure_demo_accounts, reset_registry


def progress_printer(stdout, label: str):
    """A callback printing progress at every 10%."""
    state = {"next": 10, "t0": time.perf_counter()}

    def report(done, total):
        pct = done * 100 // total if total else 100
        if pct >= state["next"] or done == total:
            elapsed = time.perf_counter() - state["t0"]
            stdout.write(f"  {label} {done:>9,}/{total:,} ({pct:3d}%)  {elapsed:6.1f} s")
            stdout.flush()
            state["next"] = (pct // 10 + 1) * 10

    return report


class Command(BaseCommand):
    help = (
        "Load deterministic demo data: the towns, villages and industries of 嘉善县, enterprises, "
        "service agencies (qualifications, staff), experts, insurers, associations, and one demo "
        "account per role (demo_*, refused when DEBUG is off; use --no-accounts for scale data). "
        "Skips when the database already has enterprises, unless --reset."
    )

    def add_arguments(self, parser):
        parser.add_argument("--enterprises", type=int, default=2000, help="number of enterprises (default 2000)")
        parser.add_argument("--seed", type=int, default=1, help="random seed: the same seed gives the same data")
        parser.add_argument("--agencies", type=int, default=24)
        parser.add_argument("--experts", type=int, default=60)
        parser.add_argument(
            "--reset",
            action="store_true",
            help="first delete towns, villages, enterprises, agencies, experts, insurers, associations and "
            "the demo_/bench_ users (industries are kept)",
        )
        parser.add_argument("--no-accounts", action="store_true", help="do not create the demo accounts")
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument(
            "--services-scale",
            type=float,
            default=None,
            help="contracts/visits/hazards relative to county scale (5,000/60,000/200,000); "
            "default: enterprises / 20,000; 0 for none",
        )

    def handle(self, *args, **opts):
        with_accounts = not opts["no_accounts"]
        if with_accounts:
            try:
                from safeserve.accounts.demo import assert_demo_allowed

                assert_demo_allowed()
            except ImproperlyConfigured as exc:
                raise CommandError(f"{exc} 如只需数据（如基准测试），请加 --no-accounts。") from exc
        if opts["enterprises"] < 0:
            raise CommandError("--enterprises must be >= 0")
        t0 = time.perf_counter()
        if opts["reset"]:
            self.stdout.write("清除已有主体库数据……")
            try:
                from safeserve_dev.associations_seed import reset_associations
                from safeserve_dev.coverage_seed import reset_coverage
                from safeserve_dev.inspections_seed import reset_inspections
                from safeserve_dev.insurance_seed import reset_insurance
                from safeserve_dev.procurement_seed import reset_procurement
                from safeserve_dev.reset import reset_app
                from safeserve_dev.services_seed import reset_services
                from safeserve_dev.subsidies_seed import reset_subsidies
                from safeserve_dev.supervision_seed import reset_supervision
                from safeserve_dev.tipoffs_seed import reset_tipoffs
                from safeserve_dev.training_seed import reset_training

                reset_insurance(self.stdout)
                reset_inspections(self.stdout)
                reset_procurement(self.stdout)
                reset_coverage(self.stdout)
                reset_tipoffs(self.stdout)
                for label in ("experts", "credit", "assessment", "market"):
                    reset_app(label, self.stdout, keep=("specialty", "ruletable", "scheme", "indicator"))
                reset_subsidies(self.stdout)
                reset_supervision(self.stdout)
                reset_associations(self.stdout)
                reset_training(self.stdout)
                reset_services(self.stdout)
                reset_registry(self.stdout)
            except ProtectedError as exc:
                raise CommandError(f"无法清除：仍有其他记录引用主体库数据（{exc.args[0]}）") from exc
        seeder = Seeder(seed=opts["seed"], stdout=self.stdout, batch_size=opts["batch_size"])
        created = seeder.reference()
        self.stdout.write(
            "参考数据：新增镇（街道） {town} 个，村（社区） {village} 个，行业 {industry} 个".format(**created)
        )
        seeded = False
        if m.Enterprise.objects.exists():
            self.stdout.write(
                self.style.WARNING("数据库中已有生产经营单位：跳过演示数据（如需重新生成，请加 --reset）。")
            )
        else:
            seeded = True
            self.stdout.write(f"生成演示数据（种子 {opts['seed']}）：")
            agencies = seeder.agencies(opts["agencies"])
            seeder.insurers()
            seeder.association_rows()
            seeder.enterprises(opts["enterprises"], progress_printer(self.stdout, "生产经营单位"))
            seeder.experts(opts["experts"], agencies)
            scale = opts["services_scale"]
            scale = opts["enterprises"] / 20000 if scale is None else scale
            if scale > 0:
                from safeserve_dev.services_seed import seed_services

                self.stdout.write(f"服务合同、服务记录与隐患（规模 {scale:g}）：")
                counts = seed_services(
                    seeder.rng, m.Enterprise.objects.order_by("pk"), m.Agency.objects.order_by("pk"), scale
                )
                self.stdout.write("  合同 {contracts} 份，服务记录 {visits} 条，隐患 {hazards} 条".format(**counts))
            from safeserve_dev.credit_seed import seed_credit

            self.stdout.write("信用：事故、处罚、承诺、等级与严重失信名单：")
            seed_credit(seeder.rng, self.stdout)
            from safeserve_dev.coverage_seed import seed_coverage

            self.stdout.write("覆盖率目标与月度快照：")
            seed_coverage(seeder.rng, self.stdout)
            from safeserve_dev.assessment_seed import seed_assessment

            self.stdout.write("乡镇考核：上年度已定稿，本年度异议期：")
            seed_assessment(seeder.rng, self.stdout)
            from safeserve_dev.market_seed import seed_market

            self.stdout.write("服务超市：价目、需求、报价与典型做法：")
            seed_market(seeder.rng, self.stdout)
            from safeserve_dev.associations_seed import seed_associations
            from safeserve_dev.training_seed import seed_training

            self.stdout.write("行业协会互查与安全培训：")
            seed_associations(seeder.rng, self.stdout)
            seed_training(seeder.rng, self.stdout)
        if with_accounts:
            users = ensure_demo_accounts()
            if users:
                from safeserve.accounts.demo import DEMO_PASSWORD

                self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
                for u in users:
                    self.stdout.write(f"  {u.username:<18} {u.get_role_display()} · {u.full_name}")
            else:
                self.stdout.write("演示账号已存在。")
        from safeserve_dev.experts_seed import seed_experts

        seed_experts(seeder.rng, self.stdout)
        from safeserve_dev.tipoffs_seed import seed_tipoffs

        seed_tipoffs(seeder.rng, self.stdout)
        if seeded:
            from safeserve_dev.supervision_seed import seed_supervision

            seed_supervision(seeder.rng, self.stdout)
        if seeded:
            from safeserve_dev.inspections_seed import seed_inspections

            self.stdout.write("监督检查计划、双随机抽取与检查记录：")
            seed_inspections(seeder.rng, self.stdout)
            from safeserve_dev.procurement_seed import seed_procurement

            self.stdout.write("政府购买服务：项目、投标、合同、评价与支付：")
            seed_procurement(seeder.rng, self.stdout)
            from safeserve_dev.subsidies_seed import seed_subsidies

            seed_subsidies(seeder.rng, self.stdout)
            from safeserve_dev.insurance_seed import seed_insurance

            seed_insurance(seeder.rng, self.stdout)
        self.stdout.write(self.style.SUCCESS(f"完成，用时 {time.perf_counter() - t0:.1f} s"))
