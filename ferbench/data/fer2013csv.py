"""A vectorised reader of Kaggle's ``fer2013.csv`` (``emotion,pixels,Usage``; 48x48 gray).

The file is ~290 MB of decimal text. Splitting each row's 2,304 numbers in Python costs
seconds; here numpy tokenises blocks of whole lines (~0.5 MB) at a time:

* every byte that is a digit followed by a non-digit ends a number; its value is read off
  the (at most three) digits before it;
* every byte that is neither a digit nor a space is a marker: newlines delimit rows, commas
  delimit columns, and a marker inside the pixels column is a non-numeric pixel;
* a row is well formed when it has two commas, one number before the first, exactly 2,304
  numbers in 0..255 between them and a known Usage after the second.

Well-formed rows are kept; every other row becomes a problem naming its file line.
Row ``N`` (0-based) is file line ``N + 2``; FER+ relabels the rows in this order.
"""

from __future__ import annotations

import mmap
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ferbench.core.dataset import DatasetFormatError
from ferbench.core.labels import LabelMap
from ferbench.data.problems import Problems

SIDE = 48
PIXELS = SIDE * SIDE
HEADER = ("emotion", "pixels", "Usage")
USAGES = ("Training", "PublicTest", "PrivateTest")
BLOCK_BYTES = 1 << 19
"""Bytes tokenised per numpy pass: small enough to stay in cache, large enough to amortise."""

_NEWLINE, _SPACE, _COMMA, _ZERO = b"\n ,0"


FER2013_CODES = LabelMap("fer2013", {0: "anger", 1: "disgust", 2: "fear", 3: "happiness",
                                     4: "sadness", 5: "surprise", 6: "neutral"})
"""The CSV's emotion codes: 0 Angry, 1 Disgust, 2 Fear, 3 Happy, 4 Sad, 5 Surprise, 6 Neutral."""


@dataclass(frozen=True)
class Fer2013Rows:
    """The well-formed rows of a FER2013 CSV, in file order."""

    rows: np.ndarray
    """int64: 0-based data row of each kept row (file line − 2)."""
    codes: np.ndarray
    """int64: the emotion code as written (0 Angry … 6 Neutral, not yet validated)."""
    usage: np.ndarray
    """str: Training, PublicTest or PrivateTest."""
    images: np.ndarray
    """uint8 (N, 48, 48)."""
    data_rows: int
    """Data rows in the file, well formed or not (trailing blank lines excluded)."""


def read_fer2013_csv(path: Path, problems: Problems) -> Fer2013Rows:
    """Parse ``path``; malformed rows are dropped and recorded in ``problems``.

    A wrong header raises :class:`DatasetFormatError` at once: nothing below it can be read.
    The file is memory-mapped rather than read: copying 290 MB into fresh pages costs more
    than a third of the parse.
    """
    with open(path, "rb") as handle:
        if not os.fstat(handle.fileno()).st_size:
            return _parse(b"", path, problems)
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            return _parse(mapped, path, problems)


