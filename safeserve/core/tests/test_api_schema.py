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
