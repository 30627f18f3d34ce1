"""Upload files for tests, real ones made with Pillow and openpyxl: valid photos and hostile payloads.

Test tooling (imported by tests only). Each hostile payload is (file name, bytes, what must happen):
``None`` for "refused", or the format a clean re-encoded copy must have.
"""

import functools
import io
import random
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

SCRIPT = b"<script>alert(document.cookie)</script>"
MB = 1024 * 1024


def image_bytes(fmt="JPEG", size=(64, 48), colour=(200, 30, 30), *, noise=False, **save) -> bytes:
    from PIL import Image

    img = Image.new("RGB", size, colour)
    if noise:  # photo-like content, so a truncated file really misses image data
        rnd = random.Random(1)
        img.putdata([(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)) for _ in range(size[0] * size[1])])
    buf = io.BytesIO()
    img.save(buf, format=fmt, **save)
    return buf.getvalue()


def jpeg_with_exif(*, taken="2026:03:04 05:37:12", offset="+08:00", lat=(30.0, 50.0, 12.5), lon=(120.0, 55.0, 1.25)):
    """A phone-like JPEG: shooting time, GPS, a camera make, an orientation, a comment and a description."""
    from PIL import ExifTags, Image

    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Orientation] = 6  # rotated: stored upright after re-encoding
    exif[ExifTags.Base.ImageDescription] = SCRIPT.decode()
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub[ExifTags.Base.DateTimeOriginal] = taken
    if offset:
        sub[ExifTags.Base.OffsetTimeOriginal] = offset
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[1], gps[2], gps[3], gps[4] = "N", lat, "E", lon
    return image_bytes("JPEG", size=(80, 60), exif=exif.tobytes(), comment=b"<html>" + SCRIPT + b"</html>")


def png_with_text_and_profile() -> bytes:
    """A PNG carrying HTML in a text chunk and in a (broken) colour profile."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", (b"<html>" + SCRIPT + b"</html>").decode())
    return image_bytes("PNG", size=(40, 30), pnginfo=info, icc_profile=b"<html>" + SCRIPT + b"</html>")


def upload(name: str, content: bytes, content_type="image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@functools.cache
def hostile_photos() -> dict[str, tuple[str, bytes, str | None, str]]:
    """key -> (client file name, bytes, expected stored format or None if refused, reason in the error)."""
    jpeg = image_bytes("JPEG", size=(128, 96), noise=True)
    from PIL import Image

    bomb = io.BytesIO()
    Image.new("1", (20000, 20000)).save(bomb, format="PNG")  # 400 Mpx in ~50 KB
    return {
        "svg_script": (
            "evil.svg",
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">' + SCRIPT + b"</svg>",
            None,
            "SVG",
        ),
        "html": ("evil.html", b"<!doctype html><html><body>" + SCRIPT + b"</body></html>", None, "不是照片"),
        "polyglot_jpeg_html": ("evil.jpg", jpeg + b"<html><body>" + SCRIPT + b"</body></html>", "JPEG", ""),
        "jpeg_metadata_html": ("meta.jpg", jpeg_with_exif(), "JPEG", ""),
        "png_metadata_html": ("meta.png", png_with_text_and_profile(), "PNG", ""),
        "30mb": ("big.jpg", jpeg + b"\0" * (30 * MB), None, "文件过大"),
        "text_named_jpg": ("notes.jpg", "这不是图片，是一段文字。\n".encode() * 20, None, "不是可识别的照片"),
        "png_named_html": ("page.html", image_bytes("PNG"), "PNG", ""),
        "decompression_bomb": ("bomb.png", bomb.getvalue(), None, "像素过多"),
        "truncated_jpeg": ("cut.jpg", jpeg[: len(jpeg) // 2], None, "不完整"),
    }


def xlsx_bytes(rows=(("统一社会信用代码", "单位名称"),)) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    for row in rows:
        wb.active.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def zip_bomb_xlsx(unpacked_mb=210) -> bytes:
    """A real workbook plus one member that unpacks to ``unpacked_mb`` MB of zeros (a few hundred KB packed)."""
    buf = io.BytesIO(xlsx_bytes())
    with (
        zipfile.ZipFile(buf, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf,
        zf.open("xl/media/padding.bin", "w", force_zip64=True) as fh,
    ):
        chunk = b"\0" * MB
        for _ in range(unpacked_mb):
            fh.write(chunk)
    return buf.getvalue()


def plain_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("index.html", b"<html>" + SCRIPT + b"</html>")
    return buf.getvalue()


@functools.cache
def hostile_rosters() -> dict[str, tuple[str, bytes, str]]:
    """key -> (client file name, bytes, reason in the error)."""
    return {
        "svg_named_xlsx": ("evil.xlsx", b'<svg xmlns="http://www.w3.org/2000/svg">' + SCRIPT + b"</svg>", "不是有效的"),
        "html_named_xlsx": ("evil.xlsx", b"<html>" + SCRIPT + b"</html>", "不是有效的"),
        "png_named_xlsx": ("photo.xlsx", image_bytes("PNG"), "不是有效的"),
        "zip_without_workbook": ("site.xlsx", plain_zip(), "不是有效的"),
        "zip_bomb": ("bomb.xlsx", zip_bomb_xlsx(), "解压后过大"),
        "30mb": ("big.xlsx", xlsx_bytes() + b"\0" * (30 * MB), "文件过大"),
        "truncated": ("cut.xlsx", xlsx_bytes()[:300], "文件已损坏"),
    }