def _parse(raw: bytes | mmap.mmap, path: Path, problems: Problems) -> Fer2013Rows:
    header_end = raw.find(b"\n")
    _check_header(path, raw[: header_end if header_end >= 0 else len(raw)])
    start, stop = header_end + 1, len(raw)
    while stop > start and raw[stop - 1] in b"\r\n":  # trailing blank lines are no rows
        stop -= 1
    if start and stop > start and raw.find(b"\n", stop) < 0:
        raw = raw[:] + b"\n"  # the last row lacks its newline; blocks end with one
    tokenizer = _Tokenizer(BLOCK_BYTES)
    # A well-formed row spends at least two bytes per pixel, which bounds the rows kept;
    # pages of the unused tail are never touched, so over-allocating costs nothing.
    images = np.empty((max(stop - start, 0) // (2 * PIXELS) + 1, PIXELS), np.uint8)
    blocks, line, kept = [], 2, 0
    while 0 < start < stop:
        end = raw.find(b"\n", min(start + BLOCK_BYTES, stop) - 1) + 1
        blocks.append(_parse_block(raw, start, end, line, path, problems, tokenizer,
                                   images[kept:]))
        line, start, kept = line + blocks[-1].lines, end, kept + len(blocks[-1].rows)
    return Fer2013Rows(
        rows=np.concatenate([b.rows for b in blocks] or [np.zeros(0, np.int64)]),
        codes=np.concatenate([b.codes for b in blocks] or [np.zeros(0, np.int64)]),
        usage=np.concatenate([b.usage for b in blocks] or [np.zeros(0, str)]),
        images=images[:kept].reshape(-1, SIDE, SIDE),
        data_rows=line - 2,
    )


def _check_header(path: Path, header: bytes) -> None:
    names = header.decode("utf-8", "replace").lstrip("\ufeff").strip().split(",")
    if [name.strip() for name in names] != list(HEADER):
        raise DatasetFormatError(
            f"{path} line 1: expected the header {','.join(HEADER)!r}, found "
            f"{header[:80].decode('utf-8', 'replace').strip()!r}; is this Kaggle's fer2013.csv?"
        )


class _Tokenizer:
    """Finds the numbers and markers of a block, in work arrays allocated once per file.

    Fresh temporaries per block would make the allocator return their pages to the system
    and fault them in again for the next block, which costs more than the arithmetic.
    """

    def __init__(self, capacity: int):
        self.capacity = 0
        self._grow(capacity)

    def _grow(self, capacity: int) -> None:
        self.capacity = capacity
        self.digit = np.empty(capacity, np.uint8)
        self.units = np.empty(capacity, np.uint8)
        self.is_digit = np.empty(capacity, bool)
        self.flags = np.empty(capacity, bool)
        self.pair = np.empty(capacity, bool)
        self.value = np.empty(capacity, np.uint16)
        self.scaled = np.empty(capacity, np.uint16)

    def __call__(self, text: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(ends, values, too_long, markers)`` of ``text``, which ends with a newline.

        ``ends``: position of the last digit of each number; ``values``: its value from its
        last three digits; ``too_long``: it has more than three; ``markers``: positions of
        the bytes that are neither digits nor spaces.
        """
        n = len(text)
        if n > self.capacity:
            self._grow(n)
        digit, is_digit, flags = self.digit[:n], self.is_digit[:n], self.flags[:n]
        np.subtract(text, _ZERO, out=digit)
        np.less(digit, 10, out=is_digit)
        np.not_equal(text, _SPACE, out=flags)
        np.greater(flags, is_digit, out=flags)
        markers = np.flatnonzero(flags)
        np.greater(is_digit[:-1], is_digit[1:], out=flags[:-1])  # a digit, then a non-digit
        ends = np.flatnonzero(flags[:-1])
        values, too_long = self._values(n, ends)
        return ends, values, too_long, markers

    def _values(self, n: int, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each byte's value as the last digit of a number — its digit, plus ten times the
        digit before, plus a hundred times the one before that while they are digits — in
        a few contiguous passes (far cheaper than gathering neighbours per number), then
        read off at ``ends``."""
        digit, is_digit = self.digit[:n], self.is_digit[:n]
        units, pair, value, scaled = self.units[:n], self.pair[:n - 1], self.value[:n], self.scaled
        np.multiply(digit, is_digit, out=units)
        np.logical_and(is_digit[:-1], is_digit[1:], out=pair)  # bytes i and i + 1 are digits
        np.copyto(value, units)
        np.multiply(units[:-1], np.uint16(10), out=scaled[: n - 1])
        value[1:] += scaled[: n - 1]
        hundreds = digit[: max(n - 2, 0)]  # the digits are no longer needed: reuse them
        np.multiply(units[:-2], pair[:-1], out=hundreds)
        np.multiply(hundreds, np.uint16(100), out=scaled[: len(hundreds)])
        value[2:] += scaled[: len(hundreds)]
        four_digits = self.flags[: max(n - 3, 0)]
        np.logical_and(pair[:-2], pair[2:], out=four_digits)  # bytes i .. i + 3 are digits
        too_long = np.zeros(len(ends), dtype=bool)
        if four_digits.any():
            too_long[np.searchsorted(ends, np.flatnonzero(four_digits) + 3)] = True
        return value[ends], too_long


@dataclass
class _Block:
    lines: int
    rows: np.ndarray
    codes: np.ndarray
    usage: np.ndarray


def _parse_block(raw: bytes | mmap.mmap, start: int, end: int, first_line: int, path: Path,
                 problems: Problems, tokenizer: _Tokenizer, images: np.ndarray) -> _Block:
    """Parse the whole lines ``raw[start:end]``, the first being file line ``first_line``.

    The pixels of the well-formed rows go to the first rows of ``images``.
    """
    block = memoryview(raw)[start:end]
    text = np.frombuffer(block, np.uint8)
    ends, values, too_long, markers = tokenizer(text)
    marker_bytes = text[markers]
    newlines = markers[marker_bytes == _NEWLINE]
    commas = markers[marker_bytes == _COMMA]
    line_starts = np.concatenate(([0], newlines[:-1] + 1))
    first_comma = np.searchsorted(commas, line_starts)
    n_commas = np.searchsorted(commas, newlines) - first_comma
    bad: dict[int, str] = {}

    def count(positions: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        return np.searchsorted(positions, hi) - np.searchsorted(positions, lo)

    for i in np.flatnonzero(n_commas != 2):
        blank = not bytes(block[line_starts[i]: newlines[i]]).strip()
        bad[i] = "empty row" if blank else (
            f"expected 3 comma-separated columns (emotion,pixels,Usage), found {n_commas[i] + 1}")
    ok = np.flatnonzero(n_commas == 2)
    c1, c2 = commas[first_comma[ok]], commas[first_comma[ok] + 1]
    first_pixel = np.searchsorted(ends, c1)
    n_pixels = count(ends, c1, c2)
    code_ok = (count(ends, line_starts[ok], c1) == 1) & (count(markers, line_starts[ok], c1) == 0)
    code_ok[code_ok] = ~too_long[first_pixel[code_ok] - 1]
    foreign = count(markers, c1 + 1, c2) > 0
    out_of_range = _rows_with_bad_numbers(too_long | (values > 255), first_pixel, n_pixels)
    for j in np.flatnonzero(~code_ok | foreign | (n_pixels != PIXELS) | out_of_range):
        if not code_ok[j]:
            field = bytes(block[line_starts[ok[j]]: c1[j]]).decode("utf-8", "replace")
            bad[ok[j]] = f"emotion {field.strip()!r} is not an integer code"
        elif foreign[j]:
            token = _first_non_number(bytes(block[c1[j] + 1: c2[j]]))
            bad[ok[j]] = f"non-numeric pixel value {token!r}"
        elif n_pixels[j] != PIXELS:
            bad[ok[j]] = f"expected {PIXELS} pixel values (48x48), found {n_pixels[j]}"
        else:
            bad[ok[j]] = _out_of_range_message(values, too_long, first_pixel[j], n_pixels[j])
    usage = np.array([
        raw[start + c2[j] + 1: start + newlines[ok[j]]].strip().decode("utf-8", "replace")
        for j in range(len(ok))
    ], dtype=object)
    for j in np.flatnonzero(~np.isin(usage, USAGES)):
        bad.setdefault(ok[j], f"Usage {usage[j]!r} is not one of {', '.join(USAGES)}")
    for i in sorted(bad):
        problems.add(f"{path} line {first_line + i}", bad[i])
    good = ~np.isin(ok, list(bad))
    _copy_pixels(values, first_pixel[good], images, all_good=not bad)
    return _Block(
        lines=len(newlines),
        rows=(first_line - 2 + ok[good]).astype(np.int64),
        codes=values[first_pixel[good] - 1].astype(np.int64),
        usage=usage[good].astype(str),
    )


def _rows_with_bad_numbers(bad_number: np.ndarray, first: np.ndarray,
                           count: np.ndarray) -> np.ndarray:
    """For each row whose numbers are ``first[j] : first[j] + count[j]``, whether any is bad."""
    flagged = np.zeros(len(first), dtype=bool)
    numbers = np.flatnonzero(bad_number)
    if not len(first) or not len(numbers):
        return flagged
    row = np.searchsorted(first, numbers, side="right") - 1
    inside = (row >= 0) & (numbers < first[np.maximum(row, 0)] + count[np.maximum(row, 0)])
    flagged[row[inside]] = True
    return flagged


def _copy_pixels(values: np.ndarray, first: np.ndarray, out: np.ndarray, all_good: bool) -> None:
    """Write the 2,304 numbers starting at number ``first[j]`` into row ``j`` of ``out``."""
    per_row = PIXELS + 1  # the emotion code, then the pixels
    if all_good and len(values) == len(first) * per_row:
        out[: len(first)] = values.reshape(-1, per_row)[:, 1:]
    else:
        out[: len(first)] = values[first[:, None] + np.arange(PIXELS)]


def _first_non_number(field: bytes) -> str:
    """The first space-delimited token of a pixels field that is not a plain number."""
    token = next((t for t in field.split() if not t.isdigit()), b"")
    return token[:20].decode("utf-8", "replace")


def _out_of_range_message(values: np.ndarray, too_long: np.ndarray, first: int,
                          count: int) -> str:
    window = slice(first, first + count)
    pixel = int(np.flatnonzero(too_long[window] | (values[window] > 255))[0])
    if too_long[first + pixel]:
        return f"pixel {pixel} has more than 3 digits (values are 0..255)"
    return f"pixel {pixel} is {int(values[first + pixel])}, out of range 0..255"
