// What the console's views share: the page's state (the latest navigation, the catalogue, the unit
// directory), the signed-in session, names of units and catalogue entries, the badges, and the action
// form every case action uses. The shell (../console.js) registers its router here, so a view re-renders
// after an action without importing the shell (no import circle).
import { api, claims, errorBox, h, mount, session } from '../common.js';
import { lang, statusLabel, t } from '../i18n.js';

/** The dispatch queue's unit id: where a case waits for a dispatcher (the server's DISPATCH_QUEUE). */
export const DISPATCH_CENTRE = 'dispatch-centre';

export const main = document.getElementById('main');
/** `generation`: each navigation renders only while it is the latest (a slow view never paints over a
 *  newer one); `catalog`: GET /v1/catalog; `units`: id -> UnitView; `sessionEnded`: why the sign-in shows. */
export const state = { generation: 0, catalog: null, units: null, sessionEnded: false };
export const paint = (gen, ...children) => { if (gen === state.generation) mount(main, ...children); };
export const me = () => session('console');
export const nameOf = (table, code) => (code ? state.catalog?.[table]?.[code]?.[lang()] ?? code : '—');
export const unitName = (id) => (id === DISPATCH_CENTRE ? t('dispatch_centre') : state.units?.[id] ? (lang() === 'en' ? state.units[id].name_en : state.units[id].name) : id || '—');

let router = () => {};
/** Render the view the address names (the shell's router). */
export const route = () => router();
export const setRouter = (fn) => { router = fn; };

export async function loadDirectory(token) {
  if (state.units) return;
  const data = await api('/v1/units', { token });
  state.units = Object.fromEntries(data.units.map((u) => [u.id, u]));
}

/** The hotline operator's calls of this shift, kept per operator (the key names the signed-in account)
 *  in this tab and dropped at sign-out. */
export const callsKey = () => `minyi-console-calls:${claims(me()?.token || '')?.sub || ''}`;

export function badge(status) { return h('span', { class: `badge s-${status.toLowerCase()}` }, statusLabel(status)); }
export const urgentBadge = (c) => (c.urgent ? h('span', { class: 'badge s-urgent', testid: 'urgent-badge' }, t('urgent')) : null);
export const assistBadge = () => h('span', { class: 'badge s-assist', testid: 'assist-badge' }, t('assist_mark'));
export function urgentCheck(input, hint) {
  return h('div', { class: 'check' }, input, h('label', { for: input.id }, t('urgent_mark')), hint ? h('p', { class: 'hint' }, hint) : null);
}
/** A unit's people by username (the assignee picker and the names it shows), read once per unit. */
const unitPeople = {};
export async function peopleOf(unit, token) {
  unitPeople[unit] ??= api(`/v1/units/${encodeURIComponent(unit)}/staff`, { token }).then((d) => d.items).catch(() => []);
  return unitPeople[unit];
}
export const personName = (people, username) => people.find((p) => p.username === username)?.name || username;

/** One action of the case page: its controls and button; on success the page renders anew. */
export function actionForm(title, controls, button, run) {
  const status = h('div', { 'aria-live': 'polite' });
  return h('form', { class: 'action', onsubmit: async (e) => {
    e.preventDefault();
    button.disabled = true;
    try { await run(); route(); } catch (err) { mount(status, errorBox(err)); button.disabled = false; }
  } }, h('h3', {}, title), controls, status, button);
}
