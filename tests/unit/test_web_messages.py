"""The web clients speak from the one message catalogue (issue 19): `web/i18n/<lang>.json` is what
`make messages` compiles from the .po files, every key the web code asks for is there, the glossary's
terms are not repeated as web strings, and no interface text is written into the JavaScript."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scripts import compile_messages

ROOT = Path(__file__).resolve().parents[2]
WEB_JS = sorted((ROOT / "web" / "js").rglob("*.js"))
DIMENSIONS_ZH = {
    "speed": "处置速度",
    "effectiveness": "处置效果",
    "experience": "服务体验",
    "feedback_quality": "反馈质量",
}

#: `t('key')` and `t(`prefix${…}`)` in the web code (t() reads `web.<key>`)
_LITERAL = re.compile(r"""\bt\((['"])([\w.]+)\1\)""")
_TEMPLATE = re.compile(r"\bt\(`([\w.]*)\$\{")


def _code(path: Path) -> str:
    """A script without its comments (a comment may name a term in Chinese; code may not)."""
    text = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
    return "\n".join(re.split(r"(?:^|\s)//", line, maxsplit=1)[0] for line in text.splitlines())


@pytest.fixture(scope="module")
def compiled() -> dict[str, dict[str, str]]:
    return compile_messages.compile_all()


@pytest.mark.parametrize("lang", sorted(compile_messages.LANGUAGES))
def test_the_committed_json_is_what_the_catalogue_compiles_to(lang: str, compiled: dict[str, dict[str, str]]) -> None:
    # Given the catalogue compiled now / When the committed file is read
    committed = compile_messages.out_path(lang).read_text(encoding="utf-8")
    # Then they are the same, byte for byte (else: edit the .po and run `make messages`)
    assert committed == compile_messages.render(compiled[lang]), f"web/i18n/{lang}.json drifted: run `make messages`"


def test_every_key_the_web_code_uses_is_in_the_catalogue(compiled: dict[str, dict[str, str]]) -> None:
    # Given every t('…') and t(`prefix${…}`) of web/js
    literal = {m[1] for path in WEB_JS for m in _LITERAL.findall(_code(path))}
    prefixes = {m for path in WEB_JS for m in _TEMPLATE.findall(_code(path))}
    assert len(literal) > 200 and {"last", "channel_", "reason_", "callback_", "explain_"} <= prefixes
    # Then each names a web message in every language
    for lang, messages in compiled.items():
        missing = sorted(key for key in literal if f"web.{key}" not in messages)
        assert not missing, f"{lang}: t() keys missing from the catalogue: {missing}"
        empty = sorted(p for p in prefixes if not any(k.startswith(f"web.{p}") for k in messages))
        assert not empty, f"{lang}: no web message starts with {empty}"


def test_the_glossary_names_each_term_once_and_the_web_reads_it(compiled: dict[str, dict[str, str]]) -> None:
    zh = compiled["zh"]
    # the four dimensions by the platform's words, from the glossary only
    assert {d: zh[f"term.dimension.{d}"] for d in DIMENSIONS_ZH} == DIMENSIONS_ZH
    web_keys = [k.removeprefix("web.") for k in zh if k.startswith("web.")]
    # no web string for a glossary code (role_staff, rate_speed, score_speed, status_CLOSED, ...)
    codes = {k.rsplit(".", 1)[1] for k in zh if k.startswith("term.")}
    glossary_words = ("role", "status", "category", "dimension", "rate", "score")
    repeated = [k for k in web_keys if k.split("_", 1)[0] in glossary_words and k.split("_", 1)[-1] in codes]
    assert not repeated, f"glossary terms repeated as web strings: {repeated}"
    assert not [k for k in web_keys if zh[f"web.{k}"] in DIMENSIONS_ZH.values()]


def test_no_interface_text_is_written_into_the_web_code() -> None:
    # Given the scripts without their comments / Then none holds Chinese text: it all comes from the catalogue
    cjk = re.compile(r"[\u4e00-\u9fff]")
    written = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in WEB_JS
        for n, line in enumerate(_code(p).splitlines(), 1)
        if cjk.search(line)
    ]
    assert not written, written


def _write_po(folder: Path, locale: str, entries: dict[str, str]) -> None:
    path = compile_messages.po_path(locale, folder)
    path.parent.mkdir(parents=True)
    body = "".join(f'msgid "{k}"\nmsgstr "{v}"\n\n' for k, v in entries.items())
    path.write_text(f'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n{body}', encoding="utf-8")


@pytest.mark.parametrize(
    "zh, en, complaint",
    [
        ({"web.a": "甲", "web.b": "乙"}, {"web.a": "A"}, "differ in keys: web.b"),
        ({"web.a": "{n}天"}, {"web.a": "{days} days"}, "different placeholders"),
        ({"web.a": ""}, {"web.a": "A"}, "web.a has no text"),
    ],
)
def test_a_catalogue_the_web_cannot_use_is_refused(
    tmp_path: Path, zh: dict[str, str], en: dict[str, str], complaint: str
) -> None:
    # Given a catalogue where a language lacks a key, names other placeholders, or has an empty text
    _write_po(tmp_path, "zh_CN", zh)
    _write_po(tmp_path, "en", en)
    # When it is compiled / Then it is refused, naming the key
    with pytest.raises(compile_messages.CatalogueError, match=complaint):
        compile_messages.compile_all(tmp_path)


def test_the_compiled_files_are_flat_objects_of_text() -> None:
    for lang in compile_messages.LANGUAGES:
        data = json.loads(compile_messages.out_path(lang).read_text(encoding="utf-8"))
        assert data and all(isinstance(v, str) and v for v in data.values())
        assert all(k.startswith(compile_messages.PREFIXES) for k in data)
