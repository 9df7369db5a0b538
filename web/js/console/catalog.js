// The version in force and every version before it (GET /v1/admin/catalog/versions); a new document is
// first checked (PUT /v1/admin/catalog?dry_run=true shows what it changes), then applied. A document
// an admin applies routes the next submission (the functions check the version on each request).
// The document is the YAML file the CLI imports (data/catalog/*.yaml, `minyi catalog export`), read here
// (./yaml.js) and sent as JSON, as the CLI sends it; or a JSON file.
import { api, errorBox, field, h, mount } from '../common.js';
import { fmtTime, t } from '../i18n.js';
import { me, paint, state } from './shared.js';
import { parseYaml, YamlError } from './yaml.js';

/** The document a chosen file holds: YAML by its name (.yaml, .yml), else JSON; an Error to show if not. */
export function readDocument(name, text) {
  if (/\.ya?ml$/i.test(name)) {
    try { return parseYaml(text); } catch (err) {
      if (err instanceof YamlError) throw new Error(t('catalog_not_yaml').replace('{line}', err.line));
      throw err;
    }
  }
  try { return JSON.parse(text); } catch { throw new Error(t('catalog_not_json')); }
}

function diffList(change) {
  const sections = Object.entries(change.diff || {}).filter(([, p]) => p.added.length + p.removed.length + p.changed.length);
  return h('div', { testid: 'catalog-diff' },
    h('p', {}, change.changes ? `${change.changes} ${t('catalog_changes')}` : t('catalog_no_changes')),
    sections.map(([name, p]) => h('section', { class: 'catalog-section' },
      h('h3', {}, `${name}: +${p.added.length} −${p.removed.length} ~${p.changed.length}`),
      h('ul', {}, p.added.map((x) => h('li', {}, `+ ${x}`)), p.removed.map((x) => h('li', {}, `− ${x}`)), p.changed.map((x) => h('li', {}, `~ ${x}`))))));
}

export async function catalogView(notice) {
  const gen = state.generation;
  const s = me();
  const history = await api('/v1/admin/catalog/versions', { token: s.token });
  const head = history.versions[0];
  const status = h('div', { 'aria-live': 'polite', testid: 'catalog-status' });
  const file = h('input', { type: 'file', accept: '.yaml,.yml,.json,application/yaml,application/json', testid: 'catalog-file' });
  const check = h('button', { type: 'submit', class: 'secondary', testid: 'catalog-check' }, t('catalog_check'));
  let document_ = null;
  const apply = h('button', { type: 'button', class: 'primary', disabled: true, testid: 'catalog-apply', onclick: async () => {
    apply.disabled = true;
    try {
      const done = await api('/v1/admin/catalog', { method: 'PUT', token: s.token, body: document_ });
      catalogView(done.version ? `${t('catalog_applied')} ${done.version}` : t('catalog_no_changes'));
    } catch (err) { mount(status, errorBox(err)); apply.disabled = false; }
  } }, t('catalog_apply'));
  const form = h('form', { class: 'card', testid: 'catalog-upload', onsubmit: async (e) => {
    e.preventDefault();
    apply.disabled = true;
    document_ = null;
    try {
      const chosen = file.files?.[0];
      document_ = readDocument(chosen?.name ?? '', (await chosen?.text()) ?? '');
      const change = await api('/v1/admin/catalog?dry_run=true', { method: 'PUT', token: s.token, body: document_ });
      mount(status, diffList(change));
      apply.disabled = change.changes === 0 && change.previous_version > 0;
    } catch (err) { mount(status, errorBox(err)); }
  } }, h('h2', {}, t('catalog_upload')), field(t('catalog_file'), file), check, status, apply);
  const rows = history.versions.map((v) => h('tr', { testid: 'catalog-version-row' },
    h('td', {}, String(v.version)), h('td', {}, fmtTime(v.published_at)), h('td', {}, v.published_by)));
  paint(gen, h('section', { testid: 'catalog' }, h('h1', {}, t('catalogue')),
    notice ? h('p', { role: 'status', class: 'notice', testid: 'catalog-notice' }, notice) : null,
    h('p', { testid: 'catalog-in-force' }, head ? `${t('catalog_in_force')}: ${head.version} · ${fmtTime(head.published_at)} · ${head.published_by}` : t('catalog_none')),
    h('h2', {}, t('catalog_history')),
    rows.length ? h('div', { class: 'table-scroll' }, h('table', { class: 'grid-table' },
      h('thead', {}, h('tr', {}, [t('catalog_version'), t('catalog_accepted_at'), t('catalog_accepted_by')].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows))) : h('p', {}, t('nothing')),
    form));
}
