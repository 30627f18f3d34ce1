"""The public verification page of a random draw (一公开): anyone may recompute any draw.

It shows what the check needs and nothing personal: the purpose, the hash, the value and its
source, the algorithm, the candidate ids (with names only where the owner published them, e.g.
enterprises in a 双随机 draw), the exclusions' count, and the result; then whether it matches.
"""

from django.http import Http404
from django.shortcuts import render
from django.views import View

from . import draws
from .models import Draw
from .validation import MAX_ID


class DrawVerifyView(View):
    def get(self, request, number: str):
        if len(number) > 20:
            raise Http404
        draw = Draw.objects.filter(number=number).select_related("supersedes").first()
        if draw is None:
            raise Http404
        check = draws.verify(draw)
        order = {cid: i + 1 for i, cid in enumerate(draw.result)}
        labels = {c["id"]: c["label"] for c in draw.candidates}
        rows = [
            {
                "id": c["id"],
                "label": c["label"] if draw.publish_labels else "",
                "weight": c.get("weight", 1),
                "rank": order.get(c["id"]),
            }
            for c in draw.candidates
        ]
        rows.sort(key=lambda r: (r["rank"] or MAX_ID, r["id"]))
        chosen = [
            {"id": cid, "label": labels.get(cid, "") if draw.publish_labels else ""} for cid in draws.chosen(draw)
        ]
        return render(
            request,
            "core/draw_verify.html",
            {
                "draw": draw,
                "check": check,
                "rows": rows,
                "chosen": chosen,
                "reserve_ids": draws.reserves(draw),
                "rule": draws.ticket_probability_note(),
                "redraws": list(draw.redraws.values_list("number", flat=True)),
            },
        )
