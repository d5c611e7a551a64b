"""Staff actions from the command line: the same commands as by mail, by an operator at the terminal."""

from __future__ import annotations

from mailflow.domain.case import InboundStatus
from mailflow.domain.commands import COMMANDS, Command
from mailflow.services.attach import find_inbound, mark_for_attach
from mailflow.services.cause import Cause
from mailflow.services.commands import execute
from mailflow.services.deps import Deps
from mailflow.services.plans import CommandResult
from mailflow.services.poll import ingest_one


def case_action(deps: Deps, ref: str, action: str, args: str, operator: str) -> CommandResult:
    """`mailflow case REF ACTION ARGS`: an authenticated staff command, actor ``cli:<operator>``."""
    name = action.lstrip("/").lower()
    line = f"/{name} {args}".strip()
    if name not in COMMANDS:
        return CommandResult(line, False, f"unknown action {name!r}; one of: {', '.join(sorted(COMMANDS))}")
    with deps.store.transaction() as tx:
        case = tx.case_by_ref(ref.upper())
        if case is None:
            return CommandResult(line, False, f"no case {ref}")
        _, result = execute(
            deps, tx, case, Command(name=name, args=args, line=line), Cause(f"cli:{operator}")
        )
    _ingest_attached(deps)
    return result


def attach(deps: Deps, message: str, ref: str) -> CommandResult:
    """`mailflow attach MESSAGE REF`: a message "à rattacher" is processed in case REF, now."""
    line = f"attach {message} {ref}"
    with deps.store.transaction() as tx:
        case = tx.case_by_ref(ref.upper())
        mailbox = deps.mailbox.name if deps.mailbox else "INBOX"
        record = find_inbound(tx, mailbox, message)
        if case is None or record is None:
            return CommandResult(line, False, f"no case {ref}" if case is None else f"no message {message}")
        problem = mark_for_attach(tx, record, case)
        if problem:
            return CommandResult(line, False, problem)
    status = ingest_one(deps, record.id) if record.id is not None else InboundStatus.QUARANTINED
    return CommandResult(
        line, status is InboundStatus.CLAIMED, f"message #{record.id} in {case.ref}: {status.value}"
    )


def _ingest_attached(deps: Deps) -> None:
    """Messages a /rattacher action marked for another pass are processed at once (not at the next poll)."""
    mailbox = deps.mailbox.name if deps.mailbox else "INBOX"
    with deps.store.transaction() as tx:
        waiting = tx.inbound_with_status(mailbox, InboundStatus.NEW)
    for inbound_id in waiting:
        ingest_one(deps, inbound_id)
