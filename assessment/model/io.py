"""Reading profiles from files or stdin, and writing files atomically."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml


class InputError(ValueError):
    """A file could not be read or parsed."""


def parse_document(text: str, name: str = "<input>") -> Any:
    """JSON or YAML (YAML is a superset of JSON, but JSON errors read better)."""
    stripped = text.lstrip()
    if stripped.startswith("{") or stripped.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{name}: not valid JSON: {exc}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{name}: not valid YAML: {exc}".replace("\n", " ")) from None


def read_document(path: str | Path) -> Any:
    """A YAML or JSON file, or ``-`` for stdin."""
    if str(path) == "-":
        return parse_document(sys.stdin.read(), "<stdin>")
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror}") from None
    return parse_document(text, str(path))


_UMASK: int | None = None


def _umask() -> int:
    # Reading the umask means setting it; do it once, not on every write from every thread.
    global _UMASK
    if _UMASK is None:
        _UMASK = os.umask(0o022)
        os.umask(_UMASK)
    return _UMASK


def write_atomic(path: str | Path, data: str | bytes, encoding: str = "utf-8") -> None:
    """Write to a temporary file beside ``path``, then rename: never a half-written file."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        # mkstemp creates 0600; give the file the mode a plain open() would (0666 less the umask).
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode(encoding) if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
