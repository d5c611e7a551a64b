"""Opening a case from a request form, or adding a new form version to the school's open case.

A re-sent form (in the thread, or a new mail for the same UAI, country and school year) is a new
version of the same case; what changed is recorded. Invalid forms are answered with every problem,
up to the policy's number of attempts; after that, staff takes over instead of a reply loop.
"""

from __future__ import annotations

from datetime import datetime, time

from mailflow.domain.calendar import school_year_start
from mailflow.domain.case import Case, CaseEvent
from mailflow.domain.formdiff import changed_fields, sender_warning
from mailflow.domain.forms import REQUEST_FORM, FieldValue, FormCheck, Problem, values_to_json
from mailflow.domain.message import Attachment
from mailflow.domain.routing import route_request
from mailflow.domain.states import CaseState, EventKind
from mailflow.extract.forms import FoundForm
from mailflow.services.cause import Cause
from mailflow.services.ingest_context import IngestContext, Planned
from mailflow.services.workflow import local_today, note

_FORM_STATES = {CaseState.RECEIVED, CaseState.INCOMPLETE, CaseState.UNDER_REVIEW}


def open_or_version(ctx: IngestContext, cause: Cause) -> tuple[Case, list[Planned]]:
    """The case the form belongs to (matched, same school and country this school year, or new) and its events."""
    tx = ctx.tx
    chosen = _choose_form(ctx)
    check = chosen[1] if chosen else None
    values = check.values if check else {}
    case = ctx.case or _same_request(ctx, values)
    if case is None:
        case = _new_case(ctx, cause, chosen[0].attachment_name if chosen else "illisible")
    assert case.id is not None
    if chosen is not None:
        _record_form(ctx, case, values, chosen[2], cause)
    for warning in _warnings(ctx, check):
        note(ctx.deps, tx, case, "warning", Cause(cause.actor, cause.inbound_id, cause.message, warning))
    if case.state not in _FORM_STATES:
        case.review_reason = "nouvelle version du formulaire reçue après la transmission"
        return tx.save_case(case), []
    case = tx.save_case(case)
    if check is None or not check.ok:
        return case, _invalid(ctx, case, check, cause)
    event, reason = route_request(values, ctx.deps.policy, case.embassy_address is not None)
    return case, [Planned(event, reason)]


def problem_detail(problem: Problem) -> str:
    """The problem without its « label » prefix: the mail prints the label beside it already."""
    return problem.message.removeprefix(f"« {problem.label} » : ")


def _choose_form(ctx: IngestContext) -> tuple[FoundForm, FormCheck, Attachment] | None:
    """Several forms in one mail: the first valid one wins, else the first one (its problems are answered)."""
    if not ctx.requests:
        return None
    found, check, attachment = next(((f, c, a) for f, c, a in ctx.requests if c.ok), ctx.requests[0])
    return found, check, attachment


def _same_request(ctx: IngestContext, values: dict[str, FieldValue]) -> Case | None:
    uai, country = values.get("uai"), values.get("target_country")
    if not (isinstance(uai, str) and isinstance(country, str)):
        return None
    start = school_year_start(local_today(ctx.deps))
    since = datetime.combine(start, time(0, 0), ctx.deps.identity.timezone)
    return ctx.tx.open_case_for(uai, country, opened_since=since)


def _new_case(ctx: IngestContext, cause: Cause, file_name: str) -> Case:
    deps, tx, msg = ctx.deps, ctx.tx, ctx.message
    assert msg is not None
    now = deps.clock.now()
    ref = tx.next_case_ref(deps.identity.case_prefix, local_today(deps).year)
    case = tx.add_case(
        Case(
            ref=str(ref),
            opened_at=now,
            updated_at=now,
            school_address=msg.from_addr.lower(),
            thread_topic=f"Demande d'appariement {ref}",
        )
    )
    assert case.id is not None
    tx.add_event(
        CaseEvent(
            case_id=case.id,
            at=now,
            kind="case_opened",
            actor=cause.actor,
            target_state=CaseState.RECEIVED,
            inbound_id=cause.inbound_id,
            detail=f"formulaire {file_name}",
        )
    )
    return case


def _warnings(ctx: IngestContext, check: FormCheck | None) -> list[str]:
    """Things staff should know that do not block the request (MAIL.md: never a rejection)."""
    assert ctx.message is not None
    found = [problem_detail(w) if w.label else w.message for w in (check.warnings if check else ())]
    mismatch = sender_warning(
        ctx.message.from_addr, ctx.deps.identity.school_domain, check.values.get("uai") if check else None
    )
    return [*found, *([mismatch] if mismatch else [])]


def _invalid(ctx: IngestContext, case: Case, check: FormCheck | None, cause: Cause) -> list[Planned]:
    """Answer every problem, unless the school has already been answered too often."""
    assert case.id is not None
    problems = [{"label": p.label, "message": problem_detail(p)} for p in (check.problems if check else ())]
    problems += [{"label": name, "message": why} for name, why in ctx.unreadable]
    attempts = sum(1 for e in ctx.tx.events(case.id) if e.kind == EventKind.FORM_INVALID.value)
    if attempts >= ctx.deps.policy.max_form_attempts and case.state is CaseState.INCOMPLETE:
        detail = f"formulaire encore incomplet après {attempts + 1} envois : à traiter par la Dareic"
        note(
            ctx.deps,
            ctx.tx,
            case,
            "form_attempts_exceeded",
            Cause(cause.actor, cause.inbound_id, cause.message, detail),
        )
        case.review_reason = detail
        ctx.tx.save_case(case)
        return []
    return [Planned(EventKind.FORM_INVALID, f"{len(problems)} problème(s)", {"problems": problems})]


def _record_form(
    ctx: IngestContext, case: Case, values: dict[str, FieldValue], attachment: Attachment, cause: Cause
) -> None:
    """Store the new form version, what changed since the last one, and the fields the case is routed by."""
    deps, tx = ctx.deps, ctx.tx
    assert case.id is not None
    version = case.form_version + 1
    data = values_to_json(values)
    tx.add_form_version(case.id, version, data, attachment, ctx.record.id, deps.clock.now())
    if case.form_version:
        changes = changed_fields(REQUEST_FORM, case.form, data)
        detail = f"version {version} : " + (", ".join(changes) if changes else "aucun champ modifié")
        note(deps, tx, case, "form_version", Cause(cause.actor, cause.inbound_id, cause.message, detail))
    case.form, case.form_version = data, version
    case.school_uai = str(values["uai"]) if "uai" in values else case.school_uai
    case.school_name = str(values.get("school_name") or case.school_name)
    if "target_country" in values:
        case.target_country = str(values["target_country"])
    case.target_region = str(values["target_region"]) if values.get("target_region") else None
    case.mobility_type = str(values["mobility_type"]) if "mobility_type" in values else None
    directory = deps.directory.with_changes(tuple(tx.added_contacts()), set(tx.invalid_addresses()))
    contact = directory.route(case.target_country, case.target_region)
    case.embassy_address = contact.address if contact else None
    case.embassy_language = contact.language if contact else "fr"
