"""The ``zegama`` command: one thin module per command group over the library.

Modules: ``main`` (the group, lazy command table, shared options), ``activities`` (``import``), ``assess``, ``batch``, ``estimate``,
``interview``, ``plan``, ``progress``, ``rules``, ``serve``, ``template``. May import anything; nothing imports it.
"""

from .main import main

__all__ = ["main"]
