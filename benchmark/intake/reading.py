"""Reading a return file into tables of text, without trusting it.

A CSV must be wholly one encoding; an .xlsx is read sheet by sheet straight from its XML (visible
sheets, saved values; a formula is marked, never taken for a figure) by defusedxml's parser, which
refuses a document type or entity declaration wherever it falls. Every limit of the data standard
(`INPUT_LIMITS`) is checked while the file is read, and every failure is a one-line reason
(`FileRejected`), never a traceback. `read_contained` does all of it in a separate process
(benchmark.intake.containment) that is stopped at the time and memory limits, so that not even a
parser stuck in C code can stall the server.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import time
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TypeVar

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import XMLParser as DefusedXMLParser
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel

from benchmark.definitions.standard import (
    COMMON_FIELDS,
    GUIDANCE_SHEET,
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_PART_ELEMENTS,
    MAX_READING_CPU,
    MAX_READING_MEMORY,
    MAX_ROW_CELLS,
    MAX_ROWS,
    MAX_SECONDS,
    MAX_SHARED_STRINGS,
    MAX_SHEET_ELEMENTS,
    MAX_SHEETS,
    MAX_UNZIPPED_BYTES,
    THEMES,
    VALUE_FIELDS,
    Field,
    InputLimit,
)
from benchmark.intake import containment

# Blank rows do not count towards MAX_ROWS, but reading them still takes time: Excel leaves a few
# hundred at most, so a file with more than this many is refused rather than read to the end.
MAX_BLANK_ROWS = 10 * MAX_ROWS.value
HEADER_SEARCH_ROWS = 10  # a header may sit below this many title or instruction rows at most
# The reading process stops itself at its limits (a reason, not a kill); it is killed this long after.
KILL_GRACE_SECONDS = 0.5
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATIONSHIP = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PACKAGE_RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
# Any run of bytes that is valid UTF-8 beyond ASCII: found in a file that is not valid UTF-8 as a whole,
# it means two encodings are mixed.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_CELL_REFERENCE = re.compile(r"([A-Z]{1,3})(\d+)$")
_SEPARATORS_AND_SPACE = " \t\r\n,;\"'"


class FileRejected(Exception):
    """The file as a whole cannot be read as a return: the message is the one-line reason."""


class Formula(str):
    """A workbook cell worked out by a formula: its text is the formula (a return holds values only)."""


class Uncalculated(Formula):
    """A formula cell that was saved without its value: its text is the formula, never a figure."""


@dataclass(frozen=True)
class SheetInfo:
    name: str
    visible: bool
    path: str


class Deadline:
    """The time limit for reading and checking one file; in the reading process also a limit on its
    processor time (wall-clock time alone would refuse a good file on a busy server)."""

    def __init__(self, seconds: float = MAX_SECONDS.value, cpu_seconds: float | None = None) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds
        self.cpu_ends = None if cpu_seconds is None else time.process_time() + cpu_seconds

    def remaining(self) -> float:
        return max(0.0, self.ends - time.monotonic())

    def check(self) -> None:
        if time.monotonic() > self.ends:
            raise FileRejected(out_of_time(self.seconds))
        if self.cpu_ends is not None and time.process_time() > self.cpu_ends:
            raise FileRejected(out_of_processor_time())


def out_of_time(seconds: float) -> str:
    return _beyond(MAX_SECONDS, f"checking took more than {seconds:g} seconds")


def out_of_processor_time() -> str:
    return _beyond(MAX_READING_CPU, f"reading took more than {MAX_READING_CPU.value} seconds of processor time")


def _beyond(limit: InputLimit, what: str) -> str:
    return f"{what}: a return may have at most {limit.describe} ({limit.reason}). Nothing was read."


def _trimmed(cells: list[str]) -> list[str]:
    """The row without the empty cells Excel leaves after the last value."""
    end = len(cells)
    while end and not cells[end - 1].strip():
        end -= 1
    return cells if end == len(cells) else cells[:end]


def normalise_header(text: str) -> str:
    """`Adv Returned 6wk`, ` ADV-RETURNED-6WK ` and `adv_returned_6wk` are the same column."""
    return re.sub(r"[\s\-]+", "_", text.replace("\ufeff", "").strip().lower()).strip("_")


ALL_FIELDS: dict[str, Field] = {**{spec.name: spec for spec in COMMON_FIELDS}, **VALUE_FIELDS}
# A heading people write instead of the column name: the field's label, as a header reads it.
FIELD_BY_LABEL: dict[str, str] = {normalise_header(spec.label): spec.name for spec in ALL_FIELDS.values()}
THEME_BY_SHEET: dict[str, str] = {normalise_header(theme.sheet): theme.id for theme in THEMES.values()}


@dataclass
class Table:
    """The non-blank rows of one CSV or one workbook sheet, header first."""

    sheet: str | None
    rows: list[tuple[int, list[str]]]
    expected_theme: str | None = None  # a workbook sheet named after a theme


@dataclass
class FileContents:
    """What reading found: the tables holding a return, and for a workbook every sheet's name and
    the hidden sheets that hold a return's header (never read)."""

    tables: list[Table]
    workbook: bool = False
    sheets: list[str] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)


