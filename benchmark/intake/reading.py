"""Reading a return file into rows of text, without trusting it.

A CSV must be wholly one encoding; an .xlsx is read sheet by sheet straight from its XML (visible
sheets, saved values, never a formula's text) so that a damaged or hostile file costs little: every
limit of the data standard (`INPUT_LIMITS`) is checked while the file is read, and every failure is
a one-line reason (`FileRejected`), never a traceback.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath
from xml.etree import ElementTree

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel

from benchmark.definitions.standard import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    MAX_SECONDS,
    MAX_UNZIPPED_BYTES,
    InputLimit,
)

# Blank rows do not count towards MAX_ROWS, but reading them still takes time: Excel leaves a few
# hundred at most, so a file with more than this many is refused rather than read to the end.
MAX_BLANK_ROWS = 10 * MAX_ROWS.value
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATIONSHIP = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PACKAGE_RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
# Any run of bytes that is valid UTF-8 beyond ASCII: found in a file that is not valid UTF-8 as a whole,
# it means two encodings are mixed.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_CELL_REFERENCE = re.compile(r"([A-Z]{1,3})(\d+)$")
MAX_SHARED_STRINGS = 1_000_000  # far more than 10,000 rows of 64 columns can use
MAX_OTHER_ELEMENTS = 100_000  # settings, merged cells, validations around the rows: a few hundred in a return


class FileRejected(Exception):
    """The file as a whole cannot be read as a return: the message is the one-line reason."""


class Uncalculated(str):
    """A formula cell that was saved without its value: its text is the formula, never a figure."""


@dataclass(frozen=True)
class SheetInfo:
    name: str
    visible: bool
    path: str


class Deadline:
    """The time limit for reading and checking one file."""

    def __init__(self, seconds: float = MAX_SECONDS.value) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.ends:
            raise FileRejected(_beyond(MAX_SECONDS, f"checking took more than {self.seconds:g} seconds"))


def _beyond(limit: InputLimit, what: str) -> str:
    return f"{what}: a return may have at most {limit.describe} ({limit.reason}). Nothing was read."


def _trimmed(cells: list[str]) -> list[str]:
    """The row without the empty cells Excel leaves after the last value."""
    end = len(cells)
    while end and not cells[end - 1].strip():
        end -= 1
    return cells if end == len(cells) else cells[:end]


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
    first_line = text.lstrip().split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
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


# --- .xlsx ---------------------------------------------------------------------------------------


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
        book = self._parse("xl/workbook.xml", "the workbook's list of sheets")
        targets = {}
        if "xl/_rels/workbook.xml.rels" in names:
            relations = self._parse("xl/_rels/workbook.xml.rels", "the workbook's list of parts")
            targets = {rel.get("Id"): rel.get("Target", "") for rel in relations.iter(_PACKAGE_RELATIONSHIP)}
        properties = book.find(f"{_MAIN}workbookPr")
        date1904 = properties is not None and properties.get("date1904") in ("1", "true")
        self.epoch = MAC_EPOCH if date1904 else WINDOWS_EPOCH
        self.sheets = []
        for sheet in book.iter(f"{_MAIN}sheet"):
            target = targets.get(sheet.get(_RELATIONSHIP), "")
            path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            self.sheets.append(SheetInfo(sheet.get("name", ""), sheet.get("state", "visible") == "visible", path))
        self._strings: list[str] | None = None
        self._dates = self._date_styles() if "xl/styles.xml" in names else set()

    def _open(self, path: str, what: str) -> io.BufferedIOBase:
        try:
            return self.archive.open(path)
        except KeyError:
            raise FileRejected(f"the workbook is damaged: {what} is missing; open it in Excel and save it "
                               "again") from None

    def _parse(self, path: str, what: str) -> ElementTree.Element:
        with self._open(path, what) as part:
            data = part.read()
        _refuse_entities(data, what)
        try:
            return ElementTree.fromstring(data)
        except ElementTree.ParseError as error:
            raise _damaged(what, error) from None

    def _date_styles(self) -> set[int]:
        """Indexes of the cell styles that show a number as a date."""
        styles = self._parse("xl/styles.xml", "its styles")
        formats = dict(BUILTIN_FORMATS)
        for number_format in styles.iter(f"{_MAIN}numFmt"):
            formats[int(number_format.get("numFmtId", "0"))] = number_format.get("formatCode", "")
        cell_formats = styles.find(f"{_MAIN}cellXfs")
        if cell_formats is None:
            return set()
        return {index for index, style in enumerate(cell_formats.iter(f"{_MAIN}xf"))
                if is_date_format(formats.get(int(style.get("numFmtId", "0")), ""))}

    def _shared_strings(self) -> list[str]:
        """The workbook's table of texts, read as a stream (a hostile table of millions of tiny
        texts must not become a tree of millions of elements)."""
        if self._strings is None:
            self._strings = []
            if "xl/sharedStrings.xml" in self.archive.namelist():
                for item in self._stream("xl/sharedStrings.xml", "its shared strings", f"{_MAIN}si"):
                    self._strings.append("".join(text.text or "" for text in item.iter(f"{_MAIN}t")))
                    if len(self._strings) > MAX_SHARED_STRINGS:
                        raise FileRejected(f"the workbook holds more than {MAX_SHARED_STRINGS:,} different texts: "
                                           "it is not a return")
        return self._strings

    def _stream(self, path: str, what: str, tag: str) -> Iterator[ElementTree.Element]:
        """Each `tag` element of an XML part as it is read, cleared once used."""
        with self._open(path, what) as part:
            parser = ElementTree.XMLPullParser(events=("start", "end"))
            parent: ElementTree.Element | None = None
            inside = False
            others = 0
            while chunk := part.read(1 << 16):
                _refuse_entities(chunk, what)
                try:
                    parser.feed(chunk)
                    events = list(parser.read_events())
                except ElementTree.ParseError as error:
                    raise _damaged(what, error) from None
                for event, element in events:
                    if element.tag == tag:
                        inside = event == "start"
                        if event == "end":
                            yield element
                            (parent if parent is not None else element).clear()
                    elif event == "start" and parent is None:
                        parent = element if element.tag in (f"{_MAIN}sheetData", f"{_MAIN}sst") else None
                    elif event == "end" and not inside:
                        others += 1  # kept in memory until the part is read: a hostile part has millions
                        if others > MAX_OTHER_ELEMENTS:
                            raise FileRejected(f"the workbook is not as Excel saves it ({what} holds more than "
                                               f"{MAX_OTHER_ELEMENTS:,} parts that are not rows)")
                self.deadline.check()

    def _text(self, cell: ElementTree.Element) -> str:
        kind = cell.get("t", "n")
        value = cell.find(f"{_MAIN}v")
        raw = value.text if value is not None and value.text is not None else None
        if kind == "inlineStr":
            return "".join(text.text or "" for text in cell.iter(f"{_MAIN}t"))
        if raw is None:
            formula = cell.find(f"{_MAIN}f")
            return Uncalculated("=" + (formula.text or "")) if formula is not None else ""
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
        """The sheet's rows as text, numbered as Excel numbers them."""
        number = 0
        for row in self._stream(sheet.path, f"sheet '{sheet.name}'", f"{_MAIN}row"):
            written = row.get("r", "")
            number = int(written) if written.isdigit() else number + 1
            yield number, self._row_cells(row, number)

    def _row_cells(self, row: ElementTree.Element, number: int) -> list[str]:
        cells: list[str] = []
        for cell in row.iter(f"{_MAIN}c"):
            match = _CELL_REFERENCE.match(cell.get("r", ""))
            position = _column_index(match[1]) if match else len(cells)
            if position >= MAX_COLUMNS.value + 1024:
                text = self._text(cell)
                if text.strip():
                    raise FileRejected(_beyond(MAX_COLUMNS, f"row {number} has a value in column {position + 1:,}"))
                continue
            cells.extend([""] * (position - len(cells)))
            if position == len(cells):
                cells.append(self._text(cell))
        return cells


def _refuse_entities(xml: bytes, what: str) -> None:
    """Excel never declares XML entities; a part that does is built to blow up the parser."""
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        raise FileRejected(f"the workbook is not as Excel saves it ({what} declares XML entities)")


def _damaged(what: str, error: Exception) -> FileRejected:
    return FileRejected(f"the workbook is damaged: {what} cannot be read ({error}); open it in Excel and save it again")


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1
