// Supervision: the cases that need a supervisor (overdue, supervised, flagged, an extension to decide,
// dispatch overdue), each with its reasons.
import { api, h } from '../common.js';
import { fmtTime, t } from '../i18n.js';
import { badge, me, paint, state, unitName } from './shared.js';

export async function supervisionView() {
  const gen = state.generation;
  const data = await api('/v1/supervision?limit=100', { token: me().token });
  paint(gen, h('section', { testid: 'supervision-list' },
    h('h1', {}, t('supervision')),
    data.items.length ? h('table', { class: 'grid-table' },
      h('thead', {}, h('tr', {}, [t('tracking_no'), t('unit'), t('status'), t('deadline'), t('reasons')].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, data.items.map((c) => h('tr', { testid: 'case-row' },
        h('td', {}, h('a', { href: `#/case/${c.id}` }, c.tracking_no)), h('td', {}, unitName(c.unit_id)), h('td', {}, badge(c.status)),
        h('td', {}, c.due_at ? fmtTime(c.due_at) : '—'),
        h('td', {}, c.reasons.map((r) => h('span', { class: `badge r-${r}` }, t(`reason_${r}`))))))))
      : h('p', {}, t('nothing'))));
}
