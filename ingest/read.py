"""Read one landing file through its profile into a frame of text columns (file-level faults raise FileFault).

CSV: decoded with the profile's encoding (UTF-8 with or without BOM, UTF-16 with BOM, Latin-1, cp1252), every
column read as text; a header-less file takes its column names from the profile's `headers:`. Parquet: native columns are kept (the contract step types them). Excel: the entity's sheet via fastexcel,
every cell as text (date cells arrive as ISO text, the contract step also accepts Excel serial numbers).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import polars as pl

from ingest.profiles import EntityMapping, Profile

UTF8_NAMES = {"utf-8", "utf8", "utf-8-sig", "utf_8", "utf8-sig"}
UTF16_BOMS = {b"\xff\xfe": "UTF-16 little-endian", b"\xfe\xff": "UTF-16 big-endian"}
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")


class FileFault(Exception):
    """A fault of the whole file (unreadable, empty, truncated, wrong encoding, missing sheet or column).

    The message names the file and the fault; nothing of the file is loaded."""

    def __init__(self, file: str, fault: str):
        super().__init__(f"{file}: {fault}")
        self.file = file
        self.fault = fault


def decode_text(data: bytes, encoding: str, file: str) -> str:
    """Decode a text extract, refusing bytes that show the profile's encoding is wrong."""
    enc = encoding.lower().replace("_", "-")
    bom = UTF16_BOMS.get(data[:2])
    if enc.startswith("utf-16"):
        if bom is None and enc == "utf-16":
            raise FileFault(file, "wrong encoding: the profile says utf-16 but the file has no UTF-16 byte order mark "
                                  "(FF FE or FE FF); name the byte order: utf-16-le or utf-16-be")
        try:
            return data.decode(enc)
        except UnicodeDecodeError as exc:
            raise FileFault(file, f"wrong encoding: not valid {encoding} (byte {exc.start})") from None
    if bom is not None:
        raise FileFault(file, f"wrong encoding: the file is {bom} (it starts with the byte order mark "
                              f"{data[:2].hex(' ').upper()}); the profile says {encoding}: set format.encoding: "
                              "utf-16")
    if enc in UTF8_NAMES:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            position = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)  # utf-8-sig drops the BOM first
            line = data[:position].count(b"\n") + 1
            raise FileFault(file, f"wrong encoding: not valid UTF-8 (byte 0x{data[position]:02x} at line {line}); "
                                  f"the profile says {encoding}") from None
    if data.startswith(b"\xef\xbb\xbf"):
        raise FileFault(file, f"wrong encoding: the file starts with a UTF-8 byte order mark; the profile says {encoding}")
    if _UTF8_MULTIBYTE.search(data):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            raise FileFault(file, f"wrong encoding: the file is UTF-8 (multi-byte characters); the profile says {encoding}")
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise FileFault(file, f"wrong encoding: cannot decode as {encoding}: {exc}") from None


def _is_utf8(fmt: dict) -> bool:
    return fmt.get("encoding", "utf-8").lower().replace("_", "-") in UTF8_NAMES


