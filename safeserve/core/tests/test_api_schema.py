import yaml
from django.core.management import call_command


def test_openapi_schema_is_valid_and_documents_errors(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    op = schema["paths"]["/api/v1/registry/enterprises/{id}/"]["get"]
    assert {"200", "401", "403", "404"} <= set(op["responses"])
    create = schema["paths"]["/api/v1/registry/enterprises/"]["post"]
    assert "400" in create["responses"]


def test_api_docs_page_uses_local_assets(client_for, world):
    page = client_for("county").get("/api/docs/").content.decode()
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()


def test_schema_and_docs_need_login_when_debug_is_off(client_for, world, settings):
    settings.DEBUG = False
    for url in ("/api/schema/", "/api/schema/?format=json", "/api/docs/"):
        resp = client_for("anon").get(url)
        assert resp.status_code in (401, 403), url
        assert b"/api/v1/registry/enterprises/" not in resp.content
        resp = client_for("ent_a").get(url)
        assert resp.status_code == 200, url
    schema = client_for("ent_a").get("/api/schema/?format=json").json()
    assert "/api/v1/registry/enterprises/" in schema["paths"]


def test_schema_is_open_in_debug(client_for, settings):
    settings.DEBUG = True
    assert client_for("anon").get("/api/schema/?format=json").status_code == 200


def test_expert_prevention_visits_are_documented_with_their_own_components(tmp_path):
    """The experts' 安责险 prevention visits: read and record, under component names of their own."""
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    create = schema["paths"]["/api/v1/insurance/expert-visits/"]["post"]
    assert {"201", "400", "403"} <= set(create["responses"])
    names = set(schema["components"]["schemas"])
    assert {
        "InsurancePreventionVisit",
        "InsurancePreventionVisitRecordRequest",
        "InsurancePreventionVisitResultRequest",
    } <= names
