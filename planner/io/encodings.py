"""Decoding planners' text files: UTF-8 (with or without BOM), else GB18030, never guessed past that."""

from __future__ import annotations

import re
from pathlib import Path

from planner.errors import InputError

__all__ = ["decode_text"]

_UTF8_CJK = re.compile(rb"[\xe3-\xe9][\x80-\xbf]{2}")  # U+3000..U+9FFF in UTF-8


def decode_text(p: Path, data: bytes, what: str, advice: str) -> tuple[str, str]:
    """
    Decode ``data`` as UTF-8 (BOM or not), else GB18030; return (text, encoding).

    Refuses, naming the file and both encodings, text that is neither, and text
    that mixes UTF-8 with another encoding (GB18030 accepts many UTF-8 byte runs
    and would turn those parts into mojibake without a word).
    """
    encoding = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError:
        pass
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            f"{p}: UTF-16 text (Excel's 'Unicode Text'), not UTF-8 or GB18030; tried utf-8 and gb18030; "
            f"expected {what} in UTF-8 or GBK: {advice}"
        )
    lines = data.splitlines()
    bad_utf8 = next((n for n, line in enumerate(lines, 1) if not _decodes(line, "utf-8")), 1)
    utf8_lines = strong = 0
    nonascii = 0
    for line in lines:
        if line.isascii():
            continue
        nonascii += 1
        if _decodes(line, "utf-8"):
            cjk = len(_UTF8_CJK.findall(line))
            utf8_lines += cjk >= 2
            strong += cjk >= 3
    if strong or (utf8_lines and utf8_lines >= 0.05 * nonascii):
        good = next(
            n
            for n, line in enumerate(lines, 1)
            if not line.isascii() and _decodes(line, "utf-8") and len(_UTF8_CJK.findall(line)) >= 2
        )
        raise InputError(
            f"{p}: mixes UTF-8 with another encoding (line {good} is UTF-8, line {bad_utf8} is not); "
            f"tried utf-8 and gb18030; expected {what} in one encoding: {advice}"
        )
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        pass
    n, line = next(((n, line) for n, line in enumerate(lines, 1) if not _decodes(line, "gb18030")), (1, data))
    byte = next((b for b in line if b >= 0x80), 0)
    try:
        line.decode("gb18030")
    except UnicodeDecodeError as exc:
        byte = line[exc.start]
    raise InputError(
        f"{p}: not UTF-8 or GB18030 (GBK) text (line {n}, byte 0x{byte:02x}); tried utf-8 and gb18030; "
        f"expected {what} in UTF-8 or GBK: {advice}"
    )


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True