def _first_ragged_row(text: str, delimiter: str, skip_rows: int) -> tuple[int, int, int] | None:
    """(data row, fields, header fields) of the first row with more fields than the header, else None."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    for _ in range(skip_rows):
        next(reader, None)
    header = next(reader, [])
    for number, row in enumerate(reader, start=1):
        if len(row) > len(header):
            return number, len(row), len(header)
    return None


def read_csv_text(path: Path, fmt: dict, file: str, headers: tuple[str, ...] | None = None) -> pl.DataFrame:
    """Every column of a delimited extract as text; header names stripped of blanks and BOMs. With `headers`, the
    file has no header row and these name its columns in order."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileFault(file, f"unreadable file: {exc.strerror}") from None
    if not data:
        raise FileFault(file, "empty file: no header and no rows (0 bytes: the extract was not written; "
                              "ask the source system to resend it)")
    blank = b" \t\r\n\xef\xbb\xbf\xff\xfe\x00"
    if not data[:4096].strip(blank) and not data.strip(blank):  # the whole file only when its start is blank
        raise FileFault(file, "empty file: no header and no rows")
    encoding = fmt.get("encoding", "utf-8")
    if _is_utf8(fmt) and data[:2] not in UTF16_BOMS:
        # UTF-8 as delivered: Polars checks every byte as it parses, and only the lines looked at here are decoded
        # (a file that is not UTF-8 is then decoded whole by decode_text, which names the byte and line)
        payload = data.removeprefix(b"\xef\xbb\xbf")
    else:
        payload = decode_text(data, encoding, file).encode("utf-8")

    def text_of(part: bytes) -> str:
        try:
            return part.decode("utf-8")
        except UnicodeDecodeError:
            decode_text(data, encoding, file)  # raises the FileFault that says where
            raise

    delimiter = fmt.get("delimiter", ",")
    skip_rows = int(fmt.get("skip_rows", 0))
    start = 0  # the header line's first byte: past skip_rows line ends (a large file's lines are never counted)
    for _ in range(skip_rows):
        start = payload.find(b"\n", start) + 1
        if not start:
            break
    if (skip_rows and not start) or (start == len(payload) and payload.endswith(b"\n")):
        raise FileFault(file, f"empty file: fewer than {skip_rows + 1} lines, no header row")
    end = payload.find(b"\n", start)
    header_line = text_of(payload[start:end if end >= 0 else len(payload)]).rstrip("\r")
    header_fields = next(csv.reader([header_line], delimiter=delimiter), [])
    first = "first row" if headers else "header"
    if len(header_fields) < 2 and len(header_line) > 0 and delimiter not in header_line and (
            headers is None or len(headers) > 1):
        # One header field only: almost always the wrong delimiter.
        raise FileFault(file, f"{first} {header_line[:80]!r} has no {delimiter!r} delimiter; "
                              "wrong delimiter or not a delimited file")
    if headers is not None and len(header_fields) != len(headers):
        raise FileFault(file, f"the first row has {len(header_fields)} fields but the profile's headers list "
                              f"{len(headers)}; wrong delimiter, or the file has other columns than declared")
    if headers is None:
        names = [h.strip().lstrip("\ufeff").strip() for h in header_fields]
        repeated = sorted({h for h in names if names.count(h) > 1})
        if repeated:
            raise FileFault(file, f"ambiguous header: column name(s) {', '.join(map(repr, repeated))} appear more "
                                  "than once; the source system must name each column once")
    if not payload.endswith((b"\n", b"\r")):
        last_break = max(payload.rfind(b"\n"), payload.rfind(b"\r"))
        data_rows = payload.count(b"\n") - skip_rows  # complete lines after the header
        if last_break >= 0 and data_rows >= 1:
            last = next(csv.reader([text_of(payload[last_break + 1:])], delimiter=delimiter), [])
            if len(last) < len(header_fields):
                raise FileFault(file, f"truncated file: the last line (data row {data_rows}) has "
                                      f"{len(last)} of {len(header_fields)} fields and no line end")
    try:
        # bytes, not a BytesIO: Polars parses bytes in parallel in place (a file object costs it four times as much)
        frame = pl.read_csv(payload, separator=delimiter, has_header=headers is None,
                            new_columns=list(headers) if headers else None,
                            infer_schema=False, skip_rows=skip_rows, quote_char=fmt.get("quote", '"'))
    except pl.exceptions.ComputeError as exc:
        text = text_of(payload)  # not UTF-8: the FileFault names the byte and line
        ragged = _first_ragged_row(text, delimiter, skip_rows)
        if ragged:
            raise FileFault(file, f"malformed row: data row {ragged[0]} has {ragged[1]} fields, "
                                  f"the header has {ragged[2]}") from None
        raise FileFault(file, f"unreadable CSV: {str(exc).splitlines()[0]}") from None
    return frame.rename({c: c.strip().lstrip("\ufeff").strip() for c in frame.columns})


def read_parquet(path: Path, file: str) -> pl.DataFrame:
    """A Parquet extract with its native column types."""
    if path.stat().st_size == 0:
        raise FileFault(file, "empty file: 0 bytes")
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # polars raises several types for corrupt files
        raise FileFault(file, f"unreadable or truncated Parquet file: {str(exc).splitlines()[0]}") from None
    return frame.rename({c: c.strip() for c in frame.columns})


def read_excel_sheet(path: Path, sheet: str, fmt: dict, file: str) -> pl.DataFrame:
    """One sheet of a workbook, every cell as text."""
    import fastexcel

    if path.stat().st_size == 0:
        raise FileFault(file, "empty file: 0 bytes")
    try:
        reader = fastexcel.read_excel(str(path))
    except Exception as exc:
        raise FileFault(file, f"unreadable or truncated Excel workbook: {str(exc).splitlines()[0]}") from None
    if sheet not in reader.sheet_names:
        raise FileFault(file, f"Excel sheet {sheet!r} missing (sheets: {', '.join(reader.sheet_names)})")
    try:
        frame = reader.load_sheet(sheet, header_row=int(fmt.get("header_row", 0)), dtypes="string").to_polars()
    except Exception as exc:
        raise FileFault(file, f"sheet {sheet!r} unreadable: {str(exc).splitlines()[0]}") from None
    if frame.width == 0:
        raise FileFault(file, f"sheet {sheet!r} is empty: no header row")
    frame = frame.with_columns(pl.col(c).cast(pl.String) for c in frame.columns)
    return frame.rename({c: str(c).strip() for c in frame.columns})


def read_source_frame(path: Path, profile: Profile, sheet: str | None, file: str,
                      mapping: EntityMapping | None = None) -> pl.DataFrame:
    """The file's rows as delivered (text columns, Parquet native), before mapping and typing. `mapping`: the
    entity's mapping, whose `headers` name the columns of a header-less file."""
    if not path.is_file():
        raise FileFault(file, "file not found")
    kind = profile.file_type
    if kind == "csv":
        return read_csv_text(path, profile.format, file, mapping.headers if mapping else None)
    if kind == "parquet":
        return read_parquet(path, file)
    return read_excel_sheet(path, sheet, profile.format, file)
