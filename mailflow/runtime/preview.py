"""`mailflow templates preview DIR`: every outgoing mail and both letters, written for a person to review.

``write_preview(directory, templates_dir, identity, today)`` renders each mail template with the sample
case (``mailflow.runtime.samples.sample_context``) into ``<name>.html``: a standalone page with From, To
and Subject above the HTML body (shown in a sandboxed frame, as a mail client would) and the text version
below. Templates that carry a translation for a counterpart abroad get one page per language too
(``<name>.de.html``, ``<name>.en.html``). The two letters are written as ``lettre-notification.pdf`` and
``lettre-dossier.pdf``, and ``index.html`` links everything. A template that fails to render gets a page
saying why (the preview goes on); the returned list holds every file written, index last.
"""

from __future__ import annotations

import copy
import html
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from mailflow.adapters.letters import render_dossier, render_notification
from mailflow.adapters.render import TRANSLATIONS, JinjaRenderer, RenderError
from mailflow.runtime.samples import sample_context
from mailflow.services.deps import Identity

__all__ = ["write_preview"]

_LANGUAGE_NAMES = {"de": "allemand", "en": "anglais"}

_STYLE = """
body{margin:0;background:#f0f0f0;font-family:Arial,Helvetica,sans-serif;color:#1e1e1e}
main{max-width:760px;margin:0 auto;padding:20px}
h1{font-size:20px;color:#000091}
table.headers{border-collapse:collapse;width:100%;background:#fff;border:1px solid #d9d9d9;margin:0 0 16px}
table.headers th{text-align:left;width:90px;padding:6px 10px;color:#555;font-weight:normal;vertical-align:top}
table.headers td{padding:6px 10px}
iframe{width:100%;height:85vh;min-height:600px;resize:vertical;border:1px solid #d9d9d9;background:#fff}
pre{white-space:pre-wrap;background:#fff;border:1px solid #d9d9d9;padding:14px;font-size:13px;line-height:1.45}
.error{background:#fee;border:1px solid #ce0500;padding:12px}
li{margin:4px 0}
""".strip()


@dataclass(frozen=True)
class _Entry:
    file: str
    title: str
    detail: str
    ok: bool = True


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_e(title)}</title>\n<style>\n{_STYLE}\n</style>\n</head>\n"
        f'<body>\n<main>\n<p><a href="index.html">← Tous les modèles</a></p>\n{body}\n</main>\n</body>\n</html>\n'
    )


def _mail_page(
    name: str, label: str, context: dict[str, object], renderer: JinjaRenderer
) -> tuple[str, _Entry]:
    academie = context.get("academie") or {}
    recipient = context.get("recipient") or {}
    assert isinstance(academie, dict) and isinstance(recipient, dict)
    sender = f"Dareic – {academie.get('name', '')} <{academie.get('dareic_address', '')}>"
    to = f"{recipient.get('address', '')} ({recipient.get('party', '')})"
    try:
        mail = renderer.render(name, context)
    except RenderError as exc:
        body = f'<h1>{_e(label)}</h1>\n<p class="error">Ce modèle ne peut pas être rendu : {_e(exc)}</p>'
        return _page(label, body), _Entry("", label, f"erreur : {exc}", ok=False)
    headers = "".join(
        f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>"
        for k, v in (("De", sender), ("À", to), ("Objet", mail.subject), ("Modèle", label))
    )
    body = (
        f"<h1>{_e(mail.subject)}</h1>\n"
        f'<table class="headers">{headers}</table>\n'
        "<h2>Version HTML</h2>\n"
        f'<iframe sandbox="" title="Version HTML" srcdoc="{_e(mail.html)}"></iframe>\n'
        "<h2>Version texte</h2>\n"
        f"<pre>{_e(mail.text)}</pre>"
    )
    return _page(mail.subject, body), _Entry("", label, mail.subject)


def _sample_steps(today: date) -> list[dict[str, object]]:
    return [
        {"date": today - timedelta(days=63), "label": "Demande reçue, formulaire complet"},
        {"date": today - timedelta(days=62), "label": "Demande transmise au correspondant (Bade-Wurtemberg)"},
        {"date": today - timedelta(days=17), "label": "Partenaire proposé par le correspondant"},
        {"date": today - timedelta(days=14), "label": "Partenaire présenté à l'établissement"},
        {"date": today - timedelta(days=3), "label": "Accord de l'établissement"},
    ]


def write_preview(directory: Path, templates_dir: Path, identity: Identity, today: date) -> list[Path]:
    """Write the preview into ``directory`` (created if needed); the files written, ``index.html`` last."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    renderer = JinjaRenderer(Path(templates_dir))
    written: list[Path] = []
    entries: list[_Entry] = []

    def write(file: str, text: str, entry: _Entry) -> None:
        path = directory / file
        path.write_text(text, encoding="utf-8")
        written.append(path)
        entries.append(_Entry(file, entry.title, entry.detail, entry.ok))

    for name in renderer.templates():
        context = sample_context(identity, name, today)
        page, entry = _mail_page(name, name, context, renderer)
        write(f"{name}.html", page, entry)
        if not entry.ok:
            continue
        french = renderer.render(name, context)
        for language in TRANSLATIONS:
            variant = copy.deepcopy(context)
            recipient = variant.get("recipient")
            if not isinstance(recipient, dict):
                continue
            recipient["language"] = language
            try:
                if renderer.render(name, variant) == french:
                    continue  # no translation for this mail
            except RenderError:
                pass  # shown on the variant's page
            label = f"{name} (avec traduction en {_LANGUAGE_NAMES.get(language, language)})"
            page, entry = _mail_page(name, label, variant, renderer)
            write(f"{name}.{language}.html", page, entry)

    letters_context = sample_context(identity, "notification_school", today)
    letters_context["steps"] = _sample_steps(today)
    for file, title, render in (
        ("lettre-notification.pdf", "Notification de l'appariement (lettre du recteur)", render_notification),
        ("lettre-dossier.pdf", "Fiche de synthèse du dossier (pour le cabinet du recteur)", render_dossier),
    ):
        path = directory / file
        try:
            path.write_bytes(render(letters_context, Path(templates_dir)))
        except RenderError as exc:
            entries.append(_Entry("", title, f"erreur : {exc}", ok=False))
            continue
        written.append(path)
        entries.append(_Entry(file, title, "PDF, une page A4"))

    index = directory / "index.html"
    index.write_text(_index(entries, today), encoding="utf-8")
    written.append(index)
    return written


def _index(entries: list[_Entry], today: date) -> str:
    items = "\n".join(
        f'<li><a href="{_e(e.file)}">{_e(e.title)}</a> – {_e(e.detail)}</li>'
        if e.file
        else f'<li class="error">{_e(e.title)} – {_e(e.detail)}</li>'
        for e in entries
    )
    failed = sum(not e.ok for e in entries)
    summary = f"{len(entries)} documents" + (f", dont {failed} en erreur" if failed else "")
    body = (
        "<h1>Aperçu des messages et des lettres de mailflow</h1>\n"
        f"<p>Dossier d'exemple, rendu le {_e(today.isoformat())} : {_e(summary)}.</p>\n"
        f"<ul>\n{items}\n</ul>"
    )
    return _page("Aperçu des modèles", body).replace(
        '<p><a href="index.html">← Tous les modèles</a></p>\n', ""
    )
