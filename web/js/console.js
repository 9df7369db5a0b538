// The staff console: unit inbox and case page (accept, reply, return, extension, notes), the dispatch
// queue (dispatch and transfer from the unit directory; 更正分类, correcting a case's topic and district),
// supervision (reasons, extension decisions, instructions), 热点 (hotspots: a list and a grid map of the cells
// where one kind of problem is reported far more often than usual), the scoreboard (charts, period picker, CSV
// export) and, for hotline operators (坐席), the new-call form that files a caller's request (with the
// knowledge base to answer a consultation on the call: 直接办结) and the 回访 list of replies to call back.
// What it shows follows the role. This is the shell (top bar, navigation, router); each view is a module
// of its own under console/, and console/shared.js holds what they share.
import { api, config, errorBox, h, keepSessionFresh, langButton, mount, registerServiceWorker, saveSession } from './common.js';
import { roleLabel, t } from './i18n.js';
import { callsKey, loadDirectory, me, paint, setRouter, state, unitName } from './console/shared.js';
import { signInView } from './console/signin.js';
import { callView } from './console/call.js';
import { callbacksView } from './console/callbacks.js';
import { staffAccountsView } from './console/staff.js';
import { catalogView } from './console/catalog.js';
import { inboxView } from './console/inbox.js';
import { caseView } from './console/case.js';
import { supervisionView } from './console/supervision.js';
import { scoreboardView } from './console/scoreboard.js';
import { hotspotsView } from './console/hotspots.js';

function navFor(role) {
  if (role === 'operator') return [['call', t('new_call')], ['callbacks', t('callbacks')]];
  if (role === 'admin') return [['staff', t('staff_accounts')], ['catalog', t('catalogue')], ['supervision', t('supervision')], ['inbox', t('inbox')], ['scoreboard', t('scoreboard')]];
  if (role === 'staff') return [['inbox', t('inbox')], ['scoreboard', t('scoreboard')]];
  if (role === 'dispatcher') return [['inbox', t('queue')], ['hotspots', t('hotspots')], ['scoreboard', t('scoreboard')]];
  return [['supervision', t('supervision')], ['inbox', t('inbox')], ['hotspots', t('hotspots')], ['scoreboard', t('scoreboard')]];
}

function chrome() {
  const s = me();
  document.title = t('console_name');
  mount(document.getElementById('topbar'),
    h('a', { class: 'brand', href: '/console' }, t('console_name')), h('span', { class: 'spacer' }),
    s ? h('span', { class: 'who' }, `${roleLabel(s.role)}${s.unit ? ` · ${unitName(s.unit)}` : ''}`) : null,
    langButton(route),
    s ? h('button', { type: 'button', class: 'link-button', onclick: () => { sessionStorage.removeItem(callsKey()); saveSession('console', null); location.hash = ''; route(); } }, t('sign_out')) : null);
  const nav = document.getElementById('sidenav');
  nav.setAttribute('aria-label', t('console_name'));
  const current = (location.hash.match(/^#\/(\w+)/) || [])[1];
  mount(nav, s ? h('ul', {}, navFor(s.role).map(([key, label]) => h('li', {},
    h('a', { href: `#/${key}`, 'aria-current': current === key ? 'page' : null }, label)))) : null);
}

async function route() {
  const gen = ++state.generation;
  try {
    const s = me();
    await keepFresh();
    state.catalog ??= await api('/v1/catalog');
    if (gen !== state.generation) return;
    if (!s) { chrome(); return await signInView(); }
    if (s.role === 'operator') { chrome(); return location.hash.startsWith('#/callbacks') ? await callbacksView() : await callView(); }
    if (s.role !== 'staff' || !state.units) await loadDirectory(s.directoryToken || s.token).catch(() => {});
    if (gen !== state.generation) return;
    chrome();
    const [, view, arg] = location.hash.match(/^#\/(\w+)(?:\/([^/?]+))?/) || [];
    if (view === 'case' && arg) return await caseView(arg);
    if (view === 'staff' && s.role === 'admin') return await staffAccountsView();
    if (view === 'catalog' && s.role === 'admin') return await catalogView();
    if (view === 'supervision') return await supervisionView();
    if (view === 'scoreboard') return await scoreboardView();
    if (view === 'hotspots' && ['dispatcher', 'supervisor'].includes(s.role)) return await hotspotsView();
    if (view === 'inbox' || s.role === 'staff' || s.role === 'dispatcher') return await inboxView(arg);
    return await supervisionView();
  } catch (err) {
    if (err.status === 401 && me()) { state.sessionEnded = true; saveSession('console', null); return route(); }
    paint(gen, errorBox(err), h('button', { type: 'button', onclick: route }, t('retry')));
  }
}

/** Refresh the staff token before it expires; when the refresh is refused (say, the account was
 *  disabled), sign out and say why on the sign-in page. */
async function keepFresh() {
  const cfg = await config();
  const pool = cfg.mode === 'cognito' ? cfg.staffCognito || cfg.cognito : null;
  keepSessionFresh('console', pool, () => { state.sessionEnded = true; location.hash = ''; route(); });
}

setRouter(route);
addEventListener('hashchange', route);
registerServiceWorker();
route();
