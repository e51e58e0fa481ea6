"""Reading profiles from files or stdin, and writing files atomically."""

from __future__ import annotations

import errno
import json
import os
import stat
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F)}
_CONTROL.update({c: f"\\u{c:04x}" for c in (*range(0x80, 0xA0), 0x2028, 0x2029, 0x202A, 0x202B, 0x202C, 0x202D,
                                            0x202E, 0x2066, 0x2067, 0x2068, 0x2069)})


def printable(text: object) -> str:
    """Text for a terminal line or a CSV cell: control characters, line breaks and bidi
    overrides shown as escapes (``\\x1b``), so that input can never redraw a screen, fake a
    line or reorder what is shown."""
    return str(text).translate(_CONTROL)


class InputError(ValueError):
    """A file could not be read or parsed."""


#: Limits on what is read as a profile, an answers file or a columns map: far above any real
#: one (a profile with 500 races is about 100 kB), low enough that a hostile file is refused
#: at once instead of eating the memory.
MAX_DOCUMENT_BYTES = 4 << 20
MAX_DEPTH = 32


class DocumentTooLarge(ValueError):
    """A document over a limit: too big, nested too deep, or built from YAML aliases."""


class DuplicateKey(ValueError):
    """A mapping names the same key twice: which one was meant cannot be known."""


class ProfileLoader(yaml.SafeLoader):
    """YAML as a person wrote it: ``45:30`` stays the text 45:30 (not YAML 1.1's base-60 2730),
    ``0123`` stays text (not octal), ``45.30``, ``2.600`` and ``68,5`` stay text for the profile
    to read (it knows durations, decimal commas and thousands), ``yes``/``no``/``on``/``off``
    stay words; only ``true``/``false``, whole numbers, dates and ``null`` are typed. A key
    written twice in one mapping is refused with its line."""

    def compose_node(self, parent, index):
        # An alias repeats a node: a few hundred bytes of them expand to gigabytes (a "billion
        # laughs"); a profile never needs one. Nesting is capped for the same reason.
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise DocumentTooLarge(f"line {event.start_mark.line + 1}: YAML aliases (*{event.anchor}) are not "
                                   "accepted in a profile: write the value out")
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                raise DocumentTooLarge(f"nested more than {MAX_DEPTH} levels deep: not a profile")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

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


def _depth_ok(doc: Any) -> bool:
    """True when no list or mapping is nested deeper than MAX_DEPTH (checked without recursion)."""
    stack = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > MAX_DEPTH:
                return False
            stack.extend((v, depth + 1) for v in (node.values() if isinstance(node, dict) else node))
    return True


def parse_document(text: str, name: str = "<input>") -> Any:
    """JSON or YAML (YAML is a superset of JSON, but JSON errors read better).

    Refused with :class:`InputError`: over MAX_DOCUMENT_BYTES, nested deeper than MAX_DEPTH,
    YAML aliases, a key given twice, a number of thousands of digits."""
    if len(text) > MAX_DOCUMENT_BYTES:
        raise InputError(f"{name}: larger than {MAX_DOCUMENT_BYTES >> 20} MB: not a profile")
    stripped = text.lstrip()
    try:
        if stripped.startswith("{") or stripped.startswith("["):
            try:
                doc = json.loads(text, object_pairs_hook=_no_duplicates)
            except json.JSONDecodeError as exc:
                raise InputError(f"{name}: not valid JSON: {exc}") from None
        else:
            try:
                doc = yaml.load(text, Loader=ProfileLoader)  # noqa: S506 - a SafeLoader subclass
            except yaml.YAMLError as exc:
                raise InputError(f"{name}: not valid YAML: {exc}".replace("\n", " ")) from None
    except (DuplicateKey, DocumentTooLarge) as exc:
        raise InputError(f"{name}: {exc}") from None
    except RecursionError:
        raise InputError(f"{name}: nested more than {MAX_DEPTH} levels deep: not a profile") from None
    except ValueError as exc:  # int("9" * 5000): Python refuses numbers of more than 4,300 digits
        raise InputError(f"{name}: a value cannot be read ({str(exc).split(';')[0]})") from None
    if not _depth_ok(doc):
        raise InputError(f"{name}: nested more than {MAX_DEPTH} levels deep: not a profile")
    return doc


def read_document(path: str | Path) -> Any:
    """A YAML or JSON file, or ``-`` for stdin, read up to MAX_DOCUMENT_BYTES (so that
    ``/dev/zero`` or an endless pipe is refused, not read until the memory runs out)."""
    if str(path) == "-":
        stream = sys.stdin
        if stream is None or stream.closed:
            raise InputError("stdin is closed: pipe a profile in, or give a file")
        try:
            raw = stream.buffer.read(MAX_DOCUMENT_BYTES + 1) if hasattr(stream, "buffer") else \
                stream.read(MAX_DOCUMENT_BYTES + 1).encode("utf-8")
        except OSError as exc:
            raise InputError(f"stdin cannot be read: {exc.strerror or exc}") from None
        return parse_document(_decode(raw, "<stdin>"), "<stdin>")
    p = Path(path)
    try:
        with p.open("rb") as fh:
            raw = fh.read(MAX_DOCUMENT_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a profile file") from None
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from None
    return parse_document(_decode(raw, str(path)), str(path))


def _decode(raw: bytes, name: str) -> str:
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise InputError(f"{name}: larger than {MAX_DOCUMENT_BYTES >> 20} MB: not a profile")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{name}: not UTF-8 text") from None


_UMASK: int | None = None


def _umask() -> int:
    # Reading the umask means setting it; do it once, not on every write from every thread.
    global _UMASK
    if _UMASK is None:
        _UMASK = os.umask(0o022)
        os.umask(_UMASK)
    return _UMASK


def write_atomic(path: str | Path, data: str | bytes, encoding: str = "utf-8") -> None:
    """Write to a temporary file beside ``path``, then rename: never a half-written file.

    A symlink is followed (its target is replaced, the link stays); a FIFO, a device or
    ``/dev/stdout`` is written directly (renaming over it would replace it with a file); a
    directory is refused with :class:`IsADirectoryError`."""
    payload = data.encode(encoding) if isinstance(data, str) else data
    try:
        st = os.stat(path)  # follows symlinks: /dev/stdout is the pipe or terminal behind it
    except OSError:
        st = None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, "is a directory: give a file name", str(path))
    special = os.path.abspath(path).startswith(("/dev/", "/proc/"))  # /dev/stdout onto a file: never renamed over
    if st is not None and (special or not stat.S_ISREG(st.st_mode)):
        with open(path, "wb") as fh:  # a FIFO, a terminal, /dev/null: written in place
            fh.write(payload)
        return
    # A symlink to a file (or to a path not made yet) has its target replaced; the link stays.
    target = Path(os.path.realpath(path)) if os.path.islink(path) else Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        # mkstemp creates 0600; give the file the mode a plain open() would (0666 less the umask).
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
