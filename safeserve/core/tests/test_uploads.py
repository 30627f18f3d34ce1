"""core/uploads.py on its own: what is accepted and how it is re-encoded; the list of upload doors."""

import hashlib
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from PIL import Image

from safeserve.core import uploads
from safeserve_dev.testfiles import SCRIPT, hostile_photos, image_bytes, upload, xlsx_bytes

SOURCE = Path(settings.BASE_DIR) / "safeserve"


@pytest.fixture(autouse=True)
def _chinese():
    """Messages are asserted in Chinese whatever language an earlier test left active."""
    with translation.override("zh-hans"):
        yield


@pytest.mark.parametrize(
    ("mode", "fmt", "extra"),
    [
        ("CMYK", "JPEG", {}),
        ("L", "JPEG", {}),
        ("P", "PNG", {"transparency": 0}),
        ("LA", "PNG", {}),
        ("I;16", "PNG", {}),
        ("RGBA", "WEBP", {}),
    ],
)
def test_modes_are_normalised_and_the_format_kept(mode, fmt, extra):
    img = Image.new(mode, (20, 10))
    buf = io.BytesIO()
    img.save(buf, format=fmt, **extra)
    out = uploads.verify_image(upload(f"x.{fmt.lower()}", buf.getvalue()))
    assert out.format == fmt and (out.width, out.height) == (20, 10)
    again = Image.open(io.BytesIO(out.content))
    assert again.format == fmt and again.mode in ("L", "RGB", "RGBA")


def test_an_animation_keeps_its_first_frame():
    frames = [Image.new("RGB", (16, 16), c) for c in ((255, 0, 0), (0, 255, 0))]
    buf = io.BytesIO()
    frames[0].save(buf, format="WEBP", save_all=True, append_images=frames[1:])
    out = uploads.verify_image(upload("a.webp", buf.getvalue()))
    assert getattr(Image.open(io.BytesIO(out.content)), "n_frames", 1) == 1


def test_limits_are_settings(settings):
    settings.SAFESERVE = {**settings.SAFESERVE, "UPLOAD_IMAGE_MAX_BYTES": 1000, "UPLOAD_IMAGE_MAX_PIXELS": 50}
    with pytest.raises(ValidationError, match="照片上限为 0 MB"):
        uploads.verify_image(upload("big.jpg", image_bytes("JPEG", size=(64, 64), noise=True)))
    with pytest.raises(ValidationError, match=r"像素过多（8×8）"):
        uploads.verify_image(upload("p.png", image_bytes("PNG", size=(8, 8))))


def test_truncated_images_are_refused_even_after_weasyprint_relaxed_pillow():
    import weasyprint.images  # noqa: F401 - sets ImageFile.LOAD_TRUNCATED_IMAGES = True process-wide
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
    name, content, _fmt, reason = hostile_photos()["truncated_jpeg"]
    with pytest.raises(ValidationError, match=reason):
        uploads.verify_image(upload(name, content))
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # left as WeasyPrint wants it


def test_a_refusal_is_one_sentence_naming_the_file():
    with pytest.raises(ValidationError) as info:
        uploads.verify_images([upload(n, b) for n, b, fmt, _r in hostile_photos().values() if fmt is None][:3])
    assert len(info.value.messages) == 3
    assert all(m.startswith("「") for m in info.value.messages)


def test_a_verified_image_passes_through_unchanged():
    first = uploads.verify_image(upload("a.png", image_bytes("PNG")))
    assert uploads.verify_image(first) is first
    assert uploads.verify_images([first]) == [first]
    with pytest.raises(TypeError):
        uploads.save_image(None, upload("a.png", image_bytes("PNG")))  # raw uploads are never stored


def test_storage_names_only_use_verified_extensions():
    assert uploads.storage_name("visits", "ab" * 32, "x.jpg").endswith(".jpg")
    assert uploads.storage_name("visits", "ab" * 32, "x.html").endswith(".bin")
    assert uploads.storage_name("visits", "ab" * 32, "x.svg").startswith("visits/ab/")


def test_check_xlsx_accepts_a_real_workbook(tmp_path):
    path = tmp_path / "a.xlsx"
    path.write_bytes(xlsx_bytes())
    uploads.check_xlsx(path)
    path.write_bytes(b"PK\x03\x04" + SCRIPT)
    with pytest.raises(ValidationError, match="文件已损坏"):
        uploads.check_xlsx(path)


