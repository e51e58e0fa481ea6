"""``zegama serve``: the web app (questionnaire, coach's squad, HTTP API) on uvicorn, its store in --data."""

from __future__ import annotations

import sys

import click

from .main import load_pack_or_exit, parse_date


def _read_password(name: str) -> str:
    """From a prompt (twice) on a terminal, else the first line of stdin: never from the command line."""
    if sys.stdin is not None and sys.stdin.isatty():
        return click.prompt(f"Password for {name}", hide_input=True, confirmation_prompt=True)
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.rstrip("\r\n")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (behind a proxy: keep 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--data", "data_dir", default="zegama-data", show_default=True, metavar="DIR",
              help="The store's folder (SQLite), created on first start.")
@click.option("--create-coach", metavar="NAME", help="Create a coach (password from a prompt or stdin) and exit.")
@click.option("--secure-cookies", is_flag=True, help="Send cookies over HTTPS only (set it behind a TLS proxy).")
@click.option("--forwarded-allow-ips", metavar="IPS", default=None,
              help="Proxies whose X-Forwarded-For/-Proto to trust (e.g. 127.0.0.1), for rate limits by client.")
@click.option("--access-log", is_flag=True,
              help="Log every request (off by default: a runner's private link is in the path).")
@click.option("--as-of", callback=parse_date, metavar="DATE", help="Assessment date for every report (default: today).")
@click.option("--rules", "rules_path", metavar="PATH", help="A custom rule pack folder (may extend the built-in one).")
def serve_cmd(host, port, data_dir, create_coach, secure_cookies, forwarded_allow_ips, access_log, as_of, rules_path):
    """Serve the questionnaire, the coach's squad and the HTTP API.

    Everything is kept in DIR/zegama.sqlite3 and nothing is sent elsewhere; see docs/serve.md for
    what is stored, a reverse proxy with TLS, and backups.

    \b
    Examples:
        zegama serve --data /srv/zegama --create-coach maite     # once: asks for a password
        zegama serve --data /srv/zegama --port 8000

    \b
    Exit codes: 0 stopped, 1 the store or the coach cannot be made, 2 usage error.
    """
    from ..web.pages import Settings
    from ..web.security import hash_password
    from ..web.store import Store, StoreError

    try:
        store = Store(data_dir)
    except StoreError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    if create_coach is not None:
        name = create_coach.strip()
        if not name or len(name) > 100:
            raise click.BadParameter("a name of 1 to 100 characters", param_hint="--create-coach")
        password = _read_password(name)
        if len(password) < 10:
            click.echo("Error: the password needs at least 10 characters", err=True)
            sys.exit(1)
        try:
            store.add_coach(name, hash_password(password))
        except StoreError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
        click.echo(f"Coach {name} created in {store.path}")
        return
    rb = load_pack_or_exit(rules_path)
    import uvicorn

    from ..web.app import create_app

    app = create_app(Settings(data_dir=store.folder, secure_cookies=secure_cookies, as_of=as_of, rulebase=rb))
    click.echo(f"zegama serve: http://{host}:{port}/ (store {store.path}); Ctrl-C stops", err=True)
    try:
        uvicorn.run(app, host=host, port=port, proxy_headers=forwarded_allow_ips is not None,
                    forwarded_allow_ips=forwarded_allow_ips, log_level="info", server_header=False,
                    access_log=access_log)
    except OSError as exc:
        click.echo(f"Error: cannot serve on {host}:{port}: {exc.strerror or exc}", err=True)
        sys.exit(1)
    except SystemExit as exc:  # uvicorn exits when it cannot bind, after logging why
        if exc.code:
            click.echo(f"Error: cannot serve on {host}:{port} (the line above says why)", err=True)
            sys.exit(1)
