"""Opening a case from a request form, or adding a new form version to the school's open case."""

from __future__ import annotations

from mailflow.domain.case import Case, CaseEvent
from mailflow.domain.forms import FieldValue, Problem, values_to_json
from mailflow.domain.message import Attachment
from mailflow.domain.routing import route_request
from mailflow.domain.states import CaseState, EventKind
from mailflow.services.cause import Cause
from mailflow.services.ingest_context import IngestContext, Planned
from mailflow.services.workflow import local_today

_FORM_STATES = {CaseState.RECEIVED, CaseState.INCOMPLETE, CaseState.UNDER_REVIEW}


def open_or_version(ctx: IngestContext, cause: Cause) -> tuple[Case, list[Planned]]:
    """The case the form belongs to (matched, same school and country, or new) and the events it causes."""
    deps, tx, msg = ctx.deps, ctx.tx, ctx.message
    assert msg is not None
    # Several forms in one mail: the first valid one wins, else the first one (its problems are answered).
    found, check, attachment = next(((f, c, a) for f, c, a in ctx.requests if c.ok), ctx.requests[0])
    values = check.values
    uai, country = values.get("uai"), values.get("target_country")
    case = ctx.case
    if case is None and isinstance(uai, str) and isinstance(country, str):
        case = tx.open_case_for(uai, country)
    now = deps.clock.now()
    if case is None:
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
                detail=f"formulaire {found.attachment_name}",
            )
        )
    assert case.id is not None
    _record_form(ctx, case, values, attachment)
    if case.state not in _FORM_STATES:
        case.review_reason = "nouvelle version du formulaire reçue après la transmission"
        return tx.save_case(case), []
    case = tx.save_case(case)
    if not check.ok:
        problems = [{"label": p.label, "message": problem_detail(p)} for p in check.problems]
        for name, why in ctx.unreadable:
            problems.append({"label": name, "message": why})
        return case, [Planned(EventKind.FORM_INVALID, f"{len(problems)} problème(s)", {"problems": problems})]
    event, reason = route_request(values, deps.policy, case.embassy_address is not None)
    return case, [Planned(event, reason)]


def problem_detail(problem: Problem) -> str:
    """The problem without its « label » prefix: the mail prints the label beside it already."""
    return problem.message.removeprefix(f"« {problem.label} » : ")


def _record_form(
    ctx: IngestContext, case: Case, values: dict[str, FieldValue], attachment: Attachment
) -> None:
    """Store the new form version and copy the fields the case is searched and routed by."""
    deps, tx = ctx.deps, ctx.tx
    assert case.id is not None
    version = case.form_version + 1
    data = values_to_json(values)
    tx.add_form_version(case.id, version, data, attachment, ctx.record.id, deps.clock.now())
    case.form, case.form_version = data, version
    case.school_uai = str(values["uai"]) if "uai" in values else case.school_uai
    case.school_name = str(values.get("school_name") or case.school_name)
    if "target_country" in values:
        case.target_country = str(values["target_country"])
    case.target_region = str(values["target_region"]) if values.get("target_region") else None
    case.mobility_type = str(values["mobility_type"]) if "mobility_type" in values else None
    contact = deps.directory.route(case.target_country, case.target_region)
    case.embassy_address = contact.address if contact else None
    case.embassy_language = contact.language if contact else "fr"
