"""Anonymous readers of the public portal (`python -m safeserve_dev.portal_bench`): a newspaper link
sends people to the home page, most look at the directory, some at an agency or a case story.
Each simulated reader asks for one page a second (constant throughput), so N readers offer N req/s.
FastHttpUser (geventhttpclient), not HttpUser (python-requests): the generator shares the machine with
the server it measures, and costs several times less CPU a request this way."""

import json
import os
import random

from locust import FastHttpUser, constant_throughput, task

TARGETS = json.loads(os.environ.get("PORTAL_TARGETS", '{"agencies": [], "cases": []}'))


class Reader(FastHttpUser):
    wait_time = constant_throughput(float(os.environ.get("PORTAL_READER_RATE", "1")))

    def get(self, url, name):
        with self.client.get(url, name=name, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(str(r.status_code))

    @task(8)
    def home(self):
        self.get("/portal/", "portal home")

    @task(6)
    def directory(self):
        self.get(
            random.choice(
                ["/portal/agencies/", "/portal/agencies/?sort=served", "/portal/agencies/?service_type=consulting"]
            ),
            "directory",
        )

    @task(3)
    def agency(self):
        if TARGETS["agencies"]:
            self.get(f"/portal/agencies/{random.choice(TARGETS['agencies'])}/", "agency page")

    @task(2)
    def case(self):
        if TARGETS["cases"]:
            self.get(f"/portal/cases/{random.choice(TARGETS['cases'])}/", "case story")

    @task(1)
    def compare(self):
        if len(TARGETS["agencies"]) >= 2:
            ids = random.sample(TARGETS["agencies"], min(3, len(TARGETS["agencies"])))
            self.get("/portal/compare/?" + "&".join(f"id={i}" for i in ids), "compare")
