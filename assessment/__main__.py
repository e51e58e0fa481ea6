"""``python -m assessment`` works like ``zegama``."""

from .cli.main import main

if __name__ == "__main__":  # pragma: no cover
    main(prog_name="zegama")
