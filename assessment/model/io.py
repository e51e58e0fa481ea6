"""Reading profiles from files or stdin, and writing files atomically."""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml


class InputError(ValueError):
    """A file could not be read or parsed."""


class DuplicateKey(ValueError):
    """A mapping names the same key twice: which one was meant cannot be known."""


class ProfileLoader(yaml.SafeLoader):
    """YAML as a person wrote it: ``45:30`` stays the text 45:30 (not YAML 1.1's base-60 2730),
    ``0123`` stays text (not octal), ``45.30``, ``2.600`` and ``68,5`` stay text for the profile
    to read (it knows durations, decimal commas and thousands), ``yes``/``no``/``on``/``off``
    stay words; only ``true``/``false``, whole numbers, dates and ``null`` are typed. A key
    written twice in one mapping is refused with its line."""

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                continue  # the base class reports unhashable keys itself
            if key in seen:
                raise DuplicateKey(f"line {key_node.start_mark.line + 1}: {key!r} is given twice (first on line "
                                   f"{seen[key]}): keep one")
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)


ProfileLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (
        "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
ProfileLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                    list("tTfF"))
ProfileLoader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"),
                                    list("-+0123456789"))


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for k, v in pairs:
        if k in out:
            raise DuplicateKey(f"{k!r} is given twice: keep one")
        out[k] = v
    return out


def parse_document(text: str, name: str = "<input>") -> Any:
    """JSON or YAML (YAML is a superset of JSON, but JSON errors read better)."""
    stripped = text.lstrip()
    if stripped.startswith("{") or stripped.startswith("["):
        try:
            return json.loads(text, object_pairs_hook=_no_duplicates)
        except json.JSONDecodeError as exc:
            raise InputError(f"{name}: not valid JSON: {exc}") from None
        except DuplicateKey as exc:
            raise InputError(f"{name}: {exc}") from None
    try:
        return yaml.load(text, Loader=ProfileLoader)  # noqa: S506 - a SafeLoader subclass
    except DuplicateKey as exc:
        raise InputError(f"{name}: {exc}") from None
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
