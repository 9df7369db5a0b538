"""Compile the message catalogue's `.po` files to the `.mo` files the platform reads (`minyi.text`).

Babel reads and checks each `.po` (a placeholder a translation lacks or adds is an error) and writes its
`.mo` next to it. `--check` writes nothing and fails when a committed `.mo` differs from what its
`.po` compiles to (the drift test runs the same comparison).

    python -m scripts.compile_mo [--check]
"""

from __future__ import annotations

import argparse
import io
import string
import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent.parent / "src" / "minyi" / "locale"


def catalogues() -> dict[str, Path]:
    return {po.parent.parent.name: po for po in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/minyi.po"))}


def read(po: Path) -> Catalog:
    with po.open("rb") as source:
        catalog = read_po(source, locale=po.parent.parent.name)
    # the .po has no POT-Creation-Date: Babel would stamp "now" into the .mo, so it would drift every minute
    catalog.creation_date = _EPOCH
    return catalog


_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def compiled(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def problems() -> list[str]:
    """Keys present in one language and missing in another, and placeholders that differ."""
    found: list[str] = []
    texts = {locale: {m.id: m.string for m in read(po) if m.id} for locale, po in catalogues().items()}
    every = set().union(*texts.values()) if texts else set()
    for locale, entries in texts.items():
        for key in sorted(every - set(entries)):
            found.append(f"{locale}: {key} missing")
        for key, text in entries.items():
            if not text:
                found.append(f"{locale}: {key} has no text")
    reference = texts.get("zh_CN", {})
    for locale, entries in texts.items():
        for key, text in entries.items():
            if key in reference and placeholders(str(text)) != placeholders(str(reference[key])):
                found.append(f"{locale}: {key} placeholders differ from zh_CN")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when a committed .mo is stale")
    args = parser.parse_args(argv)
    errors = problems()
    for po in catalogues().values():
        mo = po.with_suffix(".mo")
        data = compiled(read(po))
        if args.check:
            if not mo.exists() or mo.read_bytes() != data:
                errors.append(f"{mo.relative_to(LOCALE_DIR.parent.parent.parent)} is stale: run `make messages`")
        elif not mo.exists() or mo.read_bytes() != data:
            mo.write_bytes(data)
    for error in errors:
        print(error, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
