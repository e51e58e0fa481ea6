"""The web app (``zegama serve``): the questionnaire in a browser, a coach's squad over time, and an HTTP API.

Modules: ``app`` (``create_app``: routes, defences, errors), ``pages`` (settings, templates, CSRF, the
CLI's JSON errors), ``forms`` (the interview's questionnaire as web forms), ``runner`` (a runner's
private link: answers, report, download, delete), ``coach`` (sign-in, roster upload through the
batch, squad, history), ``trend`` (scores across re-tests), ``api`` (``/api/assess``, ``/api/estimate``,
``/api/schema``), ``store`` (SQLite and its migrations), ``security`` (CSRF, cookies, limits,
passwords). Imports ``model``, ``rules``, ``report``, ``pipeline``, ``estimate``, ``plan``, ``batch``,
``interview`` and ``schemas``.
"""

from .app import create_app
from .pages import Settings

__all__ = ["Settings", "create_app"]
