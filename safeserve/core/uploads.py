"""Uploaded files are checked by content, never by name (ADR 0010).

Photos: every door (HTML forms, the API, actions called from code) turns an upload into a
``VerifiedImage`` through ``verify_image``: byte and pixel limits, decoded by Pillow (JPEG, PNG or
WebP only), then re-encoded, so whatever rode along (HTML appended to a JPEG, comments, XMP, ICC
payloads, thumbnails) is gone. The shooting time and GPS position are read from EXIF and written
back as the only EXIF of the new file, so the stored bytes (whose SHA-256 the visit chain covers)
carry them. The stored name comes from the verified format, never from the client.

Serving: ``serve_stored_image`` answers with the content type of the stored file's verified format,
``nosniff``, a sandboxing CSP, and ``inline`` only when the bytes really start as that format.

Documents (signed contract scans): ``verify_pdf`` keeps a PDF's bytes unchanged but only after
pypdf has parsed it: not encrypted, no JavaScript, no embedded files, no launch or submit actions,
within byte and page limits. ``verify_scan`` takes a PDF or a photo. Stored as ``<sha256>.pdf``;
``serve_stored_document`` always answers as an attachment with ``nosniff``.

Rosters: ``check_xlsx`` refuses anything that is not a plausible, bounded .xlsx zip.
"""

import functools
import hashlib
import io
import threading
import warnings
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path, PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.translation import gettext as _

MB = 1024 * 1024
DEFAULTS = {
    "UPLOAD_IMAGE_MAX_BYTES": 15 * MB,
    "UPLOAD_IMAGE_MAX_PIXELS": 40_000_000,
    "UPLOAD_IMAGE_MAX_FILES": 20,
    "IMPORT_MAX_UNCOMPRESSED_BYTES": 200 * MB,
    "IMPORT_MAX_ZIP_ENTRIES": 2000,
    "UPLOAD_PDF_MAX_BYTES": 20 * MB,
    "UPLOAD_PDF_MAX_PAGES": 300,
}

# Pillow format -> (stored extension, content type, leading bytes)
FORMATS = {
    "JPEG": (".jpg", "image/jpeg", (b"\xff\xd8\xff",)),
    "PNG": (".png", "image/png", (b"\x89PNG\r\n\x1a\n",)),
    "WEBP": (".webp", "image/webp", (b"RIFF",)),
}
EXTENSIONS = {ext: (fmt, ctype, magic) for fmt, (ext, ctype, magic) in FORMATS.items()}
ACCEPT = "image/jpeg,image/png,image/webp"
JPEG_QUALITY = 90
WEBP_QUALITY = 90

# What a refused file looked like, for a message the user understands (checked on the first bytes).
_OTHER_FORMATS = [
    (b"GIF8", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"%PDF", "PDF"),
    (b"PK\x03\x04", "ZIP/Office"),
]

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_DATETIME_ORIGINAL = 0x9003
_DATETIME_DIGITIZED = 0x9004
_OFFSET_TIME_ORIGINAL = 0x9011


def limit(name: str) -> int:
    return int(getattr(settings, "SAFESERVE", {}).get(name, DEFAULTS[name]))


@dataclass(frozen=True)
class VerifiedImage:
    """A decoded and re-encoded photo: the bytes to store and the evidence read from its EXIF."""

    content: bytes
    format: str  # a key of FORMATS
    width: int
    height: int
    name: str  # the client's name for display, with the verified extension
    taken_at: datetime | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    sha256: str = field(default="", compare=False)

    def __post_init__(self):
        object.__setattr__(self, "sha256", hashlib.sha256(self.content).hexdigest())

    def evidence(self) -> dict:
        """The fields every stored photo model keeps of it: hash of the stored bytes, name, EXIF time and place."""
        return {
            "sha256": self.sha256,
            "name": self.name[:200],
            "taken_at": self.taken_at,
            "latitude": self.latitude,
            "longitude": self.longitude,
        }

    @property
    def ext(self) -> str:
        return FORMATS[self.format][0]

    @property
    def content_type(self) -> str:
        return FORMATS[self.format][1]

    @property
    def size(self) -> int:
        return len(self.content)


