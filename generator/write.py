"""Write: verified PDFs -> files in the output directory, each replaced atomically, plus manifest.json.

A file is written to a temporary name in the same directory, flushed to disk, then renamed
over the old one, so a reader (or a crash) never sees half a PDF, and a failed job never
replaces a good earlier file.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

MANIFEST = "manifest.json"


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
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
