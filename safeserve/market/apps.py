from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketConfig(AppConfig):
    name = "safeserve.market"
    label = "market"
    verbose_name = _("服务超市与公众门户")

    def ready(self):
        from safeserve.core import context_processors

        group = _("社会化服务")
        context_processors.EXTRA_NAV.extend(
            [
                ("market:directory", _("服务机构名录"), None, group),
                ("market:profile_edit", _("本机构公开信息与价目"), "market.add_priceitem", group),
                ("market:need_list", _("服务需求与报价"), "market.view_need", group),
                ("market:stats", _("服务超市统计"), "market.view_casestory", group),
                ("market:bar_list", _("禁止报价"), "market.view_bar", group),
                ("market:casestory_list", _("典型做法"), "market.view_casestory", group),
                ("market:portal", _("公众门户"), None, group),
            ]
        )
