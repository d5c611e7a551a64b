"""MaildirMailbox: IMAP-like UIDs over a real Maildir++ tree on disk."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from mailflow.adapters.maildir import UIDLIST, MaildirMailbox
from mailflow.domain.ids import MailboxKey


def _raw(n: int) -> bytes:
    return f"Message-ID: <m{n}@example.org>\r\nSubject: message {n}\r\n\r\nbody {n}\r\n".encode()


def test_folders_are_created_in_maildirplusplus_layout_when_the_mailbox_opens(tmp_path: Path) -> None:
    MaildirMailbox(tmp_path)
    for folder in (
        tmp_path,
        tmp_path / ".mailflow.traites",
        tmp_path / ".mailflow.erreurs",
        tmp_path / ".Sent",
    ):
        assert all((folder / sub).is_dir() for sub in ("cur", "new", "tmp"))
    assert (tmp_path / ".mailflow.traites" / "maildirfolder").exists()
    assert (tmp_path / UIDLIST).exists()


def test_fetch_returns_delivered_mail_oldest_first_when_uid_is_zero(tmp_path: Path) -> None:
    box = MaildirMailbox(tmp_path)
    for n in range(3):
        box.deliver(_raw(n))
    fetched = box.fetch_after(0)
    assert [f.raw for f in fetched] == [_raw(0), _raw(1), _raw(2)]
    uids = [f.key.uid for f in fetched]
    assert uids == sorted(uids) and len(set(uids)) == 3
    assert all(f.key.mailbox == "INBOX" and f.key.uidvalidity == box.uidvalidity() for f in fetched)


def test_fetch_respects_watermark_and_limit_when_asked(tmp_path: Path) -> None:
    box = MaildirMailbox(tmp_path)
    for n in range(5):
        box.deliver(_raw(n))
    first = box.fetch_after(0, limit=2)
    assert [f.raw for f in first] == [_raw(0), _raw(1)]
    rest = box.fetch_after(first[-1].key.uid)
    assert [f.raw for f in rest] == [_raw(2), _raw(3), _raw(4)]


def test_reading_leaves_the_file_untouched_in_new_when_fetched(tmp_path: Path) -> None:
    box = MaildirMailbox(tmp_path)
    key = box.deliver(_raw(1))
    before = sorted(p.name for p in (tmp_path / "new").iterdir())
    box.fetch_after(0)
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == before == [key]
    assert list((tmp_path / "cur").iterdir()) == []


def test_moved_message_is_not_refetched_when_moved_to_processed(tmp_path: Path) -> None:
    box = MaildirMailbox(tmp_path)
    key = box.deliver(_raw(1))
    box.deliver(_raw(2))
    first, second = box.fetch_after(0)
    box.move_to_processed([first.key])
    assert box.folder_keys("mailflow/traites") == [key]
    assert box.read("mailflow/traites", key) == _raw(1)
    assert [f.raw for f in box.fetch_after(0)] == [_raw(2)]
    box.move_to_quarantine([second.key])
    assert box.fetch_after(0) == []
    assert len(box.folder_keys("mailflow/erreurs")) == 1


def test_move_keeps_flags_when_the_message_was_read_by_a_person(tmp_path: Path) -> None:
    box = MaildirMailbox(tmp_path)
    key = box.deliver(_raw(1))
    (tmp_path / "new" / key).rename(tmp_path / "cur" / f"{key}:2,S")  # a mail client marked it seen
    (fetched,) = box.fetch_after(0)
    box.move_to_processed([fetched.key])
    assert (tmp_path / ".mailflow.traites" / "cur" / f"{key}:2,S").exists()


def test_move_is_a_noop_when_the_message_is_already_gone(tmp_path: Path) -> None:
    box = MaildirMailbox(tmp_path)
    box.deliver(_raw(1))
    (fetched,) = box.fetch_after(0)
    box.move_to_processed([fetched.key])
    box.move_to_processed([fetched.key])  # a retry after a crash
    box.move_to_quarantine([MailboxKey("INBOX", fetched.key.uidvalidity, 999)])
    box.move_to_quarantine([MailboxKey("INBOX", fetched.key.uidvalidity + 1, fetched.key.uid)])
    assert len(box.folder_keys("mailflow/traites")) == 1
    assert box.folder_keys("mailflow/erreurs") == []


def test_move_moves_every_key_of_a_batch_when_given_several(tmp_path: Path) -> None:
    box = MaildirMailbox(tmp_path)
    keys = [box.deliver(_raw(n)) for n in range(4)]
    fetched = box.fetch_after(0)
    box.move_to_processed([f.key for f in fetched[:3]])
    assert sorted(box.folder_keys("mailflow/traites")) == sorted(keys[:3])
    assert [f.raw for f in box.fetch_after(0)] == [_raw(3)]


def test_fetch_after_stops_at_max_bytes_but_always_returns_one_message(tmp_path: Path) -> None:
    box = MaildirMailbox(tmp_path)
    for n in range(3):
        box.deliver(_raw(n))
    assert len(box.fetch_after(0, max_bytes=1)) == 1
    assert len(box.fetch_after(0, max_bytes=2 * len(_raw(1)))) == 2
    assert len(box.fetch_after(0)) == 3


def test_uids_persist_and_keep_increasing_when_reopened(tmp_path: Path) -> None:
    box = MaildirMailbox(tmp_path)
    box.deliver(_raw(1))
    (first,) = box.fetch_after(0)
    box.move_to_processed([first.key])
    again = MaildirMailbox(tmp_path)
    assert again.uidvalidity() == box.uidvalidity()
    again.deliver(_raw(2))
    (second,) = again.fetch_after(0)
    assert second.key.uid > first.key.uid
    third = MaildirMailbox(tmp_path).fetch_after(0)
    assert [f.key for f in third] == [second.key]


def test_mail_dropped_by_another_program_gets_a_uid_when_discovered(tmp_path: Path) -> None:
    box = MaildirMailbox(tmp_path)
    box.deliver(_raw(1))
    (tmp_path / "new" / "1700000000.M1P1.other").write_bytes(_raw(2))
    fetched = box.fetch_after(0)
    assert sorted(f.raw for f in fetched) == sorted([_raw(1), _raw(2)])
    assert len({f.key.uid for f in fetched}) == 2


def test_append_sent_stores_a_seen_copy_when_a_mail_is_sent(tmp_path: Path) -> None:
    box = MaildirMailbox(tmp_path)
    box.append_sent(_raw(9))
    files = list((tmp_path / ".Sent" / "cur").iterdir())
    assert len(files) == 1 and files[0].name.endswith(":2,S")
    assert box.read("Sent", box.folder_keys("Sent")[0]) == _raw(9)
    assert box.fetch_after(0) == []


def test_sent_contains_finds_a_copy_by_its_message_id(tmp_path: Path) -> None:
    box = MaildirMailbox(tmp_path)
    assert box.sent_contains("<m9@example.org>") is False
    box.append_sent(_raw(9))
    assert box.sent_contains("<m9@example.org>") is True
    assert box.sent_contains("<m1@example.org>") is False
    box.append_sent(b"Subject: x\r\n\r\nMessage-ID: <m1@example.org>\r\n")  # in a body: not a header
    assert box.sent_contains("<m1@example.org>") is False


def test_wait_for_change_is_false_when_nothing_arrives_before_timeout(tmp_path: Path) -> None:
    box = MaildirMailbox(tmp_path)
    started = time.monotonic()
    assert box.wait_for_change(0.3) is False
    assert 0.25 <= time.monotonic() - started < 2.0


def test_wait_for_change_is_true_when_mail_is_delivered_meanwhile(tmp_path: Path) -> None:
    box = MaildirMailbox(tmp_path)
    box.fetch_after(0)
    other = MaildirMailbox(tmp_path)
    timer = threading.Timer(0.15, other.deliver, args=(_raw(1),))
    timer.start()
    try:
        started = time.monotonic()
        assert box.wait_for_change(5.0) is True
        assert time.monotonic() - started < 4.0
    finally:
        timer.join(timeout=5)


def test_wait_for_change_is_true_at_once_when_mail_arrived_since_the_last_fetch(tmp_path: Path) -> None:
    box = MaildirMailbox(tmp_path)
    box.fetch_after(0)
    box.deliver(_raw(1))
    assert box.wait_for_change(0.0) is True
    box.fetch_after(0)
    assert box.wait_for_change(0.2) is False


def test_damaged_uid_list_starts_a_different_uidvalidity_when_unreadable(tmp_path: Path) -> None:
    box = MaildirMailbox(tmp_path)
    box.deliver(_raw(1))
    old = box.uidvalidity()
    (tmp_path / UIDLIST).write_text(f'{{"uidvalidity": {old}, "next_uid": 2, "uids": {{broken')
    fetched = box.fetch_after(0)
    assert [f.raw for f in fetched] == [_raw(1)]
    assert fetched[0].key.uidvalidity > old  # old watermarks no longer apply: the folder is re-examined
    assert (tmp_path / f"{UIDLIST}.damaged").exists()
