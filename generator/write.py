"""Write: verified PDFs -> files in the output directory, each replaced atomically, plus manifest.json.

A file is written to a temporary name in the same directory, flushed to disk, then renamed
over the old one, so a reader (or a crash) never sees half a PDF, and a failed job never
replaces a good earlier file.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

MANIFEST = "manifest.json"
LOCK = ".lock"


class OutputBusy(Exception):
    pass


@contextmanager
def output_lock(out_dir: Path):
    """One writer per output directory. Under the lock, temporary files can only be
    leftovers of a run that was killed, so they are removed."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / LOCK, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputBusy(f"another build is writing to {out_dir}; wait for it to finish") from None
        for leftover in out_dir.rglob(".*.tmp"):
            leftover.unlink(missing_ok=True)
        yield


def _file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


FILE_MODE = _file_mode()  # mkstemp makes 0600 files; outputs are meant to be shared


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def inside(out_dir: Path, relative: str) -> Path:
    """Resolve an output path and refuse anything that would land outside the output directory."""
    root = out_dir.resolve()
    target = (root / relative).resolve()
    if root != target and root not in target.parents:
        raise ValueError(f"output path '{relative}' would leave the output directory")
    return target


def read_manifest(out_dir: Path) -> list[dict]:
    try:
        data = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        return [d for d in data.get("documents", []) if isinstance(d, dict) and "path" in d]
    except (OSError, ValueError, AttributeError):
        return []


def write_manifest(out_dir: Path, built: list[dict]) -> Path:
    """Merge this run's documents into the manifest; keep earlier entries whose files still exist."""
    entries = {d["path"]: d for d in read_manifest(out_dir) if (out_dir / d["path"]).is_file()}
    entries.update({d["path"]: d for d in built})
    documents = [entries[path] for path in sorted(entries)]
    body = json.dumps({"documents": documents}, indent=2, ensure_ascii=False) + "\n"
    path = out_dir / MANIFEST
    atomic_write(path, body.encode("utf-8"))
    return path
