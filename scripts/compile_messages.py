"""Compile the web clients' strings from the message catalogue to `web/i18n/<lang>.json` (`make messages`).

The citizen app and the staff console speak from the same gettext catalogue as the server
(`src/minyi/locale/<locale>/LC_MESSAGES/minyi.po`): their own strings (`web.*`) and the glossary
(`term.*`: the four rating dimensions, the statuses, the roles, the categories), so a term reads the same
on a page, in an SMS and in a staff note. The browser cannot read .po files, so this script writes each
language's messages as one flat JSON object (msgid -> text), committed and served as static files
(`web/js/i18n.js` loads them before the first render; the service worker caches them).

`tests/unit/test_web_messages.py` fails when the committed JSON differs from what the catalogue compiles
to (someone edited one and not the other) or when a key the web code uses is missing. Placeholders are
brace fields (`{n}`), replaced by the clients.

    python -m scripts.compile_messages           # write web/i18n/*.json
    python -m scripts.compile_messages --check   # exit 1 when they are not what the catalogue compiles to
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
LOCALE_DIR = ROOT / "src" / "minyi" / "locale"
OUT_DIR = ROOT / "web" / "i18n"
#: the web clients' language codes (localStorage `minyi.lang`) -> the catalogue's locales
LANGUAGES = {"zh": "zh_CN", "en": "en"}
#: what the web clients read from the catalogue: their own strings and the glossary
PREFIXES = ("web.", "term.")
_FIELD = re.compile(r"\{(\w*)\}")


class CatalogueError(ValueError):
    """The catalogue cannot be compiled for the web (a missing text, a placeholder one language lacks)."""


def po_path(locale: str, locale_dir: Path = LOCALE_DIR) -> Path:
    return locale_dir / locale / "LC_MESSAGES" / "minyi.po"


def read_messages(locale: str, locale_dir: Path = LOCALE_DIR) -> dict[str, str]:
    """The web's messages of one locale, in catalogue order; an empty or fuzzy text is an error."""
    path = po_path(locale, locale_dir)
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=locale)
    out: dict[str, str] = {}
    for message in catalogue:
        key = message.id
        if not isinstance(key, str) or not key.startswith(PREFIXES):
            continue
        if not isinstance(message.string, str) or not message.string or message.fuzzy:
            raise CatalogueError(f"{path.name} ({locale}): {key} has no text")
        out[key] = message.string
    return out


def compile_all(locale_dir: Path = LOCALE_DIR) -> dict[str, dict[str, str]]:
    """Every language's messages; each language has the same keys with the same placeholders."""
    compiled = {lang: read_messages(locale, locale_dir) for lang, locale in LANGUAGES.items()}
    reference_lang, reference = next(iter(compiled.items()))
    for lang, messages in compiled.items():
        missing = sorted(set(reference) ^ set(messages))
        if missing:
            raise CatalogueError(f"{lang} and {reference_lang} differ in keys: {', '.join(missing)}")
        for key, text in messages.items():
            if set(_FIELD.findall(text)) != set(_FIELD.findall(reference[key])):
                raise CatalogueError(f"{key}: {lang} and {reference_lang} name different placeholders")
    return compiled


def render(messages: dict[str, str]) -> str:
    """One language's JSON file: sorted keys, one a line, UTF-8 (stable, reviewable diffs)."""
    return json.dumps(messages, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def out_path(lang: str) -> Path:
    return OUT_DIR / f"{lang}.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="compare with web/i18n/*.json, write nothing")
    args = parser.parse_args(argv)
    try:
        compiled = compile_all()
    except CatalogueError as exc:
        print(f"compile_messages: {exc}", file=sys.stderr)
        return 1
    stale = []
    for lang, messages in compiled.items():
        path, text = out_path(lang), render(messages)
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(str(path.relative_to(ROOT)))
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"compile_messages: wrote {path.relative_to(ROOT)} ({len(messages)} messages)")
    if stale:
        print(f"compile_messages: {', '.join(stale)} differ from the catalogue: run `make messages`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
