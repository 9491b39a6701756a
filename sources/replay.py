"""Replay: the recorded twin of every live source, reading the same bytes from a folder.

A replay folder has one sub-folder per source, named by kind::

    DIR/prices/<SYMBOL>.csv      (the ^ stays in the name: DIR/prices/^RUT.csv)
    DIR/edgar/…  DIR/nasdaq/…  DIR/fred/…

``ReplayFolder`` is the small generic reader every replay source uses, so that "no such
sub-folder" and "no such file" read the same for all of them and name the path. The replay
sources hand the bytes to the same parsers the live clients use: a replay run differs from a
live one only in where the bytes come from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sources.price_csv import parse_price_csv
from sources.prices import (
    LineReject,
    PriceBatch,
    PriceFormatError,
    PriceSourceError,
    concat_price_frames,
)


class ReplayError(RuntimeError):
    """The replay folder, one of its sub-folders or a file in it is missing or unreadable."""


class ReplayFileMissing(ReplayError, FileNotFoundError):
    """A file the caller asked for is not in the replay folder (callers may treat it as a gap)."""


class ReplayFolder:
    """Read ``root/<kind>/<name>`` files with errors that name what was looked for."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise ReplayError(f"replay folder {self.root} does not exist or is not a folder")

    def kind_dir(self, kind: str) -> Path:
        """``root/kind``, or a ``ReplayError`` listing the sub-folders that do exist."""
        path = self.root / kind
        if not path.is_dir():
            present = sorted(p.name + "/" for p in self.root.iterdir() if p.is_dir())
            raise ReplayError(
                f"replay folder {self.root} has no {kind}/ sub-folder "
                f"(expected {path}/…; it has: {', '.join(present) or 'no sub-folders'})"
            )
        return path

    def path(self, kind: str, name: str) -> Path:
        """The path of ``name`` under ``root/kind``; ``name`` must be a plain file name."""
        if not name or name in {".", ".."} or "/" in name or "\\" in name:
            raise ReplayError(f"{name!r} is not a plain file name (looked up under {kind}/)")
        return self.kind_dir(kind) / name

    def has(self, kind: str, name: str) -> bool:
        return self.path(kind, name).is_file()

    def read_bytes(self, kind: str, name: str) -> bytes:
        path = self.path(kind, name)
        if not path.is_file():
            raise ReplayFileMissing(f"replay file {path} is missing")
        try:
            return path.read_bytes()
        except OSError as exc:
            raise ReplayError(f"cannot read replay file {path}: {exc.strerror or exc}") from exc

    def list(self, kind: str, pattern: str = "*") -> list[Path]:
        """Files under ``root/kind`` matching the glob ``pattern``, sorted by name."""
        return sorted(p for p in self.kind_dir(kind).glob(pattern) if p.is_file())


class ReplayPriceSource:
    """Daily bars read from ``folder/prices/<SYMBOL>.csv`` in any layout ``parse_price_csv`` knows.

    A symbol without a file, whose file cannot be read (an HTML error page saved as ``IWM.csv``,
    a cut line, an unknown layout), or whose file has no rows in the range, is reported in
    ``missing_symbols`` with one note ``"<SYMBOL>: <path and reason>"`` (the live source cannot
    always deliver every symbol either): one damaged file removes its own symbol, never the
    others. A folder without a ``prices/`` sub-folder is an error.
    """

    KIND = "prices"

    def __init__(self, folder: Path | str) -> None:
        try:
            self.folder = ReplayFolder(folder)
            self.folder.kind_dir(self.KIND)
        except ReplayError as exc:
            raise PriceSourceError(str(exc)) from exc
        self.name = f"replay:{self.folder.root.name}"

    def fetch(self, symbols: Sequence[str], start: dt.date, end: dt.date) -> PriceBatch:
        wanted = tuple(dict.fromkeys(symbols))
        if end < start:
            raise ValueError(f"end {end} is before start {start}")
        frames: list[pd.DataFrame] = []
        missing: list[str] = []
        notes: list[str] = []
        damaged: list[tuple[str, str]] = []
        rejected: list[LineReject] = []
        for symbol in wanted:
            name = f"{symbol}.csv"
            if not self.folder.has(self.KIND, name):
                missing.append(symbol)
                notes.append(f"{symbol}: no file {self.folder.path(self.KIND, name)}")
                continue
            path = self.folder.path(self.KIND, name)
            lines: list[LineReject] = []
            try:
                whole = parse_price_csv(
                    self.folder.read_bytes(self.KIND, name), symbol, origin=str(path),
                    rejects=lines,
                )  # fmt: skip
            except (PriceFormatError, ReplayError) as exc:  # this symbol only
                missing.append(symbol)
                notes.append(f"{symbol}: {exc}")
                damaged.append((symbol, str(exc)))
                continue
            # a line that could not be read is quarantined by the runs whose window holds
            # its date (one whose date does not parse, by every run that reads the file)
            rejected += [
                r for r in lines
                if r.date is None or pd.Timestamp(start) <= r.date <= pd.Timestamp(end)
            ]  # fmt: skip
            frame = whole.loc[whole["date"].between(pd.Timestamp(start), pd.Timestamp(end))]
            if frame.empty:
                missing.append(symbol)
                covers = (
                    f"it covers {whole['date'].min():%Y-%m-%d} → {whole['date'].max():%Y-%m-%d}"
                    if not whole.empty
                    else "it has no rows"
                )
                notes.append(f"{symbol}: {path} has no rows from {start} to {end} ({covers})")
                continue
            frames.append(frame)
        return PriceBatch(
            concat_price_frames(frames),
            wanted,
            tuple(missing),
            self.name,
            tuple(notes),
            tuple(damaged),
            tuple(rejected),
        )