# Every place a file can come in. A new one must go through core/uploads.py and be added here
# (and to the hostile-upload suite in hazards/tests/test_upload_doors.py).
DOORS = {
    "forms.FileField": {
        "core/forms.py",
        "assessment/forms.py",  # objection files (verify_scan on each in assessment.actions)
        "credit/forms.py",  # ScanField (verify_scan): accident attachments, listing repair proofs; penalty .xlsx
        "inspections/forms.py",  # an inspection's support PDF (verify_pdf in inspections.actions)
        "insurance/forms.py",  # the policy .xlsx (core.xlsx_import.read_rows: check_xlsx)
        "market/forms.py",  # a case story's picture (verify_image)
        "tipoffs/forms.py",  # a report's attachments (tipoffs.actions.verify_attachments)
        "training/forms.py",  # the attendance .xlsx (check_xlsx in training.actions)
        "subsidies/forms.py",  # a subsidy application's invoice (InvoiceField: verify_scan)
    },
    "forms.ImageField": set(),
    "serializers.FileField": {"core/api.py"},
    "serializers.ImageField": set(),
    # Stored files, each written by core.uploads.save_document/save_image (or a PDF we rendered).
    "models.FileField": {
        "services/models.py",  # visit photos, contract scans
        "hazards/models.py",  # hazard photos, pending photos
        "assessment/models.py",  # objection files
        "associations/models.py",  # inspection campaign photos
        "insurance/models.py",  # an expert's prevention visit photos (insurance.actions: verify_images, save_image)
        "credit/models.py",  # accident attachments, repair proofs; the decision PDF (rendered)
        "experts/models.py",  # the expert's opinion PDF (rendered by WeasyPrint, never uploaded)
        "inspections/models.py",  # support PDFs
        "market/models.py",  # case story pictures
        "supervision/models.py",  # re-check photos
        "tipoffs/models.py",  # report attachments
        "subsidies/models.py",  # invoices (save_document after verify_scan)
    },
    "models.ImageField": set(),
    "request.FILES": {
        "services/views.py",
        "hazards/views.py",
        "registry/roster_views.py",
        "core/views.py",
        "accounts/views.py",  # the account list (.xlsx): check_xlsx, hostile files in accounts/tests
        "assessment/views.py",  # objection files
        "associations/views.py",  # inspection photos
        "credit/views.py",  # the accident attachment (its own route), repair proofs, the penalty .xlsx
        "experts/views.py",  # the pool .xlsx (check_xlsx); finding photos go to hazards.actions
        "inspections/views.py",  # support PDFs
        "insurance/views.py",  # the policy .xlsx (core.xlsx_import.read_rows: check_xlsx)
        "market/views.py",  # a case story's picture (its own route, verify_image)
        "supervision/views.py",  # re-check photos
        "tipoffs/views.py",  # report and supplement attachments
        "training/views.py",  # the attendance .xlsx
        "subsidies/views.py",  # the invoice of a subsidy application (subsidies/tests/test_subsidies.py)
    },
    "FileUploadParser": set(),
}


def test_every_upload_door_is_known():
    found = {pattern: set() for pattern in DOORS}
    for path in SOURCE.rglob("*.py"):
        rel = path.relative_to(SOURCE).as_posix()
        if "/tests/" in rel or "/migrations/" in rel:
            continue
        text = path.read_text()
        for pattern in DOORS:
            if re.search(re.escape(pattern) + r"\b", text):
                found[pattern].add(rel)
    assert found == DOORS


def _configs(patterns):
    for p in patterns:
        if hasattr(p, "url_patterns"):
            yield from _configs(p.url_patterns)
        else:
            config = getattr(p.callback, "view_initkwargs", {}).get("config")
            if config is not None:
                yield config


def test_no_generic_form_takes_a_file():
    """core/views.py hands request.FILES to the generic object forms: none of them has a file field."""
    from django import forms
    from django.urls import get_resolver

    configs = list(_configs(get_resolver().url_patterns))
    assert configs
    for config in configs:
        fields = config.form.base_fields.values() if config.form is not None else ()
        assert not [f for f in fields if isinstance(f, forms.FileField)], config.model


# ---------------------------------------------------------------- PDF (signed contract scans)


def _pdf(build=None) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if build:
        build(writer)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _with_javascript(writer):
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    action = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('x');")}
    )
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)


def _upload(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_a_plain_pdf_is_kept_byte_for_byte():
    data = _pdf()
    doc = uploads.verify_pdf(_upload("合同.pdf", data))
    assert (doc.content, doc.pages, doc.name) == (data, 1, "合同.pdf")
    assert doc.sha256 == hashlib.sha256(data).hexdigest()
    assert isinstance(uploads.verify_scan(_upload("合同.pdf", data)), uploads.VerifiedDocument)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (
            b"<html><script>alert(1)</script></html>",
            "「合同.pdf」是网页或文本文件，不是 PDF；请上传扫描件的 PDF 或照片",
        ),
        (b"MZ\x90\x00 not a pdf", "「合同.pdf」不是 PDF 文件（文件开头没有 PDF 标志）；请上传扫描件的 PDF 或照片"),
        (
            _pdf(_with_javascript),
            "「合同.pdf」含有脚本、附件或自动执行的动作（JavaScript），不能作为合同扫描件上传；"
            "请用扫描仪或“打印为 PDF”重新生成",
        ),
        (_pdf(lambda w: w.add_attachment("a.exe", b"MZ")), "EmbeddedFiles"),
        (_pdf(lambda w: w.encrypt("secret")), "「合同.pdf」已加密（设有密码），请上传未加密的 PDF"),
        (b"%PDF-1.7\n garbage", "「合同.pdf」不是有效的 PDF，或文件已损坏、不完整；请重新扫描或导出"),
    ],
    ids=["html", "not-pdf", "javascript", "embedded-file", "encrypted", "broken"],
)
def test_hostile_pdfs_are_refused_with_the_reason(content, reason):
    with pytest.raises(ValidationError) as exc:
        uploads.verify_pdf(_upload("合同.pdf", content))
    assert reason in exc.value.messages[0]


def test_pdf_limits_are_settings(settings):
    settings.SAFESERVE = {**settings.SAFESERVE, "UPLOAD_PDF_MAX_BYTES": 100}
    with pytest.raises(ValidationError, match="PDF 上限为 0 MB"):
        uploads.verify_pdf(_upload("big.pdf", _pdf()))


def test_an_escaped_javascript_name_is_still_found():
    """``/J#61vaScript`` is ``/JavaScript`` to a reader: the check reads parsed names, not raw bytes."""
    data = _pdf(_with_javascript).replace(b"/JavaScript", b"/J#61vaScript")
    assert b"/JavaScript" not in data
    with pytest.raises(ValidationError, match="（JavaScript）"):
        uploads.verify_pdf(_upload("合同.pdf", data))
