"""Reading a course's attendee list as the training base sends it: CSV or an Excel
workbook (.xlsx), with the header in Chinese or English.

The workbook is read with openpyxl, read-only and values only (a formula counts as the
value Excel last saved for it; no macro, link or formula is run). Every problem of the
file as a whole is a FormatError with its reason (the web page answers 400 with it, the
CLI one line); a problem of one row is left to the importer, which reports its line.
Line numbers are the spreadsheet's row numbers, header included, as the person who
made the file sees them.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from collections import Counter
from collections.abc import Iterator
from typing import Any

from app.importexport.fields import RowProblem
from app.importexport.formats import (
    MAX_IMPORT_BYTES,
    MAX_IMPORT_ROWS,
    N_,
    FormatError,
    check_separator,
    decode_text,
    read_csv,
)

#: What the uncompressed parts of a workbook may add up to: a 10,000-row list is about
#: 2 MiB, so more is a damaged file or a zip bomb, and is refused before it is unpacked.
MAX_XLSX_UNPACKED = 200 * 1024 * 1024
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (Excel 97-2003)

#: Our column, and the headings a training base may give it (compared lower-cased, without
#: spaces).
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "姓名", "学员姓名"),
    "phone": ("phone", "mobile", "手机", "手机号", "手机号码", "电话", "联系电话"),
    "certificate_number": ("certificate_number", "certificate", "证书编号", "证书号",
                           "证书号码", "救护员证号", "救护员证编号"),
    "organisation": ("organisation", "organization", "branch", "单位", "所属单位",
                     "街道", "所属街道", "红十字会"),
    "team": ("team", "队伍", "志愿队", "所属队伍", "志愿服务队"),
    "issued_on": ("issued_on", "issue_date", "发证日期", "取证日期"),
    "expires_on": ("expires_on", "expiry_date", "expiry", "有效期至", "到期日期", "有效期"),
}
_HEADING = {alias.lower(): column for column, aliases in COLUMNS.items() for alias in aliases}


def column_of(heading: object) -> str | None:
    """Our column for a heading as typed ("手机号码", " Phone "), None when it is not one
    of ours (a 性别 or 年龄 column is left unread: it is not ours to keep)."""
    if heading is None:
        return None
    return _HEADING.get("".join(str(heading).split()).lower())


def check_header(header: list[str]) -> None:
    columns = [c for c in (column_of(h) for h in header) if c is not None]
    if "name" not in columns:
        check_separator(header)
        raise FormatError(N_(
            "The first line must be a header with a name column (姓名), and a phone (手机) "
            "or certificate number (证书编号) column to recognise each person."))
    if "phone" not in columns and "certificate_number" not in columns:
        raise FormatError(N_(
            "The header needs a phone (手机) or a certificate number (证书编号) column to "
            "recognise each person."))
    twice = sorted(c for c, n in Counter(columns).items() if n > 1)
    if twice:
        raise FormatError(N_("Two columns of the header both mean \"%(column)s\"."),
                          column=twice[0])


def _ours(row: dict[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for heading, value in row.items():
        column = column_of(heading)
        if column is not None:
            out[column] = value
    return out


def is_workbook(data: bytes, filename: str) -> bool:
    return data.startswith((_ZIP, _OLE)) or filename.lower().endswith((".xlsx", ".xlsm"))


def read_attendees(data: bytes, filename: str) -> list[tuple[int, dict[str, Any]]]:
    """(line, row) pairs of an uploaded list, rows keyed by our column names; or
    FormatError saying why the file cannot be read."""
    if len(data) > MAX_IMPORT_BYTES:
        raise FormatError(N_("The file is larger than %(limit)s; split it into smaller files."),
                          limit=f"{MAX_IMPORT_BYTES // (1024 * 1024)} MiB")
    if is_workbook(data, filename):
        return list(_read_xlsx(data))
    # A row the reader found wrong is handed on as it is, for its line's report.
    return [(line, row if isinstance(row, RowProblem) else _ours(row))
            for line, row in read_csv(decode_text(data), check_header)]


def _unreadable() -> FormatError:
    return FormatError(N_(
        "This Excel file cannot be read: it is damaged or not an .xlsx workbook. Open it "
        "in Excel, choose Save As → \"Excel Workbook (.xlsx)\" or \"CSV UTF-8\", and upload "
        "that file."))


def _check_zip(data: bytes) -> None:
    if data.startswith(_OLE):
        raise FormatError(N_(
            "This is an old Excel 97-2003 workbook (.xls). Open it in Excel, choose Save As "
            "→ \"Excel Workbook (.xlsx)\" or \"CSV UTF-8\", and upload that file."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            encrypted = any(info.flag_bits & 0x1 for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _unreadable() from None
    if encrypted:
        raise FormatError(N_("This workbook is protected by a password: save a copy without "
                             "one and upload that."))
    if unpacked > MAX_XLSX_UNPACKED:
        raise FormatError(N_("This workbook unpacks to more than %(limit)d MiB; split the list "
                             "into smaller files."), limit=MAX_XLSX_UNPACKED // (1024 * 1024))


def _rows_of(data: bytes) -> Iterator[tuple[int, tuple[Any, ...]]]:
    # openpyxl is imported here, not at the top, because only an upload needs it: every
    # process that loads the web app would pay for it otherwise.
    from openpyxl import load_workbook

    with warnings.catch_warnings():
        # It warns about parts it leaves out (data validation, conditional formats): not
        # the reader's concern, and a warning must not turn into an error page.
        warnings.simplefilter("ignore")
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # any failure of the parser means the same to the uploader
            raise _unreadable() from None
        try:
            if not book.worksheets:
                raise _unreadable()
            sheet = book.worksheets[0]
            try:
                yield from enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1)
            except Exception:  # as above, for a sheet damaged inside
                raise _unreadable() from None
        finally:
            book.close()


def _read_xlsx(data: bytes) -> Iterator[tuple[int, dict[str, Any]]]:
    _check_zip(data)
    header: list[str] | None = None
    rows = 0
    for line, cells in _rows_of(data):
        if not any(c is not None and str(c).strip() for c in cells):
            continue
        if header is None:
            header = ["" if c is None else str(c).strip() for c in cells]
            check_header(header)
            continue
        rows += 1
        if rows > MAX_IMPORT_ROWS:
            raise FormatError(N_("The file has more than %(limit)d rows; split it into "
                                 "smaller files."), limit=MAX_IMPORT_ROWS)
        yield line, _ours(dict(zip(header, cells, strict=False)))
    if header is None:
        raise FormatError(N_("The file is empty."))
    if rows == 0:
        raise FormatError(N_("The file has a header line but no rows."))
