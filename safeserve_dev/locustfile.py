"""The load mix for `python -m safeserve_dev.loadtest` (issue 16 §4; docs/deployment.md).

Four kinds of user with think times, weighted roughly as a county's day looks: many enterprise users
and town officers, fewer agency staff recording visits on phones, a few county officers running
lists and statistics. Each logs in once through the login form (sessions, CSRF) and then works.
Request names are page types, so the report groups e.g. every hazard detail page together.
The accounts and the records they reach come from the JSON file LOAD_USERS (written by the driver).
"""

import json
import os
import random
from datetime import UTC, datetime, timedelta

from locust import HttpUser, between, task

PASSWORD = os.environ.get("LOAD_PASSWORD", "")
# Sessions opened before the run (the driver's --form-logins < 1): username -> cookies. A user resumes
# one unless it is among the share who log in through the form.
SESSIONS = json.loads(open(os.environ.get("LOAD_SESSIONS", "/dev/null")).read() or "{}")
FORM_LOGIN_SHARE = float(os.environ.get("LOAD_FORM_LOGIN_SHARE", "1"))
USERS = json.loads(open(os.environ.get("LOAD_USERS", "/dev/null")).read() or "{}")
PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131 Mobile Safari/537.36"
)


class Base(HttpUser):
    abstract = True
    kind = ""
    wait_time = between(3, 8)

    def on_start(self):
        self.me = random.choice(USERS[self.kind])
        cookies = SESSIONS.get(self.me["username"])
        if cookies and random.random() >= FORM_LOGIN_SHARE:
            for key, value in cookies.items():
                self.client.cookies.set(key, value)
            self.csrf = cookies.get("csrftoken", "")
            return
        self.client.get("/accounts/login/", name="login form")
        token = self.client.cookies.get("csrftoken", "")
        self.client.post(
            "/accounts/login/",
            data={"username": self.me["username"], "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": self.host + "/accounts/login/"},
            name="login",
        )
        self.csrf = self.client.cookies.get("csrftoken", "")

    def page(self, url, name):
        with self.client.get(url, name=name, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}")
            elif "/accounts/login/" in r.url:
                r.failure("sent to the login page: the session is not valid")

    def some(self, key):
        return random.choice(self.me[key]) if self.me.get(key) else None


class CountyOfficer(Base):
    kind, weight = "county", 1

    @task(3)
    def home(self):
        self.page("/", "home")

    @task(3)
    def hazards(self):
        params = random.choice(["", "?status=overdue", "?level=major", f"?page={random.randint(2, 20)}"])
        self.page(f"/hazards/{params}", "hazard list")

    @task(2)
    def enterprises(self):
        self.page(
            f"/registry/enterprises/?q={random.choice(['机械', '木业', '五金', '纺织', '电子'])}", "enterprise list"
        )

    @task(1)
    def statistics(self):
        self.page("/hazards/statistics/", "statistics")

    @task(1)
    def alarms(self):
        self.page("/iot/alarms/", "alarm list")

    @task(2)
    def enterprise(self):
        if (e := self.some("enterprises")) is not None:
            self.page(f"/registry/enterprises/{e}/", "enterprise 360")


class TownOfficer(CountyOfficer):
    kind, weight = "town", 3

    @task(2)
    def hazard(self):
        if (h := self.some("hazards")) is not None:
            self.page(f"/hazards/{h}/", "hazard detail")

    @task(1)
    def due(self):
        self.page("/services/visits/due/", "visits due")


class EnterpriseUser(Base):
    kind, weight = "enterprise", 4

    @task(4)
    def home(self):
        self.page("/", "home")

    @task(3)
    def hazards(self):
        self.page("/hazards/", "hazard list")

    @task(2)
    def hazard(self):
        if (h := self.some("hazards")) is not None:
            self.page(f"/hazards/{h}/", "hazard detail")

    @task(1)
    def report(self):
        with self.client.post(
            "/api/v1/hazards/hazards/",
            json={"location": "车间", "description": "负载测试：灭火器压力不足", "responsible_person": "张三"},
            headers={"X-CSRFToken": self.csrf},
            name="API report hazard",
            catch_response=True,
        ) as r:
            if r.status_code != 201:
                r.failure(f"{r.status_code} {r.text[:200]}")


class AgencyStaffOnPhone(Base):
    kind, weight = "agency", 2

    def on_start(self):
        self.client.headers["User-Agent"] = PHONE
        super().on_start()

    @task(3)
    def visits(self):
        self.page("/services/visits/", "visit list")

    @task(2)
    def form(self):
        self.page("/services/visits/new/", "visit form")

    @task(2)
    def record(self):
        job = self.some("jobs")
        if job is None:
            return
        visited = datetime.now(UTC) - timedelta(minutes=random.randint(5, 600))
        with self.client.post(
            "/api/v1/services/visits/",
            json={
                "contract": job["contract"],
                "enterprise": job["enterprise"],
                "visited_at": visited.isoformat(),
                "staff": [job["staff"]],
                "findings": "负载测试：现场检查未见异常。",
                "signed_by": "李四",
            },
            headers={"X-CSRFToken": self.csrf},
            name="API record visit",
            catch_response=True,
        ) as r:
            if r.status_code != 201:
                r.failure(f"{r.status_code} {r.text[:200]}")
