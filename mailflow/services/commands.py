"""Staff commands (MAIL.md §5): who may, whether the message is authenticated, what each does.

The same actions serve the mail commands and the CLI (`mailflow case REF ACTION …`). Every command
gets a result line in French: done, or refused with the reason; the mail sender gets them by reply.
"""

from __future__ import annotations

import re

from mailflow.domain.case import Case
from mailflow.domain.commands import COMMANDS, Command, Role
from mailflow.domain.countries import country_code, french_name
from mailflow.domain.directory import Contact
from mailflow.domain.errors import IllegalTransition
from mailflow.domain.message import InboundMessage
from mailflow.domain.states import STATE_LABELS, CaseState, transition
from mailflow.domain.tokens import ActionToken, read_token
from mailflow.ports import Tx
from mailflow.services.attach import request_attach
from mailflow.services.cause import Cause
from mailflow.services.deps import Deps
from mailflow.services.ingest_context import Planned
from mailflow.services.plans import CommandResult, plan_command
from mailflow.services.workflow import apply_event, note


def run_commands(
    deps: Deps,
    tx: Tx,
    case: Case | None,
    commands: list[Command],
    *,
    role: Role,
    authenticated: bool,
    cause: Cause,
) -> tuple[Case | None, list[CommandResult]]:
    """Check and execute each command in order; a refused one does not stop the others."""
    token = _token(deps, cause.message)
    token_spent = False
    results: list[CommandResult] = []
    for command in commands:
        if command.name not in COMMANDS:
            results.append(CommandResult(command.line, False, f"commande inconnue : /{command.name}"))
            continue
        if role not in COMMANDS[command.name]:
            results.append(
                CommandResult(
                    command.line, False, f"/{command.name} n'est pas autorisée depuis l'adresse {cause.actor}"
                )
            )
            continue
        trusted = authenticated
        if not trusted and token and not token_spent and _token_fits(token, command, case):
            token_spent = True
            trusted = tx.use_token(token.nonce, cause.actor, deps.clock.now())
        if not trusted:
            results.append(
                CommandResult(
                    command.line,
                    False,
                    "message non authentifié : envoyez la commande "
                    "depuis votre messagerie académique ou avec le lien du récapitulatif",
                )
            )
            continue
        case, result = execute(deps, tx, case, command, cause)
        results.append(result)
    return case, results


def execute(
    deps: Deps, tx: Tx, case: Case | None, command: Command, cause: Cause
) -> tuple[Case | None, CommandResult]:
    """One authorised command; IllegalTransition and missing arguments become refusals, never crashes."""
    name, args = command.name, command.args
    if name == "contact":
        return case, _add_contact(deps, tx, args, cause)
    if name == "rattacher":
        return case, request_attach(deps, tx, args, cause, case)
    if case is None or case.id is None:
        return case, CommandResult(
            command.line,
            False,
            "aucun dossier : répondez à un message du dossier ou indiquez sa référence dans l'objet",
        )
    if name == "note":
        if not args:
            return case, CommandResult(command.line, False, "/note attend un texte")
        note(deps, tx, case, "note", Cause(cause.actor, cause.inbound_id, cause.message, args))
        return case, CommandResult(command.line, True, "note ajoutée au dossier")
    planned = plan_command(case, command)
    if not planned:
        return case, CommandResult(command.line, False, _usage(name))
    before = case.state
    if not _legal(before, planned):
        # Checked on the pure table first: a command is applied whole or not at all.
        return case, CommandResult(
            command.line, False, f"impossible dans l'état actuel du dossier ({STATE_LABELS[before]})"
        )
    for step in planned:
        if step.partner is not None:
            case.partner = step.partner
        case = apply_event(
            deps,
            tx,
            case,
            step.event,
            Cause(cause.actor, cause.inbound_id, cause.message, step.detail, dict(step.extras)),
        )
    done = (
        f"fait : {STATE_LABELS[before]} → {STATE_LABELS[case.state]}" if case.state is not before else "fait"
    )
    return case, CommandResult(command.line, True, done)


def _legal(state: CaseState, planned: list[Planned]) -> bool:
    try:
        for step in planned:
            state = transition(state, step.event).target
    except IllegalTransition:
        return False
    return True


def _usage(name: str) -> str:
    return {
        "partenaire": "/partenaire attend : nom ; ville ; courriel [; chef d'établissement]",
        "ca": "/ca attend la date de délibération du conseil d'administration, par ex. /ca 12/01/2027",
        "refuser": "/refuser attend le motif du refus",
    }.get(name, f"/{name} ne peut pas être appliquée à ce dossier")


def _token(deps: Deps, message: InboundMessage | None) -> ActionToken | None:
    if message is None:
        return None
    return read_token(deps.secret, f"{message.subject}\n{message.text[:20000]}", deps.clock.now())


def _token_fits(token: ActionToken, command: Command, case: Case | None) -> bool:
    return token.action == command.name and (token.ref == "*" or (case is not None and token.ref == case.ref))


def _add_contact(deps: Deps, tx: Tx, args: str, cause: Cause) -> CommandResult:
    """/contact PAYS adresse [langue] [régions…]: a counterpart for a country the directory lacks."""
    parts = args.split()
    address = next((p for p in parts if "@" in p), None)
    country = country_code(" ".join(p for p in parts[: parts.index(address)])) if address else None
    if not address or not country:
        return CommandResult(
            f"/contact {args}",
            False,
            "/contact attend : PAYS adresse, par ex. /contact Italie scac@ambafrance-it.org",
        )
    rest = parts[parts.index(address) + 1 :]
    language = rest[0].lower() if rest and re.fullmatch(r"[a-z]{2}", rest[0].lower()) else "fr"
    regions = tuple(rest[1:] if rest and language == rest[0].lower() else rest)
    tx.add_contact(
        Contact(country=country, address=address.lower(), language=language, regions=regions),
        cause.actor,
        deps.clock.now(),
    )
    routed = 0
    for case in tx.cases(CaseState.UNDER_REVIEW):
        if case.target_country == country and case.embassy_address is None:
            case.embassy_address, case.embassy_language = address.lower(), language
            case.review_reason = "contact ajouté : vérifiez puis /transmettre"
            tx.save_case(case)
            routed += 1
    suffix = f" ; {routed} dossier(s) en attente peuvent maintenant être transmis" if routed else ""
    return CommandResult(
        f"/contact {args}", True, f"contact enregistré pour {french_name(country)} : {address}{suffix}"
    )