def _label(name: str) -> str:
    name = PurePath(str(name or "")).name or _("未命名文件")
    return name if len(name) <= 60 else name[:57] + "…"


def _refuse(name: str, reason: str, code: str):
    raise ValidationError(_("「%(name)s」%(reason)s") % {"name": _label(name), "reason": reason}, code=code)


def _looks_like_markup(head: bytes) -> str | None:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<svg" in head.lower() or (text.startswith(b"<?xml") and b"svg" in head.lower()):
        return "svg"
    if text.startswith(b"<"):
        return "html"
    return None


def _read(upload, max_bytes: int) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise OverflowError(size)
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(max_bytes + 1)
    if hasattr(upload, "seek"):
        upload.seek(0)
    if len(data) > max_bytes:
        raise OverflowError(size or len(data))
    return data


def verify_image(upload, *, name: str | None = None) -> VerifiedImage:
    """Check one uploaded photo by its content and re-encode it; ValidationError names the file and why."""
    if isinstance(upload, VerifiedImage):
        return upload
    from PIL import Image, UnidentifiedImageError

    name = name if name is not None else getattr(upload, "name", "") or ""
    max_bytes = limit("UPLOAD_IMAGE_MAX_BYTES")
    try:
        data = _read(upload, max_bytes)
    except OverflowError as exc:
        _refuse(
            name,
            _("文件过大（%(size).1f MB），照片上限为 %(limit)d MB")
            % {"size": exc.args[0] / MB, "limit": max_bytes // MB},
            "too_large",
        )
    if not data:
        _refuse(name, _("是空文件"), "empty")
    head = data[:1024]
    markup = _looks_like_markup(head)
    if markup == "svg":
        _refuse(name, _("是 SVG 矢量图，不能作为照片上传；请上传 JPEG、PNG 或 WebP 格式的照片"), "svg")
    if markup == "html":
        _refuse(name, _("是网页或文本文件，不是照片；请上传 JPEG、PNG 或 WebP 格式的照片"), "not_image")
    for magic, label in _OTHER_FORMATS:
        if data.startswith(magic):
            _refuse(name, _("是 %(fmt)s 文件，只能上传 JPEG、PNG 或 WebP 格式的照片") % {"fmt": label}, "format")
    if data[4:8] == b"ftyp":
        _refuse(name, _("是 HEIC 或视频文件，请在手机设置中改为“兼容性最佳”（JPEG）后重新拍摄或选择"), "format")

    max_pixels = limit("UPLOAD_IMAGE_MAX_PIXELS")
    too_big = _("像素过多（%(w)d×%(h)d），上限为 %(limit)d 百万像素")
    broken = _("不是有效的照片，或文件已损坏、不完整（可能上传中断）；请重新拍摄或选择")
    try:
        with _strict_decoding(), warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as probe:
                fmt = probe.format
                width, height = probe.size
                if width * height > max_pixels:
                    _refuse(name, too_big % {"w": width, "h": height, "limit": max_pixels // 1_000_000}, "pixels")
                probe.verify()
            with Image.open(io.BytesIO(data), formats=[fmt]) as img:
                img.seek(0)  # an animation keeps its first frame
                img.load()
                exif = img.getexif()
                taken_at, lat, lon = _evidence(exif)
                content, (width, height) = _encode(img, fmt, taken_at, exif)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        _refuse(name, _("像素过多，上限为 %(limit)d 百万像素") % {"limit": max_pixels // 1_000_000}, "pixels")
    except UnidentifiedImageError:
        _refuse(name, _("不是可识别的照片，只能上传 JPEG、PNG 或 WebP 格式"), "not_image")
    except (OSError, SyntaxError, ValueError, TypeError, IndexError, KeyError, EOFError, MemoryError):
        _refuse(name, broken, "broken")
    stem = PurePath(str(name)).stem[:150] or "photo"
    return VerifiedImage(
        content=content,
        format=fmt,
        width=width,
        height=height,
        name=stem + FORMATS[fmt][0],
        taken_at=taken_at,
        latitude=lat,
        longitude=lon,
    )


_decoding = threading.Lock()


@contextmanager
def _strict_decoding():
    """Truncated data is an error while we decode, whatever the process-wide Pillow setting says.

    WeasyPrint (our PDF renderer) sets ``ImageFile.LOAD_TRUNCATED_IMAGES = True`` for the whole
    process when it is imported; with it, a half-uploaded JPEG would decode "fine" (grey bottom half).
    """
    from PIL import ImageFile

    with _decoding:
        before = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = before


def verify_images(uploads, *, field: str | None = None) -> list[VerifiedImage]:
    """Verify every photo of one submission; all problems at once, naming each file."""
    uploads = [u for u in (uploads or ()) if u]
    errors = []
    most = limit("UPLOAD_IMAGE_MAX_FILES")
    if len(uploads) > most:
        errors.append(_("一次最多上传 %(n)d 张照片，本次选择了 %(m)d 张") % {"n": most, "m": len(uploads)})
        uploads = []
    images = []
    for upload in uploads:
        try:
            images.append(verify_image(upload))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError({field: errors} if field else errors)
    return images


# ----------------------------------------------------------------------------- re-encoding


def _encode(img, fmt: str, taken_at, exif) -> tuple[bytes, tuple[int, int]]:
    from PIL import ImageOps

    original = img
    img = ImageOps.exif_transpose(img)  # the orientation tag is dropped below, so apply it now
    img = _to_srgb(img)
    has_alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
    if fmt == "JPEG":
        img = img.convert("L" if img.mode == "L" else "RGB")
    elif img.mode not in ("L", "RGB", "RGBA"):
        img = img.convert("RGBA" if has_alpha else "RGB")
    if img is original:
        img = img.copy()
    # Nothing of the upload's metadata rides along: encoders read comments, profiles, XMP and
    # text chunks from ``info`` when the save call does not name them.
    img.info.clear()
    out = io.BytesIO()
    evidence = _minimal_exif(exif, taken_at)
    options = {"exif": evidence} if evidence else {}
    if fmt == "JPEG":
        options.update(quality=JPEG_QUALITY, optimize=False)
    elif fmt == "WEBP":
        options.update(quality=WEBP_QUALITY)
    img.save(out, format=fmt, **options)
    return out.getvalue(), img.size


def _to_srgb(img):
    """Colour profiles are not carried over (they are arbitrary bytes); convert to sRGB instead."""
    icc = img.info.get("icc_profile")
    if not icc:
        return img
    try:
        from PIL import ImageCms

        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        target = ImageCms.createProfile("sRGB")
        mode = "RGBA" if "A" in img.mode else "RGB"
        if img.mode not in ("RGB", "RGBA", "CMYK", "L"):
            img = img.convert(mode)
        return ImageCms.profileToProfile(img, source, target, outputMode=mode)
    except Exception:
        img = img.copy()
        img.info.pop("icc_profile", None)
        return img


def _minimal_exif(exif, taken_at) -> bytes:
    """Only the evidence: shooting time (with its offset) and the GPS position, rebuilt from parsed values."""
    from PIL import Image

    out = Image.Exif()
    position = _position(_gps_ifd(exif))
    if taken_at is None and position is None:
        return b""
    if taken_at is not None:
        ifd = out.get_ifd(_EXIF_IFD)
        local = timezone.localtime(taken_at)
        ifd[_DATETIME_ORIGINAL] = local.strftime("%Y:%m:%d %H:%M:%S")
        ifd[_OFFSET_TIME_ORIGINAL] = local.strftime("%z")[:3] + ":" + local.strftime("%z")[3:]
    if position is not None:
        gps = out.get_ifd(_GPS_IFD)
        (lat, lon) = position
        gps[1] = "N" if lat >= 0 else "S"
        gps[2] = _dms(abs(lat))
        gps[3] = "E" if lon >= 0 else "W"
        gps[4] = _dms(abs(lon))
    return out.tobytes()


def _dms(value: Decimal) -> tuple[float, float, float]:
    degrees = int(value)
    minutes_full = (value - degrees) * 60
    minutes = int(minutes_full)
    seconds = float(((minutes_full - minutes) * 60).quantize(Decimal("0.0001")))
    return (float(degrees), float(minutes), seconds)


# ----------------------------------------------------------------------------- EXIF evidence


def _gps_ifd(exif) -> dict:
    try:
        return dict(exif.get_ifd(_GPS_IFD))
    except Exception:
        return {}


def _evidence(exif) -> tuple[datetime | None, Decimal | None, Decimal | None]:
    position = _position(_gps_ifd(exif))
    lat, lon = position if position else (None, None)
    return _taken_at(exif), lat, lon


def _taken_at(exif) -> datetime | None:
    try:
        ifd = exif.get_ifd(_EXIF_IFD)
    except Exception:
        return None
    raw = ifd.get(_DATETIME_ORIGINAL) or ifd.get(_DATETIME_DIGITIZED)
    if not isinstance(raw, str):
        return None
    try:
        naive = datetime.strptime(raw.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = ifd.get(_OFFSET_TIME_ORIGINAL)
    if isinstance(offset, str):
        try:
            return datetime.strptime(f"{naive:%Y-%m-%d %H:%M:%S} {offset.strip()}", "%Y-%m-%d %H:%M:%S %z")
        except ValueError:
            pass
    # Cameras without an offset record local time: the county's time zone.
    return timezone.make_aware(naive, timezone.get_default_timezone())


def _position(gps: dict) -> tuple[Decimal, Decimal] | None:
    try:
        lat = _degrees(gps.get(2), gps.get(1), "NS", 90)
        lon = _degrees(gps.get(4), gps.get(3), "EW", 180)
    except (TypeError, ValueError, ZeroDivisionError, ArithmeticError):
        return None
    if lat is None or lon is None:
        return None
    return lat, lon


def _degrees(value, ref, refs: str, bound: int) -> Decimal | None:
    if not value or not isinstance(ref, str) or ref.strip("\x00 ").upper() not in refs:
        return None
    d, m, s = (Decimal(str(float(part))) for part in value)
    result = d + m / 60 + s / 3600
    if ref.strip("\x00 ").upper() == refs[1]:
        result = -result
    if not (-bound <= result <= bound):
        return None
    return result.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


# ----------------------------------------------------------------------------- storing


def storage_name(prefix: str, digest: str, filename: str) -> str:
    """``upload_to`` for photos: content-addressed, with the extension of the verified format only."""
    ext = PurePath(filename or "").suffix.lower()
    return f"{prefix}/{digest[:2]}/{digest}{ext if ext in EXTENSIONS else '.bin'}"


_pending = threading.local()


def save_image(fieldfile, image: VerifiedImage) -> None:
    """Write the re-encoded bytes (never the upload) to a FileField, named by its hash and verified format."""
    if not isinstance(image, VerifiedImage):
        raise TypeError("save_image takes a VerifiedImage; call verify_image first")
    fieldfile.save(f"{image.sha256}{image.ext}", ContentFile(image.content), save=False)
    frames = getattr(_pending, "frames", None)
    if frames:
        frames[-1].append((fieldfile.storage, fieldfile.name))


def discard_files_on_error(func):
    """Decorate an action (outside its ``transaction.atomic``): files it stored are deleted if it fails."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        frames = _pending.__dict__.setdefault("frames", [])
        frames.append([])
        try:
            result = func(*args, **kwargs)
        except BaseException:
            for storage, name in frames[-1]:
                storage.delete(name)
            raise
        finally:
            saved = frames.pop()
        if frames:
            frames[-1].extend(saved)
        return result

    return wrapper


def sha256_file(fileobj) -> str:
    """SHA-256 of a stored file, read in chunks (the evidence chain re-checks photos with it)."""
    h = hashlib.sha256()
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(65536), b""):
        h.update(chunk)
    fileobj.seek(0)
    return h.hexdigest()


def photo_evidence(photo) -> dict:
    """The EXIF evidence of a stored photo, for API output (ISO time, decimal degrees as text)."""
    return {
        "taken_at": timezone.localtime(photo.taken_at).isoformat() if photo.taken_at else None,
        "latitude": str(photo.latitude) if photo.latitude is not None else None,
        "longitude": str(photo.longitude) if photo.longitude is not None else None,
    }


# ----------------------------------------------------------------------------- serving

# A stored file shown on its own can never run anything, even if a browser took it for a document.
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def _verified_format(name: str, head: bytes) -> str | None:
    """The format a stored file's extension names, if its first bytes agree; else None."""
    ext = PurePath(name or "").suffix.lower()
    if ext not in EXTENSIONS:
        return None
    fmt, _ctype, magics = EXTENSIONS[ext]
    if not any(head.startswith(m) for m in magics) or (fmt == "WEBP" and head[8:12] != b"WEBP"):
        return None
    return fmt


def _open_stored(fieldfile):
    """The stored file opened through its storage (a folder or a bucket); a gone file is a 404."""
    try:
        return fieldfile.storage.open(fieldfile.name, "rb")
    except (FileNotFoundError, OSError):  # the record exists but its file is gone: a 404, not a crash
        raise Http404 from None


def stored_format(fieldfile) -> str | None:
    """The verified format of a stored file: its extension *and* its first bytes must agree."""
    if PurePath(fieldfile.name or "").suffix.lower() not in EXTENSIONS:
        return None
    with _open_stored(fieldfile) as fh:
        return _verified_format(fieldfile.name, fh.read(16))


def serve_stored_image(fieldfile, *, name: str = "") -> FileResponse:
    """Answer with a stored photo: verified raster inline, anything else as an opaque attachment.

    The caller has already authorised the request (``get_visible_or_404`` on the owning record). The
    bytes are read through the file's storage and streamed by Django, also from an object store: a
    stored file never has a public URL (docs/decisions/0045-media-object-storage.md).
    """
    if not fieldfile:
        raise Http404
    handle = _open_stored(fieldfile)  # opened once: the format check reads the same handle's first bytes
    fmt = _verified_format(fieldfile.name, handle.read(16))
    handle.seek(0)
    stem = PurePath(name or fieldfile.name).stem or "file"
    if fmt is None:
        response = FileResponse(
            handle, as_attachment=True, filename=f"{stem}.bin", content_type="application/octet-stream"
        )
    else:
        ext, ctype, _magic = FORMATS[fmt]
        response = FileResponse(handle, as_attachment=False, filename=f"{stem}{ext}", content_type=ctype)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cache-Control"] = "private, max-age=3600"
    return response


# ----------------------------------------------------------------------------- documents (PDF)

PDF_MAGIC = b"%PDF-"
# Names that make a PDF do something when opened (or carry other files); none of them belongs in a
# scanned, signed contract. Checked on the parsed objects (names decoded, streams decompressed).
PDF_ACTIVE_KEYS = {
    "/JS",
    "/JavaScript",
    "/Launch",
    "/EmbeddedFile",
    "/EmbeddedFiles",
    "/RichMedia",
    "/XFA",
    "/SubmitForm",
    "/ImportData",
    "/GoToE",
}
PDF_ACTIVE_ACTIONS = {"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/GoToE", "/RichMediaExecute"}
_PDF_MAX_OBJECTS = 200_000


@dataclass(frozen=True)
class VerifiedDocument:
    """A parsed PDF whose bytes are kept as uploaded (a signed scan is evidence: never rewritten)."""

    content: bytes
    name: str
    pages: int
    sha256: str = field(default="", compare=False)
    ext = ".pdf"
    content_type = "application/pdf"

    def __post_init__(self):
        object.__setattr__(self, "sha256", hashlib.sha256(self.content).hexdigest())

    @property
    def size(self) -> int:
        return len(self.content)


def _pdf_active_part(reader) -> str | None:
    """The first active name found walking every object reachable from the trailer, or None."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    seen = set()
    stack = [reader.trailer]
    walked = 0
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            obj = obj.get_object()
        walked += 1
        if walked > _PDF_MAX_OBJECTS:
            return "/TooManyObjects"
        if isinstance(obj, DictionaryObject):
            for k, v in obj.items():
                if k in PDF_ACTIVE_KEYS:
                    return str(k)
                if k == "/S" and str(v) in PDF_ACTIVE_ACTIONS:
                    return str(v)
                if k not in ("/Parent", "/P"):
                    stack.append(v)
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
    return None


def verify_pdf(upload, *, name: str | None = None) -> VerifiedDocument:
    """Check an uploaded PDF by its content; ValidationError names the file and why (in Chinese)."""
    name = name if name is not None else getattr(upload, "name", "") or ""
    max_bytes = limit("UPLOAD_PDF_MAX_BYTES")
    try:
        data = _read(upload, max_bytes)
    except OverflowError as exc:
        _refuse(
            name,
            _("文件过大（%(size).1f MB），PDF 上限为 %(limit)d MB")
            % {"size": exc.args[0] / MB, "limit": max_bytes // MB},
            "too_large",
        )
    if not data:
        _refuse(name, _("是空文件"), "empty")
    if _looks_like_markup(data[:1024]):
        _refuse(name, _("是网页或文本文件，不是 PDF；请上传扫描件的 PDF 或照片"), "not_pdf")
    if not data.startswith(PDF_MAGIC):
        _refuse(name, _("不是 PDF 文件（文件开头没有 PDF 标志）；请上传扫描件的 PDF 或照片"), "not_pdf")
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            _refuse(name, _("已加密（设有密码），请上传未加密的 PDF"), "encrypted")
        pages = len(reader.pages)
        active = _pdf_active_part(reader)
    except ValidationError:
        raise
    except (PdfReadError, OSError, ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError):
        _refuse(name, _("不是有效的 PDF，或文件已损坏、不完整；请重新扫描或导出"), "broken")
    if active:
        _refuse(
            name,
            _("含有脚本、附件或自动执行的动作（%(part)s），不能作为合同扫描件上传；请用扫描仪或“打印为 PDF”重新生成")
            % {"part": active.lstrip("/")},
            "active",
        )
    if pages < 1:
        _refuse(name, _("没有页面"), "broken")
    if pages > limit("UPLOAD_PDF_MAX_PAGES"):
        _refuse(
            name,
            _("页数过多（%(n)d 页），上限为 %(limit)d 页") % {"n": pages, "limit": limit("UPLOAD_PDF_MAX_PAGES")},
            "pages",
        )
    stem = PurePath(str(name)).stem[:150] or "document"
    return VerifiedDocument(content=data, name=stem + ".pdf", pages=pages)


def verify_scan(upload) -> VerifiedImage | VerifiedDocument:
    """A scanned document: a PDF (kept as is once checked) or a photo (re-encoded)."""
    if isinstance(upload, VerifiedImage | VerifiedDocument):
        return upload
    try:
        if hasattr(upload, "seek"):
            upload.seek(0)
        head = upload.read(1024)
    finally:
        if hasattr(upload, "seek"):
            upload.seek(0)
    if head.startswith(PDF_MAGIC):
        return verify_pdf(upload)
    if _looks_like_markup(head):
        _refuse(
            getattr(upload, "name", ""), _("是网页或文本文件，不是 PDF 或照片；请上传扫描件的 PDF 或照片"), "not_scan"
        )
    return verify_image(upload)


def save_document(fieldfile, document) -> None:
    """Write a verified scan (PDF or photo) to a FileField, named ``<sha256><verified extension>``."""
    if isinstance(document, VerifiedImage):
        save_image(fieldfile, document)
        return
    if not isinstance(document, VerifiedDocument):
        raise TypeError("save_document takes a VerifiedDocument or VerifiedImage; call verify_scan first")
    fieldfile.save(f"{document.sha256}.pdf", ContentFile(document.content), save=False)
    frames = getattr(_pending, "frames", None)
    if frames:
        frames[-1].append((fieldfile.storage, fieldfile.name))


def document_storage_name(prefix: str, digest: str, filename: str) -> str:
    """``upload_to`` for scans: content-addressed, .pdf or a verified photo extension only."""
    ext = PurePath(filename or "").suffix.lower()
    return f"{prefix}/{digest[:2]}/{digest}{ext if ext in EXTENSIONS or ext == '.pdf' else '.bin'}"


def serve_stored_document(fieldfile, *, name: str = "") -> FileResponse:
    """Answer with a stored scan as an attachment: a PDF only if its bytes start as one; photos as photos.

    The caller has already authorised the request.
    """
    if not fieldfile:
        raise Http404
    if PurePath(fieldfile.name or "").suffix.lower() != ".pdf":
        response = serve_stored_image(fieldfile, name=name)
        response["Content-Disposition"] = response["Content-Disposition"].replace("inline", "attachment", 1)
        return response
    handle = _open_stored(fieldfile)
    head = handle.read(len(PDF_MAGIC))
    handle.seek(0)
    stem = PurePath(name or fieldfile.name).stem or "document"
    if head == PDF_MAGIC:
        response = FileResponse(handle, as_attachment=True, filename=f"{stem}.pdf", content_type="application/pdf")
    else:
        response = FileResponse(
            handle, as_attachment=True, filename=f"{stem}.bin", content_type="application/octet-stream"
        )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cache-Control"] = "private, max-age=3600"
    return response


# ----------------------------------------------------------------------------- rosters (.xlsx)


def check_xlsx(path) -> None:
    """A roster must be a real .xlsx: a readable zip with a workbook, bounded when unpacked."""
    path = Path(path)
    try:
        if not zipfile.is_zipfile(path):
            raise zipfile.BadZipFile
        with zipfile.ZipFile(path) as zf:
            entries = zf.infolist()
            if len(entries) > limit("IMPORT_MAX_ZIP_ENTRIES"):
                raise ValidationError(_("文件结构异常（压缩包内文件过多），不是正常的 .xlsx 文件"), code="zip_entries")
            names = {e.filename for e in entries}
            if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
                raise ValidationError(_("不是有效的 .xlsx 文件，请使用下载的模板填写后上传"), code="not_xlsx")
            unpacked = sum(e.file_size for e in entries)
            if unpacked > limit("IMPORT_MAX_UNCOMPRESSED_BYTES"):
                raise ValidationError(
                    _("文件解压后过大（%(size)d MB），上限为 %(limit)d MB；请拆分文件后分批导入")
                    % {"size": unpacked // MB, "limit": limit("IMPORT_MAX_UNCOMPRESSED_BYTES") // MB},
                    code="zip_bomb",
                )
            if any(e.flag_bits & 0x1 for e in entries):
                raise ValidationError(_("文件已加密，请取消密码保护后上传"), code="encrypted")
    except (zipfile.BadZipFile, OSError, EOFError):
        raise ValidationError(_("文件已损坏或不是有效的 .xlsx 文件"), code="broken") from None
