"""Evidence files: what may be uploaded, judged by the file's own bytes, not by what the sender claims."""

import zipfile
from pathlib import PurePath

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from opinion_tracker.lib.validation import Errors

ZIP = b"PK\x03\x04"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An Office document is a ZIP holding its main part; any other ZIP is not the document it claims to be.
OFFICE_PARTS = {".docx": "word/document.xml", ".xlsx": "xl/workbook.xml", ".pptx": "ppt/presentation.xml"}

# Extension → a test on the first bytes. Office files are ZIP or OLE containers, so their extension
# says which document it is; everything else must carry its own signature.
SIGNATURES = {
    ".pdf": lambda head: head.startswith(b"%PDF-"),
    ".png": lambda head: head.startswith(b"\x89PNG\r\n\x1a\n"),
    ".jpg": lambda head: head.startswith(b"\xff\xd8\xff"),
    ".jpeg": lambda head: head.startswith(b"\xff\xd8\xff"),
    ".gif": lambda head: head[:6] in (b"GIF87a", b"GIF89a"),
    ".webp": lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP",
    ".mp4": lambda head: head[4:8] == b"ftyp",
    ".docx": lambda head: head.startswith(ZIP),
    ".xlsx": lambda head: head.startswith(ZIP),
    ".pptx": lambda head: head.startswith(ZIP),
    ".doc": lambda head: head.startswith(OLE),
    ".xls": lambda head: head.startswith(OLE),
    ".txt": lambda head: True,  # the whole file is read by ``whole_file_matches``
}
HEAD_BYTES = 2048


def whole_file_matches(upload, extension: str) -> bool:
    """The checks that need more than the first bytes: text is UTF-8 throughout, Office has its part."""
    upload.seek(0)
    try:
        if extension == ".txt":
            content = upload.read()
            content.decode("utf-8")
            return b"\0" not in content
        if extension in OFFICE_PARTS:
            with zipfile.ZipFile(upload) as archive:
                return OFFICE_PARTS[extension] in archive.namelist()
        return True
    except (UnicodeDecodeError, zipfile.BadZipFile):
        return False
    finally:
        upload.seek(0)


def check_evidence_file(errors: Errors, field: str, upload) -> None:
    """Refuse files over ``EVIDENCE_MAX_BYTES`` and any whose bytes do not match an accepted type."""
    if not upload:
        return
    if upload.size > settings.EVIDENCE_MAX_BYTES:
        errors.add(
            field,
            _("The file is %(size)s; evidence files may be at most %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(settings.EVIDENCE_MAX_BYTES)},
        )
        return
    extension = PurePath(upload.name or "").suffix.lower()
    matches = SIGNATURES.get(extension)
    if matches is None:
        errors.add(
            field,
            _("Files of this type are not accepted; accepted types: %(types)s.")
            % {"types": ", ".join(sorted(SIGNATURES))},
        )
        return
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    if not (matches(head) and whole_file_matches(upload, extension)):
        errors.add(field, _("The file's content is not a %(type)s file.") % {"type": extension})
