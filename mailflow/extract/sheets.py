"""Spreadsheets as bounded cell grids for the label search: xlsx with openpyxl (streamed), xls/xlsb/ods with
python-calamine. At most MAX_SHEETS sheets of MAX_ROWS x MAX_COLS cells are read, whatever the file says.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import resource
import warnings
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

from openpyxl import load_workbook
from python_calamine import CalamineWorkbook, PasswordError

from mailflow.domain.errors import UnreadableForm
from mailflow.extract.xlsx import CORRUPT, ENCRYPTED

MAX_SHEETS = 20
MAX_ROWS = 200
MAX_COLS = 30


@dataclass
class Grids:
    """The cells read, sheet by sheet; ``truncated`` when a limit cut something off."""

    sheets: list[list[list[object]]] = field(default_factory=list)
    sheet_count: int = 0
    truncated: bool = False

    @property
    def cells_read(self) -> int:
        return sum(len(row) for sheet in self.sheets for row in sheet)


def xlsx_grids(data: bytes) -> Grids:
    """The first cells of each sheet of an xlsx whose container was already checked (check_container)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = load_workbook(
                io.BytesIO(data), read_only=True, data_only=True, keep_vba=False, keep_links=False
            )
    except Exception as exc:
        raise UnreadableForm(CORRUPT) from exc
    grids = Grids(sheet_count=len(workbook.worksheets))
    try:
        for sheet in workbook.worksheets[:MAX_SHEETS]:
            if not hasattr(sheet, "iter_rows"):
                continue  # a chart sheet
            # one row and one column more than kept: to know whether the limits cut something off
            rows = list(
                sheet.iter_rows(min_row=1, max_row=MAX_ROWS + 1, max_col=MAX_COLS + 1, values_only=True)
            )
            grids.sheets.append([list(row[:MAX_COLS]) for row in rows[:MAX_ROWS]])
            grids.truncated |= len(rows) > MAX_ROWS or any(
                len(row) > MAX_COLS and row[MAX_COLS] is not None for row in rows
            )
    except Exception as exc:
        raise UnreadableForm(CORRUPT) from exc
    finally:
        workbook.close()
    grids.truncated |= grids.sheet_count > MAX_SHEETS
    return grids


CHILD_SECONDS = 20  # a sane form is read in well under a second
CHILD_MEMORY = 512 * 1024 * 1024  # address space allowed on top of the parent's


def calamine_grids(data: bytes) -> Grids:
    """The first cells of each sheet of an .xls, .xlsb or .ods file (cached values, no macro ever run).

    Read in a forked child with a memory and time limit: python-calamine can panic (a BaseException)
    or ask for gigabytes on a crafted 9 KB .xls; either then ends the child, never the daemon.
    """
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_read_in_child, args=(data, sender), daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(CHILD_SECONDS):
            raise UnreadableForm(CORRUPT)
        ok, payload = receiver.recv()
    except (EOFError, OSError) as exc:  # the child died: memory limit, panic, signal
        raise UnreadableForm(CORRUPT) from exc
    finally:
        receiver.close()
        child.join(1)
        if child.is_alive():
            child.kill()
            child.join(1)
    if ok:
        return payload  # type: ignore[no-any-return]
    raise UnreadableForm(str(payload))


def _read_in_child(data: bytes, sender: Connection) -> None:
    try:
        pages = os.sysconf("SC_PAGE_SIZE")
        with open("/proc/self/statm") as statm:
            current = int(statm.read().split()[0]) * pages
        resource.setrlimit(resource.RLIMIT_AS, (current + CHILD_MEMORY, current + CHILD_MEMORY))
        sender.send((True, _read_calamine(data)))
    except UnreadableForm as exc:
        sender.send((False, str(exc)))
    except BaseException:
        sender.send((False, CORRUPT))
    finally:
        sender.close()
        os._exit(0)


def _read_calamine(data: bytes) -> Grids:
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except PasswordError as exc:
        raise UnreadableForm(ENCRYPTED) from exc
    except Exception as exc:
        if any(word in str(exc).lower() for word in ("password", "encrypt", "protected")):
            raise UnreadableForm(ENCRYPTED) from exc
        raise UnreadableForm(CORRUPT) from exc
    grids = Grids()
    try:
        names = list(workbook.sheet_names)
        grids.sheet_count = len(names)
        grids.truncated = len(names) > MAX_SHEETS
        for name in names[:MAX_SHEETS]:
            try:
                sheet = workbook.get_sheet_by_name(name)
            except Exception:
                continue  # a chart or macro sheet
            height = getattr(sheet, "total_height", sheet.height)  # python-calamine < 0.4 has only height
            width = getattr(sheet, "total_width", sheet.width)
            grids.truncated |= height > MAX_ROWS or width > MAX_COLS
            rows = sheet.to_python(skip_empty_area=False, nrows=MAX_ROWS)
            grids.sheets.append([list(row[:MAX_COLS]) for row in rows[:MAX_ROWS]])
    except PasswordError as exc:
        raise UnreadableForm(ENCRYPTED) from exc
    except UnreadableForm:
        raise
    except Exception as exc:
        raise UnreadableForm(CORRUPT) from exc
    finally:
        workbook.close()
    return grids
