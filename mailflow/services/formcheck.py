"""`mailflow forms check`: read a form file (or the forms of an .eml) as mail attachments are read."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from mailflow.domain.forms import FORM_SPECS, check_form, values_to_json
from mailflow.domain.message import Attachment
from mailflow.extract.forms import scan_attachments
from mailflow.extract.mime import parse_message


def check_file(path: Path) -> dict[str, object]:
    """The stable JSON of DESIGN.md §5: form_id, fields (normalised values), problems."""
    data = path.read_bytes()
    if path.suffix.lower() == ".eml":
        attachments = list(parse_message(data).attachments)  # a whole mail: read the forms it carries
    else:
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        attachments = [Attachment(filename=path.name, content_type=content_type, data=data)]
    scan = scan_attachments(attachments)
    if not scan.forms:
        reason = scan.unreadable[0][1] if scan.unreadable else "Aucun formulaire reconnu dans ce fichier."
        return {
            "form_id": None,
            "fields": {},
            "problems": [{"field": None, "code": "unreadable", "message": reason}],
        }
    found = scan.forms[0]
    result = check_form(FORM_SPECS[found.spec_id], found.raw.cells)
    return {
        "form_id": found.spec_id,
        "fields": values_to_json(result.values),
        "problems": [{"field": p.field, "code": p.code, "message": p.message} for p in result.problems],
    }
