// A unit's cases (open, assigned to me, closed, withdrawn; with those it assists on), or the dispatch
// queue for dispatchers; a row opens the case page.
import { api, dueState, field, h } from '../common.js';
import { categoryLabel, fmtTime, t } from '../i18n.js';
import { assistBadge, badge, DISPATCH_CENTRE, main, me, nameOf, paint, peopleOf, personName, state, unitName, urgentBadge } from './shared.js';

export async function inboxView(unitArg) {
  const gen = state.generation;
  const s = me();
  const unit = s.role === 'staff' ? s.unit : unitArg || DISPATCH_CENTRE;
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const status = params.get('status') || '';
  // `mine`: the cases given to the signed-in person; open cases also list those the unit helps on (协办)
  const query = status === 'mine' ? '&assignee=me' : status ? `&status=${status}` : '';
  const base = `/v1/units/${encodeURIComponent(unit)}/cases?limit=100`;
  const [data, assisting] = await Promise.all([api(`${base}${query}`, { token: s.token }),
    !status && unit !== DISPATCH_CENTRE ? api(`${base}&assist=true`, { token: s.token }) : { items: [] }]);
  const people = s.role === 'staff' ? await peopleOf(unit, s.token) : [];
  const statusPick = h('select', { id: 'inbox-status', testid: 'inbox-show', onchange: () => { location.hash = `#/inbox/${unit}${statusPick.value ? `?status=${statusPick.value}` : ''}`; } },
    [['', t('open_cases')], s.role === 'staff' ? ['mine', t('assigned_to_me')] : null, ['CLOSED', t('closed_cases')], ['WITHDRAWN', t('withdrawn_cases')]]
      .filter(Boolean).map(([v, l]) => h('option', { value: v, selected: v === status }, l)));
  const unitPick = s.role === 'staff' ? null : h('select', { id: 'inbox-unit', onchange: () => { location.hash = `#/inbox/${unitPick.value}`; } },
    h('option', { value: DISPATCH_CENTRE, selected: unit === DISPATCH_CENTRE }, unitName(DISPATCH_CENTRE)),
    Object.values(state.units || {}).map((u) => h('option', { value: u.id, selected: u.id === unit }, unitName(u.id))));
  const rows = [...data.items, ...assisting.items].map((c) => {
    const due = dueState(c);
    return h('tr', { testid: 'case-row', class: due ? `due-${due}` : null, 'data-case-id': c.id, 'data-urgent': c.urgent ? 'true' : null, 'data-assisting': c.assisting ? 'true' : null },
      h('td', {}, h('a', { href: `#/case/${c.id}` }, c.tracking_no), urgentBadge(c), c.assisting ? assistBadge() : null,
        c.assignee && !c.assisting ? h('span', { class: 'muted assignee', testid: 'row-assignee' }, ` · ${personName(people, c.assignee)}`) : null),
      h('td', {}, categoryLabel(c.category)), h('td', {}, nameOf('topics', c.topic)), h('td', {}, nameOf('districts', c.district)),
      h('td', {}, badge(c.status)),
      h('td', {}, c.due_at ? fmtTime(c.due_at) : '—', due === 'overdue' ? h('span', { class: 'badge s-overdue' }, t('overdue')) : due === 'near' ? h('span', { class: 'badge s-near' }, t('near_deadline')) : null));
  });
  paint(gen, h('section', { testid: 'inbox' },
    h('div', { class: 'row spread' }, h('h1', {}, unit === DISPATCH_CENTRE ? t('queue') : `${t('inbox')} · ${unitName(unit)}`),
      h('div', { class: 'row' }, unitPick ? field(t('unit'), unitPick) : null, field(t('show'), statusPick))),
    rows.length ? h('table', { class: 'grid-table' },
      h('thead', {}, h('tr', {}, [t('tracking_no'), t('category'), t('topic'), t('district'), t('status'), t('deadline')].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows)) : h('p', {}, t('nothing'))));
  main.querySelectorAll('tr[data-case-id]').forEach((tr) => tr.addEventListener('click', (e) => {
    if (e.target.tagName !== 'A') location.hash = `#/case/${tr.dataset.caseId}`;
  }));
}
