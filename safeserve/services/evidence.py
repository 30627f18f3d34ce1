"""Storing a checklist record's evidence: its answers and its photos. Shared by the records built on
the services app's checklists (an expert's prevention visit, a mutual inspection), whose models derive
from ``ChecklistAnswer`` and ``EvidencePhoto``."""

from safeserve.core import uploads


def store_answers_and_photos(record, *, link: str, results: dict, images, answer_model, photo_model) -> None:
    """``results`` is {item id: (result, note)}; ``images`` the verified uploads (core.uploads). Each
    row points at ``record`` through its field ``link``; notes are stripped, photos re-encoded and
    stored with their evidence (hash, EXIF time and place)."""
    answer_model.objects.bulk_create(
        [answer_model(**{link: record}, item_id=i, result=r, note=(n or "").strip()) for i, (r, n) in results.items()]
    )
    for image in images:
        photo = photo_model(**{link: record}, **image.evidence())
        uploads.save_image(photo.file, image)
        photo.save()
