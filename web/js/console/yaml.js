// The catalogue's YAML, read in the browser, so an admin uploads the same file the CLI imports
// (data/catalog/*.yaml, `minyi catalog export`). The API takes JSON and the Lambda layer has no YAML
// parser (nor should it, for one page), and the console loads no third-party code: so this reads the
// YAML a catalogue is written in, as PyYAML's safe loader (the CLI's) reads it, and refuses the rest
// by its line: block mappings and sequences (indentless ones too, as PyYAML writes them), flow
// `{…}` / `[…]`, plain and quoted scalars (folded over lines), comments, YAML 1.1's plain types
// (yes/no/on/off are booleans, `1e5` is text, `010` octal). Not read: anchors and aliases, tags,
// `|` / `>` block scalars, complex keys, several documents, dates. tests/browser/test_catalog_page.py
// holds it to PyYAML on the repo's catalogue and on every construct it reads.

export class YamlError extends Error {
  constructor(line, reason) {
    super(`line ${line}: ${reason}`);
    this.line = line;
    this.reason = reason;
  }
}

const NULL = /^(?:~|null|Null|NULL|)$/;
const TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const INT = /^[-+]?(?:0|[1-9][0-9_]*)$/;
const OCTAL = /^[-+]?0[0-7_]+$/;
const HEX = /^[-+]?0x[0-9a-fA-F_]+$/;
const BINARY = /^[-+]?0b[01_]+$/;
const FLOAT = /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?)$/;
const NOT_JSON = /^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const SEXAGESIMAL = /^(?:[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*)$/;
const DATE = /^(?:\d{4}-\d\d-\d\d|\d{4}-\d\d?-\d\d?(?:[Tt]|[ \t]+)\d\d?:\d\d:\d\d(?:\.\d*)?(?:[ \t]*(?:Z|[-+]\d\d?(?::\d\d)?))?)$/;
const ESCAPES = { '0': '\0', a: '\x07', b: '\b', t: '\t', '\t': '\t', n: '\n', v: '\v', f: '\f', r: '\r', e: '\x1b',
  ' ': ' ', '"': '"', '/': '/', '\\': '\\', N: '\x85', _: '\xa0', L: '\u2028', P: '\u2029' };
const HEX_ESCAPES = { x: 2, u: 4, U: 8 };
const UNSUPPORTED = { '&': 'anchors', '*': 'aliases', '!': 'tags', '|': 'block scalars (|)', '>': 'block scalars (>)',
  '?': 'complex keys', '%': 'directives', '@': 'a reserved character', '`': 'a reserved character' };

/** A plain scalar's value, as PyYAML's safe loader resolves it (YAML 1.1). */
function resolve(text, line) {
  if (NULL.test(text)) return null;
  if (TRUE.test(text)) return true;
  if (FALSE.test(text)) return false;
  const sign = text.startsWith('-') ? -1 : 1;
  const digits = text.replace(/^[-+]/, '').replaceAll('_', '');
  let number = null;
  if (INT.test(text)) number = sign * Number(digits);
  else if (HEX.test(text)) number = sign * parseInt(digits.slice(2), 16);
  else if (BINARY.test(text)) number = sign * parseInt(digits.slice(2), 2);
  else if (OCTAL.test(text)) number = sign * parseInt(digits, 8);
  else if (FLOAT.test(text)) return sign * Number(digits);
  else if (NOT_JSON.test(text) || SEXAGESIMAL.test(text) || DATE.test(text)) {
    throw new YamlError(line, `${text} is no catalogue value: quote it to mean text`);
  }
  if (number === null) return text;
  if (!Number.isSafeInteger(number)) throw new YamlError(line, `${text} is too large a number: quote it`);
  return number;
}

class Reader {
  constructor(source) {
    this.s = source.replace(/^\ufeff/, '').replace(/\r\n?/g, '\n');
    this.pos = 0;
  }

  get line() { return this.s.slice(0, this.pos).split('\n').length; }
  get column() { return this.pos - (this.s.lastIndexOf('\n', this.pos - 1) + 1); }
  get ch() { return this.s[this.pos]; }
  get eof() { return this.pos >= this.s.length; }
  fail(reason) { throw new YamlError(this.line, reason); }
  at(text) { return this.s.startsWith(text, this.pos); }
  /** A character that ends a plain scalar's `:` or a `-` indicator: a space or the end of the line. */
  blankAt(i) { return i >= this.s.length || this.s[i] === ' ' || this.s[i] === '\n' || this.s[i] === '\t'; }

  /** Spaces (and a comment) to the end of this line; false when something else is on it. */
  restOfLineBlank() {
    while (this.ch === ' ' || this.ch === '\t') this.pos += 1;
    if (this.ch === '#') while (!this.eof && this.ch !== '\n') this.pos += 1;
    return this.eof || this.ch === '\n';
  }

  /** To the next line with content (blank lines and comments skipped); its column, or -1 at the end. */
  nextContent() {
    for (;;) {
      if (!this.restOfLineBlank()) return this.column;
      if (this.eof) return -1;
      this.pos += 1;
      while (this.ch === ' ') this.pos += 1;
      if (this.ch === '\t') this.fail('a tab indents this line: indent with spaces');
      if (this.at('---') && this.column === 0 && this.blankAt(this.pos + 3)) {
        if (this.started) this.fail('a second document');
        this.started = true;
        this.pos += 3;
        continue;
      }
      if (this.at('...') && this.column === 0 && this.blankAt(this.pos + 3)) {
        this.pos += 3;
        if (this.nextContent() !== -1) this.fail('content after the end of the document');
        return -1;
      }
    }
  }

  document() {
    while (this.ch === ' ') this.pos += 1;
    if (this.at('---') && this.blankAt(this.pos + 3)) this.pos += 3; // a first line `---`
    const column = this.restOfLineBlank() ? this.nextContent() : this.column;
    this.started = true; // from here on, a `---` starts a second document
    if (column === -1) return null;
    if (this.at('%')) this.fail('directives are not read');
    const value = this.block(column, -1);
    if (this.nextContent() !== -1) this.fail('content where the document should end (check the indentation)');
    return value;
  }

  /** A node starting at the current position (column `column`), inside a parent indented `parent`. */
  block(column, parent) {
    if (this.ch === '-' && this.blankAt(this.pos + 1)) return this.sequence(column);
    if (this.keyAhead()) return this.mapping(column);
    return this.inline(parent);
  }

  /** Whether a mapping key starts here: a scalar followed by `:` and a blank, on this line. */
  keyAhead() {
    const start = this.pos;
    try {
      if (this.ch === '"' || this.ch === "'") this.quoted(true);
      else if (this.ch === '[' || this.ch === '{') return false;
      else this.plainKey();
      while (this.ch === ' ') this.pos += 1;
      return this.ch === ':' && this.blankAt(this.pos + 1);
    } catch (err) {
      if (err instanceof YamlError) return false;
      throw err;
    } finally {
      this.pos = start;
    }
  }

  plainKey() {
    const start = this.pos;
    while (!this.eof && this.ch !== '\n' && !(this.ch === ':' && this.blankAt(this.pos + 1))
      && !(this.ch === '#' && this.s[this.pos - 1] === ' ')) this.pos += 1;
    return this.s.slice(start, this.pos).trimEnd();
  }

  key() {
    const line = this.line;
    if (this.ch in UNSUPPORTED) this.fail(`${UNSUPPORTED[this.ch]} are not read`);
    const key = (this.ch === '"' || this.ch === "'") ? this.quoted(true) : resolve(this.plainKey(), line);
    while (this.ch === ' ') this.pos += 1;
    this.pos += 1; // the ':'
    return String(key);
  }

  mapping(column) {
    const out = Object.create(null);
    for (;;) {
      if (!this.keyAhead()) this.fail('a line in a mapping that is no `key: value`');
      const key = this.key();
      out[key] = this.value(column);
      const next = this.nextContent();
      if (next === -1 || next < column) return out;
      if (next > column) this.fail('this line is indented more than the mapping it is in');
    }
  }

  sequence(column) {
    const out = [];
    for (;;) {
      this.pos += 1; // the '-'
      out.push(this.value(column, true));
      const next = this.nextContent();
      if (next === -1 || next < column) return out;
      if (next > column) this.fail('this line is indented more than the list it is in');
      if (!(this.ch === '-' && this.blankAt(this.pos + 1))) return out; // a mapping's next key (indentless list)
    }
  }

  /** What follows a key's `:` or (`item`) a list item's `-`, in a collection at `column`: on the same
  line a scalar or a flow collection, or a compact mapping or list after a `-`; or a block below. */
  value(column, item = false) {
    if (this.restOfLineBlank()) {
      const save = this.pos;
      const next = this.nextContent();
      if (next > column) return this.block(next, column);
      if (next === column && !item && this.ch === '-' && this.blankAt(this.pos + 1)) return this.sequence(column);
      this.pos = save;
      return null;
    }
    return item ? this.block(this.column, column) : this.inline(column);
  }

  /** A flow collection, a quoted or a plain scalar, the rest of its line blank. */
  inline(parent) {
    let value;
    if (this.ch === '[' || this.ch === '{') value = this.flow();
    else if (this.ch === '"' || this.ch === "'") value = this.quoted(false);
    else if (this.ch in UNSUPPORTED) this.fail(`${UNSUPPORTED[this.ch]} are not read`);
    else value = this.plain(parent);
    if (!this.restOfLineBlank()) this.fail(`unexpected ${this.ch} after a value`);
    return value;
  }

  /** A plain scalar in block context, continued on lines indented more than `parent`. */
  plain(parent) {
    const line = this.line;
    const parts = [];
    let breaks = 0;
    for (;;) {
      const start = this.pos;
      while (!this.eof && this.ch !== '\n' && !(this.ch === '#' && /\s/.test(this.s[this.pos - 1]))) {
        if (this.ch === ':' && this.blankAt(this.pos + 1)) this.fail('a `: ` inside a value: quote the value');
        this.pos += 1;
      }
      const part = this.s.slice(start, this.pos).trim();
      if (parts.length) parts.push(breaks ? '\n'.repeat(breaks) : ' ');
      parts.push(part);
      if (this.ch === '#' || this.eof) break;
      // a continuation: the next non-empty line, indented more than the parent, not a comment
      const save = this.pos;
      breaks = 0;
      let probe = this.pos;
      for (;;) {
        probe += 1;
        let col = 0;
        while (this.s[probe] === ' ') { probe += 1; col += 1; }
        if (this.s[probe] === '\n') { breaks += 1; continue; }
        if (probe >= this.s.length || col <= parent || this.s[probe] === '#'
          || (col === 0 && /^(?:---|\.\.\.)(?:\s|$)/.test(this.s.slice(probe, probe + 4)))) {
          this.pos = save;
          return parts.length === 1 ? resolve(parts[0], line) : parts.join('');
        }
        break;
      }
      this.pos = probe;
    }
    return parts.length === 1 ? resolve(parts[0], line) : parts.join('');
  }

  /** A single- or double-quoted scalar; line breaks fold to a space (empty lines to `\n`). */
  quoted(oneLine) {
    const quote = this.ch;
    this.pos += 1;
    let out = '';
    for (;;) {
      if (this.eof) this.fail(`a ${quote} quoted value is not closed`);
      const c = this.ch;
      if (c === quote) {
        if (quote === "'" && this.s[this.pos + 1] === "'") { out += "'"; this.pos += 2; continue; }
        this.pos += 1;
        return out;
      }
      if (c === '\n') {
        if (oneLine) this.fail('a key spans lines');
        out = out.replace(/[ \t]+$/, '');
        let breaks = 0;
        while (this.ch === '\n') {
          breaks += 1;
          this.pos += 1;
          while (this.ch === ' ' || this.ch === '\t') this.pos += 1;
        }
        out += breaks > 1 ? '\n'.repeat(breaks - 1) : ' ';
        continue;
      }
      if (quote === '"' && c === '\\') {
        const e = this.s[this.pos + 1];
        if (e === '\n') { // an escaped line break: joined without a space
          this.pos += 2;
          while (this.ch === ' ' || this.ch === '\t') this.pos += 1;
          continue;
        }
        if (e in HEX_ESCAPES) {
          const hex = this.s.slice(this.pos + 2, this.pos + 2 + HEX_ESCAPES[e]);
          if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== HEX_ESCAPES[e]) this.fail(`a bad \\${e} escape`);
          out += String.fromCodePoint(parseInt(hex, 16));
          this.pos += 2 + HEX_ESCAPES[e];
          continue;
        }
        if (!(e in ESCAPES)) this.fail(`an unknown escape \\${e}`);
        out += ESCAPES[e];
        this.pos += 2;
        continue;
      }
      out += c;
      this.pos += 1;
    }
  }

  /** Spaces, line breaks and comments inside a flow collection. */
  flowSpace() {
    for (;;) {
      while (this.ch === ' ' || this.ch === '\t' || this.ch === '\n') this.pos += 1;
      if (this.ch !== '#') return;
      while (!this.eof && this.ch !== '\n') this.pos += 1;
    }
  }

  /** `[a, b]` or `{k: v, …}`, possibly over several lines. */
  flow() {
    const open = this.ch;
    const close = open === '[' ? ']' : '}';
    const out = open === '[' ? [] : Object.create(null);
    this.pos += 1;
    for (;;) {
      this.flowSpace();
      if (this.eof) this.fail(`a ${open} is not closed`);
      if (this.ch === close) { this.pos += 1; return out; }
      if (open === '[') {
        out.push(this.flowNode());
      } else {
        const key = this.flowNode(true);
        this.flowSpace();
        let value = null;
        if (this.ch === ':') {
          this.pos += 1;
          this.flowSpace();
          if (this.ch !== ',' && this.ch !== close) value = this.flowNode();
        }
        out[String(key)] = value;
      }
      this.flowSpace();
      if (this.ch === ',') this.pos += 1;
      else if (this.ch !== close) this.fail(`expected , or ${close} in a flow collection`);
    }
  }

  flowNode(isKey = false) {
    if (this.ch === '[' || this.ch === '{') {
      if (isKey) this.fail('a collection as a key');
      return this.flow();
    }
    if (this.ch === '"' || this.ch === "'") return this.quoted(false);
    if (this.ch in UNSUPPORTED) this.fail(`${UNSUPPORTED[this.ch]} are not read`);
    const line = this.line;
    const start = this.pos;
    while (!this.eof && this.ch !== '\n' && !',?[]{}'.includes(this.ch) // PyYAML ends a flow scalar at `?`
      && !(this.ch === ':' && (this.blankAt(this.pos + 1) || ',[]{}'.includes(this.s[this.pos + 1])))
      && !(this.ch === '#' && this.s[this.pos - 1] === ' ')) this.pos += 1;
    return resolve(this.s.slice(start, this.pos).trim(), line);
  }
}

/** The document a YAML text holds (the catalogue's subset of YAML); YamlError naming the line otherwise. */
export function parseYaml(source) {
  return new Reader(String(source)).document();
}