def _is_blank(cells: list[str]) -> bool:
    return all(not cell.strip() for cell in cells)


def _known_names(cells: list[str]) -> int:
    return sum(1 for cell in cells if (name := normalise_header(cell)) in ALL_FIELDS or name in FIELD_BY_LABEL)


def header_at(rows: list[tuple[int, list[str]]]) -> int | None:
    """Where the header is: the first of the top rows naming at least two columns of the standard
    (so a title row or a line of instructions above it is skipped)."""
    for position, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if _known_names(cells) >= 2:
            return position
    return None


def _non_blank(rows: Iterator[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:
    return [(number, cells) for number, cells in rows if not _is_blank(cells)]


def bounded(rows: Iterator[tuple[int, list[str]]], deadline: Deadline, where: str = "") -> Iterator[
        tuple[int, list[str]]]:
    """Rows as read, refused as soon as the file breaks a limit on rows, columns or cell length."""
    figures = blanks = 0
    for number, raw in rows:
        cells = _trimmed(raw)
        if not cells:
            blanks += 1
            if blanks > MAX_BLANK_ROWS:
                raise FileRejected(_beyond(MAX_ROWS, f"{where}more than {MAX_BLANK_ROWS:,} blank rows"))
            continue
        figures += 1
        if figures > MAX_ROWS.value + 1:  # the header is not a row of figures
            raise FileRejected(_beyond(MAX_ROWS, f"{where}more than {MAX_ROWS.value:,} rows of figures"))
        if len(cells) > MAX_COLUMNS.value:
            raise FileRejected(_beyond(MAX_COLUMNS, f"{where}row {number} has {len(cells):,} columns"))
        longest = max(len(cell) for cell in cells)
        if longest > MAX_CELL_CHARS.value:
            column = next(i for i, cell in enumerate(cells) if len(cell) == longest) + 1
            raise FileRejected(_beyond(MAX_CELL_CHARS, f"{where}row {number}, column {column} holds "
                                                       f"{longest:,} characters"))
        if figures % 512 == 0:
            deadline.check()
        yield number, cells


def file_kind(file_name: str, content: bytes) -> str:
    """'xlsx' or 'csv', or the reason the file is neither."""
    suffix = PurePath(file_name).suffix.lower()
    if len(content) > MAX_FILE_BYTES.value:
        raise FileRejected(_beyond(MAX_FILE_BYTES, f"the file is {len(content):,} bytes"))
    if not content.strip():
        raise FileRejected("the file is empty")
    if suffix == ".xls":
        raise FileRejected("old-style .xls workbooks cannot be read: save it as .xlsx or CSV")
    if content.startswith(b"PK\x03\x04"):
        return "xlsx"
    if suffix == ".xlsx":
        raise FileRejected("this is not a readable .xlsx workbook: open it in Excel and save it again as .xlsx or CSV")
    if suffix not in ("", ".csv", ".txt"):
        raise FileRejected(f"'{suffix}' files are not returns: upload a .csv or .xlsx file")
    return "csv"


# --- CSV -----------------------------------------------------------------------------------------


def _line_of(content: bytes, position: int) -> int:
    return content.count(b"\n", 0, position) + 1


def decode(content: bytes) -> str:
    """The text of a CSV that is wholly one encoding: UTF-8 (with or without a byte-order mark),
    UTF-16 or UTF-32 with a byte-order mark, or Windows-1252."""
    for mark, encoding, name in ((codecs.BOM_UTF32_LE, "utf-32", "UTF-32"), (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
                                 (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"), (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
                                 (codecs.BOM_UTF8, "utf-8-sig", "UTF-8")):
        if content.startswith(mark):
            try:
                return content.decode(encoding)
            except UnicodeDecodeError as error:
                raise FileRejected(
                    f"the file says it is {name} but byte {error.start:,} is not ({error.reason}): the file is cut "
                    "short or damaged; save it again from Excel as 'CSV UTF-8'") from None
    if b"\x00" in content:
        raise FileRejected("this is not a CSV or .xlsx file (it holds binary data)")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as error:
        bad = error.start
    utf8 = _UTF8_SEQUENCE.search(content)
    if utf8 is not None:
        raise FileRejected(
            f"the file mixes two encodings: line {_line_of(content, utf8.start())} is UTF-8 but line "
            f"{_line_of(content, bad)} is not; save the whole file again from Excel as 'CSV UTF-8'")
    try:
        return content.decode("cp1252")
    except UnicodeDecodeError as error:
        raise FileRejected(
            f"line {_line_of(content, error.start)} holds byte 0x{content[error.start]:02X}, which is a character "
            "in neither UTF-8 nor Windows-1252: save the file again from Excel as 'CSV UTF-8'") from None


def csv_rows(content: bytes, deadline: Deadline) -> Iterator[tuple[int, list[str]]]:
    """The rows of a CSV, numbered as a spreadsheet numbers them (a quoted line break stays in its cell)."""
    text = decode(content)
    if not text.strip():
        raise FileRejected("the file is empty")
    if not text.strip(_SEPARATORS_AND_SPACE):
        raise FileRejected("the file holds only separators (commas, semicolons, tabs or quotes) and no values: "
                           "save the return again from Excel or start from a template")
    first_line = text.lstrip().split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(_lines_within_limits(text, delimiter), delimiter=delimiter)
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if "field larger than field limit" in str(error):
                raise FileRejected(_beyond(MAX_CELL_CHARS, f"row {number + 1} holds a cell of more than "
                                                           f"{csv.field_size_limit():,} characters")) from None
            raise FileRejected(f"row {number + 1} cannot be read as CSV ({error}): save it again from Excel") from None
        number += 1
        yield number, cells


def _lines_within_limits(text: str, delimiter: str) -> Iterator[str]:
    """The file's lines, each refused before it becomes a row if it has more separators than a row
    may have cells (a line of millions of commas would be a list of millions of empty cells)."""
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if line.count(delimiter) >= MAX_ROW_CELLS.value:
            raise FileRejected(_beyond(MAX_ROW_CELLS, f"line {number} has {line.count(delimiter) + 1:,} cells"))
        yield line


def _csv_tables(content: bytes, deadline: Deadline) -> list[Table]:
    rows = _non_blank(bounded(csv_rows(content, deadline), deadline))
    if not rows:
        return []
    return [Table(None, rows[header_at(rows) or 0:])]


# --- .xlsx ---------------------------------------------------------------------------------------


class _Part:
    """What defusedxml's parser calls for one XML part: counts the part's elements as they start and
    refuses the part beyond its limit, before a hostile run of elements costs time or memory."""

    def __init__(self, what: str, limit: InputLimit = MAX_PART_ELEMENTS) -> None:
        self.what = what
        self.limit = limit
        self.elements = 0

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self.elements += 1
        if self.elements > self.limit.value:
            raise FileRejected(_beyond(self.limit, f"{self.what} holds more than {self.limit.value:,} XML elements"))
        self.opened(tag, attrib)

    def opened(self, tag: str, attrib: dict[str, str]) -> None:
        """One element starts (after counting)."""

    def end(self, tag: str) -> None:
        """One element ends."""

    def data(self, text: str) -> None:
        """Text inside the current element."""

    def close(self) -> None:
        return None


class _SheetList(_Part):
    def __init__(self) -> None:
        super().__init__("the workbook's list of sheets")
        self.sheets: list[tuple[str, str, str]] = []  # name, state, relationship id
        self.date1904 = False

    def opened(self, tag: str, attrib: dict[str, str]) -> None:
        if tag == f"{_MAIN}sheet":
            if len(self.sheets) >= MAX_SHEETS.value:
                raise FileRejected(_beyond(MAX_SHEETS, f"the workbook has more than {MAX_SHEETS.value:,} sheets"))
            self.sheets.append((attrib.get("name", ""), attrib.get("state", "visible"), attrib.get(_RELATIONSHIP, "")))
        elif tag == f"{_MAIN}workbookPr":
            self.date1904 = attrib.get("date1904") in ("1", "true")


class _Relations(_Part):
    def __init__(self) -> None:
        super().__init__("the workbook's list of parts")
        self.targets: dict[str, str] = {}

    def opened(self, tag: str, attrib: dict[str, str]) -> None:
        if tag == _PACKAGE_RELATIONSHIP:
            self.targets[attrib.get("Id", "")] = attrib.get("Target", "")


class _Styles(_Part):
    def __init__(self) -> None:
        super().__init__("the styles part")
        self.formats: dict[int, str] = dict(BUILTIN_FORMATS)
        self.cell_formats: list[int] = []  # the number format of each cell style, in order
        self.in_cell_formats = False

    def opened(self, tag: str, attrib: dict[str, str]) -> None:
        if tag == f"{_MAIN}numFmt":
            self.formats[int(attrib.get("numFmtId", "0"))] = attrib.get("formatCode", "")
        elif tag == f"{_MAIN}cellXfs":
            self.in_cell_formats = True
        elif tag == f"{_MAIN}xf" and self.in_cell_formats:
            self.cell_formats.append(int(attrib.get("numFmtId", "0")))

    def end(self, tag: str) -> None:
        if tag == f"{_MAIN}cellXfs":
            self.in_cell_formats = False


class _SharedStrings(_Part):
    """The workbook's table of texts (each `si` is one text, the `t` inside it its pieces)."""

    def __init__(self) -> None:
        super().__init__("the shared-texts part", MAX_SHEET_ELEMENTS)
        self.strings: list[str] = []
        self.pieces: list[str] = []
        self.length = 0
        self.in_text = False

    def opened(self, tag: str, attrib: dict[str, str]) -> None:
        if tag == f"{_MAIN}si":
            if len(self.strings) >= MAX_SHARED_STRINGS.value:
                raise FileRejected(_beyond(MAX_SHARED_STRINGS, f"the workbook holds more than "
                                                               f"{MAX_SHARED_STRINGS.value:,} different texts"))
            self.pieces, self.length = [], 0
        self.in_text = tag == f"{_MAIN}t"

    def data(self, text: str) -> None:
        if self.in_text:
            self.length += len(text)
            if self.length > MAX_CELL_CHARS.value:
                raise FileRejected(_beyond(MAX_CELL_CHARS, f"text {len(self.strings) + 1:,} of the workbook holds "
                                                           f"more than {MAX_CELL_CHARS.value:,} characters"))
            self.pieces.append(text)

    def end(self, tag: str) -> None:
        if tag == f"{_MAIN}si":
            self.strings.append("".join(self.pieces))
        elif tag == f"{_MAIN}t":
            self.in_text = False


class _SheetRows(_Part):
    """One sheet's rows as text, built cell by cell as the parser reads them: nothing of a row is
    kept but its cells' texts, and a row is refused at its cell beyond the limit."""

    def __init__(self, book: Workbook, what: str) -> None:
        super().__init__(what, MAX_SHEET_ELEMENTS)
        self.book = book
        self.outside_rows = 0
        self.ready: list[tuple[int, list[str]]] = []  # rows finished since the consumer last looked
        self.number = 0
        self.in_row = False
        self.cells: list[str] = []
        self.row_cells = 0
        self.cell: dict[str, str] = {}
        self.collecting: str | None = None  # "v", "f" or "t" while inside one
        self.pieces: dict[str, list[str]] = {}
        self.length = 0
        self.formula = False

    def opened(self, tag: str, attrib: dict[str, str]) -> None:
        name = tag[len(_MAIN):] if tag.startswith(_MAIN) else ""
        if name == "c" and self.in_row:
            self.row_cells += 1
            if self.row_cells > MAX_ROW_CELLS.value:
                raise FileRejected(_beyond(MAX_ROW_CELLS, f"{self.what}: row {self.number:,} has more than "
                                                          f"{MAX_ROW_CELLS.value:,} cells"))
            self.cell, self.pieces, self.length, self.formula = attrib, {"v": [], "f": [], "t": []}, 0, False
        elif name == "row":
            written = attrib.get("r", "")
            self.number = int(written) if written.isdigit() else self.number + 1
            self.in_row, self.cells, self.row_cells = True, [], 0
        elif name in ("v", "f", "t") and self.in_row:
            self.collecting = name
            self.formula |= name == "f"
        elif not self.in_row:
            self.outside_rows += 1  # settings, merged cells, validations: a few hundred where Excel saves them
            if self.outside_rows > MAX_PART_ELEMENTS.value:
                raise FileRejected(_beyond(MAX_PART_ELEMENTS, f"{self.what} holds more than "
                                                              f"{MAX_PART_ELEMENTS.value:,} XML elements outside its "
                                                              "rows"))

    def data(self, text: str) -> None:
        if self.collecting is not None:
            self.length += len(text)
            if self.length > MAX_CELL_CHARS.value:
                raise FileRejected(_beyond(MAX_CELL_CHARS, f"{self.what}: row {self.number:,} holds a cell of more "
                                                           f"than {MAX_CELL_CHARS.value:,} characters"))
            self.pieces[self.collecting].append(text)

    def end(self, tag: str) -> None:
        if tag in (f"{_MAIN}v", f"{_MAIN}f", f"{_MAIN}t"):
            self.collecting = None
        elif tag == f"{_MAIN}c" and self.in_row:
            self._place(self.book.cell_text(self.cell, self.pieces, self.formula))
        elif tag == f"{_MAIN}row":
            self.ready.append((self.number, self.cells))
            self.in_row = False

    def _place(self, text: str) -> None:
        match = _CELL_REFERENCE.match(self.cell.get("r", ""))
        position = _column_index(match[1]) if match else len(self.cells)
        if position >= MAX_COLUMNS.value + 1024:
            if text.strip():
                raise FileRejected(_beyond(MAX_COLUMNS, f"row {self.number} has a value in column {position + 1:,}"))
            return
        self.cells.extend([""] * (position - len(self.cells)))
        if position == len(self.cells):
            self.cells.append(text)


PartT = TypeVar("PartT", bound=_Part)


class Workbook:
    """An .xlsx read straight from its XML parts, within the limits, one sheet at a time."""

    def __init__(self, content: bytes, deadline: Deadline) -> None:
        self.deadline = deadline
        try:
            self.archive = zipfile.ZipFile(io.BytesIO(content))
            unpacked = sum(info.file_size for info in self.archive.infolist())
        except (zipfile.BadZipFile, ValueError, OSError):
            raise FileRejected("this is not a CSV or .xlsx file (a damaged zip archive)") from None
        if unpacked > MAX_UNZIPPED_BYTES.value:
            raise FileRejected(_beyond(MAX_UNZIPPED_BYTES, f"the workbook unpacks to {unpacked:,} bytes"))
        names = set(self.archive.namelist())
        if "xl/workbook.xml" not in names:
            raise FileRejected("this is not a CSV or .xlsx file (a zip archive of something else)")
        book = self._parse("xl/workbook.xml", _SheetList())
        targets = {}
        if "xl/_rels/workbook.xml.rels" in names:
            targets = self._parse("xl/_rels/workbook.xml.rels", _Relations()).targets
        self.epoch = MAC_EPOCH if book.date1904 else WINDOWS_EPOCH
        self.sheets = []
        for name, state, relationship in book.sheets:
            target = targets.get(relationship, "")
            path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            self.sheets.append(SheetInfo(name, state == "visible", path))
        self._strings: list[str] | None = None
        self._has_strings = "xl/sharedStrings.xml" in names
        self._dates = self._date_styles() if "xl/styles.xml" in names else set()

    def _open(self, path: str, what: str) -> io.BufferedIOBase:
        try:
            return self.archive.open(path)
        except KeyError:
            raise FileRejected(f"the workbook is damaged: {what} is missing; open it in Excel and save it "
                               "again") from None

    def _feed(self, path: str, target: _Part) -> Iterator[None]:
        """Feed one part to defusedxml's parser a piece at a time; yields after each piece."""
        parser = DefusedXMLParser(target=target, forbid_dtd=True)
        with self._open(path, target.what) as part:
            try:
                while chunk := part.read(1 << 16):
                    parser.feed(chunk)
                    yield
                    self.deadline.check()
                parser.close()
            except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden):
                raise FileRejected(f"the workbook is not as Excel saves it ({target.what} declares a document type "
                                   "or XML entities, which Excel never writes)") from None
            except ParseError as error:
                raise _damaged(target.what, error) from None
        yield

    def _parse(self, path: str, target: PartT) -> PartT:
        for _ in self._feed(path, target):
            pass
        return target

    def _date_styles(self) -> set[int]:
        """Indexes of the cell styles that show a number as a date."""
        styles = self._parse("xl/styles.xml", _Styles())
        return {index for index, number_format in enumerate(styles.cell_formats)
                if is_date_format(styles.formats.get(number_format, ""))}

    def _shared_strings(self) -> list[str]:
        if self._strings is None:
            self._strings = self._parse("xl/sharedStrings.xml", _SharedStrings()).strings if self._has_strings \
                else []
        return self._strings

    def cell_text(self, cell: dict[str, str], pieces: dict[str, list[str]], formula: bool) -> str:
        """A cell's text as Excel shows it; a formula's cell is a `Formula` whatever it saved."""
        kind = cell.get("t", "n")
        raw = "".join(pieces["v"]) if pieces["v"] else None
        if formula:
            written = "".join(pieces["f"])
            if raw is None and kind != "inlineStr":
                return Uncalculated("=" + written)
            return Formula("=" + written if written else "=(a formula copied from another cell)")
        if kind == "inlineStr":
            return "".join(pieces["t"])
        if raw is None:
            return ""
        if kind == "s":
            strings = self._shared_strings()
            index = int(raw) if raw.isdigit() else -1
            if not 0 <= index < len(strings):
                raise FileRejected(f"the workbook is damaged: cell {cell.get('r', '')} points to a missing text")
            return strings[index]
        if kind == "b":
            return "TRUE" if raw == "1" else "FALSE"
        if kind != "n":
            return raw
        try:
            number = float(raw)
        except ValueError:
            return raw
        if int(cell.get("s", "0")) in self._dates:
            try:
                return from_excel(number, self.epoch).date().isoformat()
            except (ValueError, OverflowError):
                return raw
        return str(int(number)) if number.is_integer() and abs(number) < 1e15 else raw

    def rows(self, sheet: SheetInfo) -> Iterator[tuple[int, list[str]]]:
        """The sheet's rows as text, numbered as Excel numbers them, as the sheet is read."""
        target = _SheetRows(self, f"sheet '{sheet.name}'")
        for _ in self._feed(sheet.path, target):
            ready, target.ready = target.ready, []
            yield from ready


def _workbook_contents(content: bytes, deadline: Deadline) -> FileContents:
    """The visible sheets that hold a return: one per theme, a Guidance sheet and any sheet
    without a header of the standard (instructions, working) ignored."""
    book = Workbook(content, deadline)
    contents = FileContents([], workbook=True, sheets=[sheet.name for sheet in book.sheets])
    for sheet in book.sheets:
        name = normalise_header(sheet.name)
        if name == normalise_header(GUIDANCE_SHEET):
            continue
        where = f"sheet '{sheet.name}': "
        # The top of each sheet first: a working or instructions sheet is never read to its end.
        top = _non_blank(itertools.islice(bounded(book.rows(sheet), deadline, where), HEADER_SEARCH_ROWS))
        expected_theme = THEME_BY_SHEET.get(name)
        if header_at(top) is None and (expected_theme is None or not sheet.visible):
            continue  # no header of the standard
        if not sheet.visible:
            contents.hidden.append(sheet.name)
            continue
        rows = _non_blank(bounded(book.rows(sheet), deadline, where))
        contents.tables.append(Table(sheet.name, rows[header_at(rows) or 0:], expected_theme))
    return contents


def read_tables(file_name: str, content: bytes, seconds: float = MAX_SECONDS.value,
                cpu_seconds: float | None = None) -> FileContents:
    """Read a CSV or workbook into tables within every limit, in this process."""
    deadline = Deadline(seconds, cpu_seconds)
    if file_kind(file_name, content) == "csv":
        return FileContents(_csv_tables(content, deadline))
    try:
        return _workbook_contents(content, deadline)
    except (ValueError, KeyError, IndexError, EOFError, RuntimeError, OSError, zlib.error,
            zipfile.BadZipFile) as error:
        # Whatever else a damaged or hostile archive raises while it is unpacked and read.
        raise FileRejected(f"the workbook is damaged ({type(error).__name__}: {str(error)[:80]}); open it "
                           "in Excel and save it again") from None


def prewarm() -> None:
    """Start the reading process ahead of the first upload (the server calls this as it starts)."""
    containment.prewarm(MAX_READING_MEMORY.value, (__name__,))


def read_contained(file_name: str, content: bytes, deadline: Deadline) -> FileContents:
    """`read_tables` in a separate process, stopped at the time and memory limits whatever the parser does."""
    seconds = deadline.remaining()
    try:
        return containment.run(read_tables, file_name, content, seconds, MAX_READING_CPU.value,
                               seconds=seconds + KILL_GRACE_SECONDS, cpu_seconds=MAX_READING_CPU.value,
                               memory_bytes=MAX_READING_MEMORY.value, warm=(__name__,))
    except containment.ContainedFailure as failure:
        if failure.kind == "time":
            raise FileRejected(out_of_time(deadline.seconds)) from None
        if failure.kind == "processor time":
            raise FileRejected(out_of_processor_time()) from None
        if failure.kind == "memory":
            raise FileRejected(_beyond(MAX_READING_MEMORY, "reading the file needed more memory")) from None
        if failure.kind == "busy":
            raise FileRejected("the server is reading other files just now: nothing was read; try again in a "
                               "minute") from None
        raise FileRejected(f"the file could not be read ({failure}): open it in Excel and save it again") from None


def _damaged(what: str, error: Exception) -> FileRejected:
    return FileRejected(f"the workbook is damaged: {what} cannot be read ({error}); open it in Excel and save it again")


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1
