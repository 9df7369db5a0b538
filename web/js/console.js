// The staff console: unit inbox and case page (accept, reply, return, extension, notes), the dispatch
// queue (dispatch and transfer from the unit directory; 更正分类, correcting a case's topic and district),
// supervision (reasons, extension decisions, instructions), the scoreboard (charts, period picker, CSV
// export) and, for hotline operators (坐席), the new-call form that files a caller's request (with the
// knowledge base to answer a consultation on the call: 直接办结) and the 回访 list of replies to call back.
// What it shows follows the role.
import {
  api, claims, cognito, config, dueState, e164, errorBox, field, h, keepSessionFresh, langButton, localToken, localTokens, mount,
  newIdempotencyKey, registerServiceWorker, saveSession, session, shanghaiDay, splitMedia, upload,
  categoryExplained, choiceSelect, explained, refuseOpenChoices,
} from './common.js';
import { fmtPhone } from './common.js';
import { actorLabel, categoryLabel, categoryWithDays, dimensionLabel, eventLabel, fmtTime, lang, roleLabel, statusLabel, t } from './i18n.js';
import { lineChart, pairedBars, pct, rateBars, shareBars, tile } from './charts.js';

const main = document.getElementById('main');
// each navigation renders only while it is the latest (a slow view never paints over a newer one)
let generation = 0;
const paint = (gen, ...children) => { if (gen === generation) mount(main, ...children); };
let catalog = null;
let units = null;  // id -> UnitView
const me = () => session('console');
const nameOf = (table, code) => catalog?.[table]?.[code]?.[lang()] ?? code;
const unitName = (id) => (id === 'dispatch-centre' ? t('dispatch_centre') : units?.[id] ? (lang() === 'en' ? units[id].name_en : units[id].name) : id || '—');

function navFor(role) {
  if (role === 'operator') return [['call', t('new_call')], ['callbacks', t('callbacks')]];
  if (role === 'admin') return [['staff', t('staff_accounts')], ['catalog', t('catalogue')], ['supervision', t('supervision')], ['inbox', t('inbox')], ['scoreboard', t('scoreboard')]];
  if (role === 'staff') return [['inbox', t('inbox')], ['scoreboard', t('scoreboard')]];
  if (role === 'dispatcher') return [['inbox', t('queue')], ['scoreboard', t('scoreboard')]];
  return [['supervision', t('supervision')], ['inbox', t('inbox')], ['scoreboard', t('scoreboard')]];
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

async function loadDirectory(token) {
  if (units) return;
  const data = await api('/v1/units', { token });
  units = Object.fromEntries(data.units.map((u) => [u.id, u]));
}

async function route() {
  const gen = ++generation;
  try {
    const s = me();
    await keepFresh();
    catalog ??= await api('/v1/catalog');
    if (gen !== generation) return;
    if (!s) { chrome(); return await signInView(); }
    if (s.role === 'operator') { chrome(); return location.hash.startsWith('#/callbacks') ? await callbacksView() : await callView(); }
    if (s.role !== 'staff' || !units) await loadDirectory(s.directoryToken || s.token).catch(() => {});
    if (gen !== generation) return;
    chrome();
    const [, view, arg] = location.hash.match(/^#\/(\w+)(?:\/([^/?]+))?/) || [];
    if (view === 'case' && arg) return await caseView(arg);
    if (view === 'staff' && s.role === 'admin') return await staffAccountsView();
    if (view === 'catalog' && s.role === 'admin') return await catalogView();
    if (view === 'supervision') return await supervisionView();
    if (view === 'scoreboard') return await scoreboardView();
    if (view === 'inbox' || s.role === 'staff' || s.role === 'dispatcher') return await inboxView(arg);
    return await supervisionView();
  } catch (err) {
    if (err.status === 401 && me()) { sessionEnded = true; saveSession('console', null); return route(); }
    paint(gen, errorBox(err), h('button', { type: 'button', onclick: route }, t('retry')));
  }
}

/** Refresh the staff token before it expires; when the refresh is refused (say, the account was
 *  disabled), sign out and say why on the sign-in page. */
let sessionEnded = false;
async function keepFresh() {
  const cfg = await config();
  const pool = cfg.mode === 'cognito' ? cfg.staffCognito || cfg.cognito : null;
  keepSessionFresh('console', pool, () => { sessionEnded = true; location.hash = ''; route(); });
}

const landing = (role) => ({ supervisor: '#/supervision', admin: '#/staff', operator: '#/call' }[role] || '#/inbox');

// --- sign in ---------------------------------------------------------------------------------------
async function signInView() {
  const gen = generation;
  const cfg = await config();
  const status = h('div', { 'aria-live': 'polite' });
  if (sessionEnded) mount(status, h('div', { class: 'error', role: 'alert', testid: 'session-ended' }, t('session_ended')));
  const pool = cfg.mode === 'cognito' ? cfg.staffCognito || cfg.cognito : null;
  if (pool) return staffSignIn(pool, status);
  // local mode: pick a role and a unit; /local/tokens signs the token
  const directoryToken = await localToken({ sub: 'console-directory', role: 'dispatcher' });
  await loadDirectory(directoryToken);
  const role = h('select', { testid: 'signin-role', name: 'role' },
    ['staff', 'dispatcher', 'supervisor', 'admin', 'operator'].map((r) => h('option', { value: r }, roleLabel(r))));
  const unit = h('select', { testid: 'signin-unit', name: 'unit' },
    Object.values(units).sort((a, b) => a.id.localeCompare(b.id)).map((u) => h('option', { value: u.id }, `${lang() === 'en' ? u.name_en : u.name} (${u.id})`)));
  const unitField = field(t('your_unit'), unit);
  role.addEventListener('change', () => { unit.disabled = role.value !== 'staff'; });
  // or an account an admin created (its role and unit from the local staff pool): whom cases are given to
  const account = h('input', { type: 'tel', testid: 'signin-account', autocomplete: 'off', inputmode: 'tel' });
  paint(gen, h('form', { class: 'card narrow', onsubmit: async (e) => {
    e.preventDefault();
    try {
      if (account.value.trim()) {
        const { token, refreshToken } = await localTokens({ phone: e164(account.value) || account.value.trim() });
        const c = claims(token);
        const groups = [].concat(c['cognito:groups'] || []);
        const accountRole = ['admin', 'supervisor', 'dispatcher', 'staff', 'operator'].find((r) => groups.includes(r)) || 'staff';
        sessionEnded = false;
        saveSession('console', { token, refreshToken, role: accountRole, unit: c['custom:unit_id'] || null, directoryToken });
        location.hash = landing(accountRole);
        return route();
      }
      const claimsIn = { sub: `${role.value}-${role.value === 'staff' ? unit.value : 'console'}`, role: role.value };
      if (role.value === 'staff') claimsIn.unit = unit.value;
      const { token, refreshToken } = await localTokens(claimsIn);
      sessionEnded = false;
      saveSession('console', { token, refreshToken, role: role.value, unit: claimsIn.unit || null, directoryToken });
      location.hash = landing(role.value);
      route();
    } catch (err) { mount(status, errorBox(err)); }
  } }, h('h1', {}, t('sign_in')), h('p', { class: 'muted' }, t('local_console_hint')),
  field(t('role'), role), unitField, field(t('signin_account'), account, t('signin_account_hint')), status,
  h('button', { type: 'submit', class: 'primary', testid: 'signin-submit' }, t('sign_in'))));
}

/** AWS: password, then whatever the staff pool asks (new password, authenticator set-up, its code). */
function staffSignIn(pool, status) {
  const gen = generation;
  const phone = h('input', { type: 'tel', required: true, testid: 'signin-phone', autocomplete: 'username' });
  const password = h('input', { type: 'password', required: true, autocomplete: 'current-password' });
  const steps = h('div');
  let state = null;
  const finish = (token, refreshToken) => {
    const c = claims(token);
    const groups = [].concat(c['cognito:groups'] || []);
    const role = ['supervisor', 'dispatcher', 'staff', 'admin', 'operator'].find((r) => groups.includes(r)) || 'staff';
    sessionEnded = false;
    saveSession('console', { token, refreshToken, role, unit: c['custom:unit_id'] || null });
    location.hash = landing(role);
    route();
  };
  const ask = async (next) => {
    if (next.challenge === 'MFA_SETUP' && !next.secret) next = await cognito.associateTotp(pool, next);
    if (next.token) return finish(next.token, next.refreshToken);
    state = next;
    const input = h('input', { type: next.challenge === 'NEW_PASSWORD_REQUIRED' ? 'password' : 'text', required: true,
      autocomplete: next.challenge === 'NEW_PASSWORD_REQUIRED' ? 'new-password' : 'one-time-code' });
    const label = { NEW_PASSWORD_REQUIRED: t('new_password'), MFA_SETUP: t('totp_code'), SOFTWARE_TOKEN_MFA: t('totp_code') }[next.challenge] || t('sms_code');
    mount(steps, next.secret ? h('p', {}, t('totp_secret'), ' ', h('code', {}, next.secret)) : null, field(label, input),
      h('button', { type: 'button', class: 'primary', onclick: async () => {
        try {
          if (state.challenge === 'NEW_PASSWORD_REQUIRED') await ask(await cognito.answer(pool, state, { NEW_PASSWORD: input.value }));
          else if (state.challenge === 'MFA_SETUP') await ask(await cognito.verifyTotp(pool, state, input.value));
          else if (state.challenge === 'SOFTWARE_TOKEN_MFA') await ask(await cognito.answer(pool, state, { SOFTWARE_TOKEN_MFA_CODE: input.value }));
          else await ask(await cognito.answer(pool, state, { SMS_OTP_CODE: input.value, SMS_MFA_CODE: input.value }));
        } catch (err) { mount(status, errorBox(err)); }
      } }, t('verify')));
    input.focus();
  };
  paint(gen, h('form', { class: 'card narrow', onsubmit: async (e) => {
    e.preventDefault();
    try {
      const first = await cognito.start(pool, e164(phone.value) || phone.value, 'PASSWORD', password.value);
      await ask(first);
    } catch (err) { mount(status, errorBox(err)); }
  } }, h('h1', {}, t('sign_in')), field(t('phone'), phone), field(t('password'), password), steps, status,
  h('button', { type: 'submit', class: 'primary', testid: 'signin-submit' }, t('sign_in'))));
}

// --- hotline operator: a new call -------------------------------------------------------------------
// The operator files for the caller (channel `hotline`); the case belongs to the caller's mobile, which
// gets the receipt with the tracking number and, after the answer, the rating link. The calls filed
// in this browser tab are listed below the form (operators have no case list of their own).
// Kept per operator (the key names the signed-in account) and dropped at sign-out.
const callsKey = () => `minyi-console-calls:${claims(me()?.token || '')?.sub || ''}`;
function callsThisShift() {
  try { const calls = JSON.parse(sessionStorage.getItem(callsKey()) || '[]'); return Array.isArray(calls) ? calls : []; } catch { return []; }
}

function callView() {
  const gen = generation;
  const s = me();
  // no preselected topic or district: the operator chooses what the caller reports (a default would be
  // filed unnoticed)
  const select = (name, testid, entries, value) => h('select', { name, testid, required: true },
    value === null ? h('option', { value: '', selected: true, disabled: true }, t('choose')) : null,
    entries.map(([code, label]) => h('option', { value: code, selected: code === value }, label)));
  const phone = h('input', { type: 'tel', name: 'phone', required: true, inputmode: 'tel', maxlength: 20, testid: 'call-phone', autocomplete: 'off' });
  // the category too (issue 21): each choice starts on "please choose" and says what it means
  const category = choiceSelect('category', 'call-category', catalog.categories.map((c) => [c, categoryWithDays(categoryLabel(c), catalog.deadline_days[c])]));
  const topic = choiceSelect('topic', 'call-topic', Object.keys(catalog.topics).map((k) => [k, nameOf('topics', k)]));
  const district = choiceSelect('district', 'call-district', Object.keys(catalog.districts).map((k) => [k, nameOf('districts', k)]));
  const description = h('textarea', { name: 'description', rows: 5, maxlength: 4000, required: true, testid: 'call-description' });
  const address = h('input', { type: 'text', name: 'address', maxlength: 300, testid: 'call-address' });
  const language = select('language', 'call-language', [['zh', t('lang_zh')], ['en', t('lang_en')]], 'zh');
  const urgent = h('input', { type: 'checkbox', id: 'call-urgent', testid: 'call-urgent' });
  const idempotencyKey = newIdempotencyKey();  // a retried send of this call files it once
  // 直接办结: a consultation answered on the call from the knowledge base closes at once; the caller is
  // texted the answer and may still rate it
  const answer = h('textarea', { name: 'answer', rows: 4, maxlength: 300, testid: 'call-answer' });
  let knowledgeId = null;
  answer.addEventListener('input', () => { knowledgeId = null; });
  const direct = h('input', { type: 'checkbox', id: 'call-direct', testid: 'call-direct' });
  const answerBox = h('div', { class: 'answer-box', hidden: true }, field(t('intake_answer'), answer, t('intake_answer_hint')));
  const directRow = h('div', { class: 'check', hidden: category.value !== 'consultation' }, direct, h('label', { for: 'call-direct' }, t('answer_at_intake')));
  const syncDirect = () => {
    directRow.hidden = category.value !== 'consultation';
    if (directRow.hidden) direct.checked = false;
    answerBox.hidden = !direct.checked;
    answer.required = direct.checked;
  };
  category.addEventListener('change', syncDirect);
  direct.addEventListener('change', syncDirect);
  const kb = knowledgePanel(description, (entry) => {
    answer.value = entry.answer;
    knowledgeId = entry.id;
    if (category.value !== 'consultation') category.value = 'consultation';
    direct.checked = true;
    syncDirect();
  });
  const status = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary', testid: 'call-submit' }, t('submit'));
  const form = h('form', { class: 'card', testid: 'new-call', onsubmit: async (e) => {
    e.preventDefault();
    submit.disabled = true;
    try {
      const body = { category: category.value, topic: topic.value, district: district.value, description: description.value.trim(),
        phone: e164(phone.value) || phone.value.trim(), channel: 'hotline', language: language.value };
      if (address.value.trim()) body.address = address.value.trim();
      if (direct.checked && category.value === 'consultation') {
        body.answered_at_intake = knowledgeId ? { answer: answer.value.trim(), knowledge_id: knowledgeId } : { answer: answer.value.trim() };
      }
      if (urgent.checked) body.urgent = true;
      const created = await api('/v1/requests', { method: 'POST', token: s.token, body, idempotencyKey });
      const calls = [{ tracking_no: created.tracking_no, at: created.created_at, topic: body.topic, district: body.district }, ...callsThisShift()];
      sessionStorage.setItem(callsKey(), JSON.stringify(calls.slice(0, 50)));
      callReceipt(created);
    } catch (err) { mount(status, errorBox(err)); submit.disabled = false; }
  } },
  h('h1', {}, t('new_call')),
  field(t('caller_phone'), phone, t('caller_phone_hint')), field(t('caller_language'), language),
  field(t('category'), category), explained(category, categoryExplained(catalog)),
  field(t('topic'), topic), explained(topic, () => t('explain_topic')),
  field(t('district'), district), explained(district, () => t('explain_district')),
  field(t('description'), description), field(t('address'), address, t('address_hint')),
  directRow, answerBox, urgentCheck(urgent, t('urgent_call_hint')), status, submit);
  refuseOpenChoices([[t('category'), category], [t('topic'), topic], [t('district'), district]], status);
  paint(gen, h('div', { class: 'call-desk' }, form, kb), shiftList());
  phone.focus();
}

/** The knowledge base beside the new-call form: searched as the operator types the caller's question
 *  (debounced; GET /v1/knowledge, best first), an entry's 'use' fills the answer for 直接办结. */
function knowledgePanel(question, pick) {
  const q = h('input', { type: 'search', maxlength: 100, testid: 'kb-query', autocomplete: 'off' });
  const results = h('ol', { class: 'kb-results', testid: 'kb-results', 'aria-live': 'polite' });
  let timer = null;
  let seq = 0;
  const search = async () => {
    const mine = ++seq;
    const text = q.value.trim();
    if (!text) { mount(results); return; }
    const params = new URLSearchParams({ q: text, limit: '5' });
    try {
      const data = await api(`/v1/knowledge?${params}`, { token: me().token });
      if (mine !== seq) return;  // a later search is under way
      mount(results, data.items.length ? data.items.map((k) => h('li', { class: 'kb-entry', testid: 'kb-entry', 'data-id': k.id },
        h('p', { class: 'kb-question' }, h('strong', {}, k.question), k.topic ? h('span', { class: 'badge' }, nameOf('topics', k.topic)) : null),
        h('p', { class: 'kb-answer' }, k.answer),
        h('button', { type: 'button', class: 'secondary', testid: 'kb-use', onclick: () => pick(k) }, t('kb_use'))))
        : h('li', { class: 'muted' }, t('kb_none')));
    } catch (err) { if (mine === seq) mount(results, h('li', {}, errorBox(err))); }
  };
  const later = () => { clearTimeout(timer); timer = setTimeout(search, 300); };
  q.addEventListener('input', later);
  // the caller's question, as the operator types it, is the search until the operator types their own
  question.addEventListener('input', () => { if (!q.dataset.own) { q.value = question.value.slice(0, 100); later(); } });
  q.addEventListener('input', () => { q.dataset.own = q.value ? '1' : ''; });
  return h('aside', { class: 'card kb-panel', testid: 'knowledge-panel', 'aria-label': t('knowledge') },
    h('h2', {}, t('knowledge')), field(t('kb_search'), q, t('kb_hint')), results);
}

function callReceipt(created) {
  const answered = created.status === 'CLOSED';
  mount(main, h('section', { class: 'card center', testid: 'call-receipt', 'data-status': created.status },
    h('h1', {}, answered ? t('call_answered') : t('call_filed')),
    h('p', {}, t('tracking_no')),
    h('p', { class: 'tracking-no', testid: 'tracking-no' }, created.tracking_no),
    answered ? h('p', {}, h('span', { class: 'badge big s-closed', testid: 'receipt-status' }, statusLabel(created.status))) : null,
    h('p', { class: 'muted' }, answered ? t('call_answered_hint') : t('call_filed_hint')),
    h('button', { type: 'button', class: 'primary', testid: 'next-call', onclick: () => { route(); } }, t('next_call'))),
  shiftList());
  main.focus();
}

function shiftList() {
  const calls = callsThisShift();
  if (!calls.length) return null;
  return h('section', { testid: 'calls-this-shift' }, h('h2', {}, t('calls_this_shift')),
    h('table', { class: 'grid-table' },
      h('thead', {}, h('tr', {}, [t('tracking_no'), t('topic'), t('district'), t('filed_at')].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, calls.map((c) => h('tr', { testid: 'call-row' },
        h('td', {}, h('a', { href: `/track?no=${encodeURIComponent(c.tracking_no)}`, target: '_blank', rel: 'noopener' }, c.tracking_no)),
        h('td', {}, nameOf('topics', c.topic)), h('td', {}, nameOf('districts', c.district)), h('td', {}, fmtTime(c.at)))))));
}

// --- hotline operator: 回访 ------------------------------------------------------------------------
// Hotline replies waiting for the caller's rating, oldest first: the operator dials the caller's full
// number (shown to operators only, for this), reads out the unit's answer and records the call: the four
// scores (they count as the caller's rating), unreachable (three working days close it), or declined.
const SCORES = ['speed', 'effectiveness', 'experience', 'feedback_quality'];

async function callbacksView(notice) {
  const gen = generation;
  const data = await api('/v1/callbacks?limit=50', { token: me().token });
  paint(gen, h('section', { testid: 'callbacks' },
    h('h1', {}, t('callbacks')), h('p', { class: 'muted' }, t('callbacks_hint')),
    notice ? h('p', { class: 'notice', role: 'status', testid: 'callback-notice' }, notice) : null,
    data.items.length ? data.items.map(callbackCard) : h('p', { testid: 'callbacks-empty' }, t('callbacks_none'))));
}

function callbackCard(c) {
  const name = `cb-${c.id}`;
  const outcome = (value, checked) => {
    const id = `${name}-${value}`;
    return [h('input', { type: 'radio', name: `${name}-outcome`, value, id, checked, testid: `callback-${value}` }), h('label', { for: id }, t(`callback_${value}`))];
  };
  const radios = h('fieldset', { class: 'inline' }, h('legend', {}, t('callback_outcome')), outcome('rated', true), outcome('unreachable'), outcome('declined'));
  const scores = Object.fromEntries(SCORES.map((d) => [d, h('select', { testid: `callback-${d}`, required: true },
    h('option', { value: '', selected: true, disabled: true }, t('choose')),
    [5, 4, 3, 2, 1].map((n) => h('option', { value: String(n) }, `${n} ${t('stars')}`)))]));
  const comment = h('textarea', { rows: 2, maxlength: 1000, testid: 'callback-comment' });
  const scoreBox = h('div', { class: 'scores' }, SCORES.map((d) => field(dimensionLabel(d), scores[d])), field(t('comment'), comment));
  const sync = () => {
    const rated = radios.querySelector('input:checked')?.value === 'rated';
    scoreBox.hidden = !rated;
    for (const sel of Object.values(scores)) sel.required = rated;
  };
  radios.addEventListener('change', sync);
  const status = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'submit', class: 'primary', testid: 'callback-submit' }, t('callback_record'));
  const form = h('form', { class: 'action', onsubmit: async (e) => {
    e.preventDefault();
    button.disabled = true;
    const chosen = radios.querySelector('input:checked').value;
    const body = { outcome: chosen };
    if (chosen === 'rated') for (const d of SCORES) body[d] = Number(scores[d].value);
    if (comment.value.trim()) body.comment = comment.value.trim();
    try {
      const after = await api(`/v1/cases/${c.id}/callback`, { method: 'POST', token: me().token, body });
      await callbacksView(`${c.tracking_no} · ${t(`callback_${chosen}`)} · ${statusLabel(after.status)}`);
    } catch (err) { mount(status, errorBox(err)); button.disabled = false; }
  } }, radios, scoreBox, status, button);
  sync();
  return h('article', { class: 'card callback', testid: 'callback-row', 'data-case': c.id },
    h('header', { class: 'row spread' }, h('h2', {}, `${t('case')} ${c.tracking_no}`),
      h('a', { class: 'button primary', href: `tel:${c.phone}`, testid: 'callback-phone' }, `${t('dial')} ${c.phone}`)),
    h('dl', { class: 'facts' },
      h('dt', {}, t('category')), h('dd', {}, `${categoryLabel(c.category)} · ${nameOf('topics', c.topic)} · ${nameOf('districts', c.district)}`),
      h('dt', {}, t('unit')), h('dd', {}, unitName(c.unit_id)),
      h('dt', {}, t('citizen_text')), h('dd', { class: 'prewrap' }, c.description),
      h('dt', {}, t('unit_answer')), h('dd', { class: 'prewrap', testid: 'callback-reply' }, c.reply),
      h('dt', {}, t('replied_at')), h('dd', {}, fmtTime(c.replied_at)),
      h('dt', {}, t('unreachable_days')), h('dd', { testid: 'unreachable-days' }, `${c.unreachable_days} / 3`)),
    form);
}

// --- admin: staff accounts --------------------------------------------------------------------------
// Staff accounts exist only when an admin creates them (POST /v1/admin/staff): the person's mobile is
// the sign-in name and the temporary password goes to it by SMS; disabling ends the account's sessions.
const STAFF_ROLES = ['staff', 'dispatcher', 'supervisor', 'operator', 'admin'];

async function staffAccountsView(notice) {
  const gen = generation;
  const s = me();
  const data = await api('/v1/admin/staff', { token: s.token });
  const phone = h('input', { type: 'tel', name: 'phone', required: true, maxlength: 20, testid: 'account-phone', autocomplete: 'off' });
  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 64, testid: 'account-name', autocomplete: 'off' });
  const role = h('select', { name: 'role', required: true, testid: 'account-role' }, STAFF_ROLES.map((r) => h('option', { value: r }, roleLabel(r))));
  const unit = h('select', { name: 'unit', testid: 'account-unit' },
    h('option', { value: '', selected: true, disabled: true }, t('choose')),
    Object.values(units || {}).sort((a, b) => a.id.localeCompare(b.id)).map((u) => h('option', { value: u.id }, unitName(u.id))));
  const unitField = field(t('your_unit'), unit);
  const syncUnit = () => { const forUnit = role.value === 'staff'; unit.required = forUnit; unit.disabled = !forUnit; unitField.hidden = !forUnit; };
  role.addEventListener('change', syncUnit);
  syncUnit();
  const status = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary', testid: 'account-create' }, t('new_account'));
  const form = h('form', { class: 'card', testid: 'new-account', onsubmit: async (e) => {
    e.preventDefault();
    submit.disabled = true;
    try {
      const body = { phone: e164(phone.value) || phone.value.trim(), name: name.value.trim(), role: role.value };
      if (role.value === 'staff') body.unit_id = unit.value;
      await api('/v1/admin/staff', { method: 'POST', token: s.token, body });
      staffAccountsView(t('account_created'));
    } catch (err) {
      // a phone that has an account already: say so in the reader's words, not the bare code's
      const taken = err.status === 409 && err.body?.error === 'already_exists';
      mount(status, taken ? h('div', { class: 'error', role: 'alert', testid: 'account-exists' }, t('account_exists')) : errorBox(err));
      submit.disabled = false;
    }
  } }, h('h2', {}, t('new_account')), field(t('person_name'), name), field(t('account_phone'), phone), field(t('role'), role), unitField, status, submit);
  const rows = data.items.map((a) => h('tr', { testid: 'account-row', 'data-username': a.username },
    h('td', {}, a.name || '—'), h('td', {}, fmtPhone(a.phone) || '—'), h('td', {}, a.role ? roleLabel(a.role) : '—'), h('td', {}, a.unit_id ? unitName(a.unit_id) : '—'),
    h('td', {}, a.enabled ? (a.status === 'FORCE_CHANGE_PASSWORD' ? t('first_sign_in') : t('enabled')) : t('disabled')),
    h('td', {}, a.enabled ? h('button', { type: 'button', class: 'secondary', testid: 'account-disable', onclick: async (ev) => {
      ev.target.disabled = true;
      try { await api(`/v1/admin/staff/${encodeURIComponent(a.username)}/disable`, { method: 'POST', token: s.token }); staffAccountsView(); } catch (err) { mount(status, errorBox(err)); ev.target.disabled = false; }
    } }, t('disable')) : null)));
  paint(gen, h('section', { testid: 'staff-accounts' }, h('h1', {}, t('staff_accounts')),
    notice ? h('p', { role: 'status', class: 'notice', testid: 'account-notice' }, notice) : null,
    rows.length ? h('div', { class: 'table-scroll' }, h('table', { class: 'grid-table' },
      h('thead', {}, h('tr', {}, [t('person_name'), t('phone'), t('role'), t('unit'), t('account_status'), t('actions')].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows))) : h('p', {}, t('nothing')),
    form));
}

// --- admin: the catalogue ---------------------------------------------------------------------------
// The version in force and every version before it (GET /v1/admin/catalog/versions); a new document is
// first checked (PUT /v1/admin/catalog?dry_run=true shows what it changes), then applied. A document
// an admin applies routes the next submission (the functions check the version on each request).
function diffList(change) {
  const sections = Object.entries(change.diff || {}).filter(([, p]) => p.added.length + p.removed.length + p.changed.length);
  return h('div', { testid: 'catalog-diff' },
    h('p', {}, change.changes ? `${change.changes} ${t('catalog_changes')}` : t('catalog_no_changes')),
    sections.map(([name, p]) => h('section', { class: 'catalog-section' },
      h('h3', {}, `${name}: +${p.added.length} −${p.removed.length} ~${p.changed.length}`),
      h('ul', {}, p.added.map((x) => h('li', {}, `+ ${x}`)), p.removed.map((x) => h('li', {}, `− ${x}`)), p.changed.map((x) => h('li', {}, `~ ${x}`))))));
}

async function catalogView(notice) {
  const gen = generation;
  const s = me();
  const history = await api('/v1/admin/catalog/versions', { token: s.token });
  const head = history.versions[0];
  const status = h('div', { 'aria-live': 'polite', testid: 'catalog-status' });
  const file = h('input', { type: 'file', accept: '.json,application/json', testid: 'catalog-file' });
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
      const text = await file.files?.[0]?.text();
      try { document_ = JSON.parse(text ?? ''); } catch { throw new Error(t('catalog_not_json')); }
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

// --- inbox -----------------------------------------------------------------------------------------
function badge(status) { return h('span', { class: `badge s-${status.toLowerCase()}` }, statusLabel(status)); }
const urgentBadge = (c) => (c.urgent ? h('span', { class: 'badge s-urgent', testid: 'urgent-badge' }, t('urgent')) : null);
const assistBadge = () => h('span', { class: 'badge s-assist', testid: 'assist-badge' }, t('assist_mark'));
function urgentCheck(input, hint) {
  return h('div', { class: 'check' }, input, h('label', { for: input.id }, t('urgent_mark')), hint ? h('p', { class: 'hint' }, hint) : null);
}
/** A unit's people by username (the assignee picker and the names it shows), read once per unit. */
const unitPeople = {};
async function peopleOf(unit, token) {
  unitPeople[unit] ??= api(`/v1/units/${encodeURIComponent(unit)}/staff`, { token }).then((d) => d.items).catch(() => []);
  return unitPeople[unit];
}
const personName = (people, username) => people.find((p) => p.username === username)?.name || username;

async function inboxView(unitArg) {
  const gen = generation;
  const s = me();
  const unit = s.role === 'staff' ? s.unit : unitArg || (s.role === 'dispatcher' ? 'dispatch-centre' : 'dispatch-centre');
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const status = params.get('status') || '';
  // `mine`: the cases given to the signed-in person; open cases also list those the unit helps on (协办)
  const query = status === 'mine' ? '&assignee=me' : status ? `&status=${status}` : '';
  const base = `/v1/units/${encodeURIComponent(unit)}/cases?limit=100`;
  const [data, assisting] = await Promise.all([api(`${base}${query}`, { token: s.token }),
    !status && unit !== 'dispatch-centre' ? api(`${base}&assist=true`, { token: s.token }) : { items: [] }]);
  const people = s.role === 'staff' ? await peopleOf(unit, s.token) : [];
  const statusPick = h('select', { id: 'inbox-status', testid: 'inbox-show', onchange: () => { location.hash = `#/inbox/${unit}${statusPick.value ? `?status=${statusPick.value}` : ''}`; } },
    [['', t('open_cases')], s.role === 'staff' ? ['mine', t('assigned_to_me')] : null, ['CLOSED', t('closed_cases')], ['WITHDRAWN', t('withdrawn_cases')]]
      .filter(Boolean).map(([v, l]) => h('option', { value: v, selected: v === status }, l)));
  const unitPick = s.role === 'staff' ? null : h('select', { id: 'inbox-unit', onchange: () => { location.hash = `#/inbox/${unitPick.value}`; } },
    h('option', { value: 'dispatch-centre', selected: unit === 'dispatch-centre' }, unitName('dispatch-centre')),
    Object.values(units || {}).map((u) => h('option', { value: u.id, selected: u.id === unit }, unitName(u.id))));
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
    h('div', { class: 'row spread' }, h('h1', {}, unit === 'dispatch-centre' ? t('queue') : `${t('inbox')} · ${unitName(unit)}`),
      h('div', { class: 'row' }, unitPick ? field(t('unit'), unitPick) : null, field(t('show'), statusPick))),
    rows.length ? h('table', { class: 'grid-table' },
      h('thead', {}, h('tr', {}, [t('tracking_no'), t('category'), t('topic'), t('district'), t('status'), t('deadline')].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows)) : h('p', {}, t('nothing'))));
  main.querySelectorAll('tr[data-case-id]').forEach((tr) => tr.addEventListener('click', (e) => {
    if (e.target.tagName !== 'A') location.hash = `#/case/${tr.dataset.caseId}`;
  }));
}

// --- case ------------------------------------------------------------------------------------------
/** Every read of the citizen's media is recorded, one event per page view. Each reader's reads show as
 *  one line at the time of the latest, with their count and the first time (nothing is dropped). */
function collapseReads(events) {
  const out = [];
  const reads = new Map();  // note (names the reader) -> its line
  for (const e of events) {
    if (e.type !== 'media_viewed') { out.push({ ...e, times: 1, first_at: e.at }); continue; }
    const seen = reads.get(e.note);
    const line = seen ? { ...seen, at: e.at, seq: e.seq, times: seen.times + 1 } : { ...e, times: 1, first_at: e.at };
    if (seen) out.splice(out.indexOf(seen), 1);
    out.push(line);
    reads.set(e.note, line);
  }
  return out;
}

/** The citizen's ratings, each round's four scores by the platform's names and what the citizen said:
 *  the unit redoing a case and supervisors read why the citizen was unsatisfied. */
const RATING_DIMENSIONS = ['speed', 'effectiveness', 'experience', 'feedback_quality'];
function ratingList(ratings) {
  return h('ul', { class: 'ratings', testid: 'ratings' }, ratings.map((r) => h('li', { testid: 'rating', 'data-round': r.round },
    h('p', {}, h('strong', {}, r.satisfied ? t('rating_satisfied') : t('rating_unsatisfied_staff')),
      h('span', { class: 'muted' }, ` · ${t('round').replace('{n}', r.round)} · ${fmtTime(r.at)}`)),
    h('p', { testid: 'rating-scores' }, RATING_DIMENSIONS.map((d) => `${dimensionLabel(d)} ${r[d]}`).join(t('list_sep'))),
    r.comment ? h('blockquote', { class: 'prewrap', testid: 'rating-comment' }, r.comment) : null)));
}

function mediaOf(att, i) {
  const label = `${t('media')} ${i + 1}`;
  if (!att.download_url) return h('li', {}, `${att.kind} · ${att.content_type}`);
  let el;
  if (att.kind === 'photo' && att.content_type !== 'image/heic') el = h('img', { src: att.download_url, alt: label, class: 'thumb large' });
  else if (att.kind === 'video') el = h('video', { src: att.download_url, controls: true, preload: 'metadata', 'aria-label': label });
  else if (att.kind === 'voice') el = h('audio', { src: att.download_url, controls: true, preload: 'none', 'aria-label': label });
  return h('li', {}, el, h('a', { href: att.download_url }, `${label} · ${att.content_type}`));
}

function actionForm(title, controls, button, run) {
  const status = h('div', { 'aria-live': 'polite' });
  return h('form', { class: 'action', onsubmit: async (e) => {
    e.preventDefault();
    button.disabled = true;
    try { await run(); route(); } catch (err) { mount(status, errorBox(err)); button.disabled = false; }
  } }, h('h3', {}, title), controls, status, button);
}

async function caseView(id, reveal = false) {
  const gen = generation;
  const s = me();
  const token = s.token;
  const [c, tl] = await Promise.all([api(`/v1/cases/${id}${reveal ? '?reveal=phone' : ''}`, { token }), api(`/v1/cases/${id}/timeline`, { token })]);
  // the unit's answer files are listed with the answers, apart from what the citizen sent
  const { own, fromUnit } = splitMedia(c);
  const open = !['CLOSED', 'WITHDRAWN'].includes(c.status);
  const post = (path, body) => api(`/v1/cases/${id}/${path}`, { method: 'POST', token, body });
  const actions = [];
  const leads = s.role === 'staff' && open && c.unit_id === s.unit && c.status !== 'RETURNED';
  const people = leads ? await peopleOf(s.unit, token) : [];
  if (leads) {
    // the assignee picker: one of the unit's people (the staff pool's accounts of this unit)
    const who = h('select', { required: true, testid: 'assignee-pick' },
      h('option', { value: '', disabled: true, selected: !c.assignee }, t('choose')),
      people.map((p) => h('option', { value: p.username, selected: p.username === c.assignee }, p.name || p.username)));
    const ab = h('button', { type: 'submit', class: 'secondary', testid: 'action-assign' }, t('assign'));
    actions.push(actionForm(t('assign'), field(t('assignee'), who), ab, () => post('assignee', { username: who.value })));
  }
  if (leads || (s.role === 'dispatcher' && open && c.unit_id && c.unit_id !== 'dispatch-centre')) actions.push(assistDialog(c, post));
  if (s.role === 'staff' && open && c.unit_id === s.unit && c.status !== 'RETURNED') {
    if (['DISPATCHED', 'REOPENED', 'SUPERVISED'].includes(c.status)) {
      const b = h('button', { type: 'submit', class: 'primary', testid: 'action-accept' }, t('accept'));
      actions.push(actionForm(t('accept'), null, b, () => post('accept')));
    }
    if (c.status !== 'REPLIED') {
      const msg = h('textarea', { rows: 4, maxlength: 4000, required: true, testid: 'reply-message' });
      // files sent with the answer (a photo of the repair): uploaded straight to S3 when the reply is sent
      const files = h('input', { type: 'file', multiple: true, accept: 'image/jpeg,image/png,image/heic,video/mp4,video/quicktime', testid: 'reply-attachments' });
      const b = h('button', { type: 'submit', class: 'primary', testid: 'action-reply' }, t('reply'));
      // reply templates (GET /v1/reply-templates, the case's topic and those for any): picking one fills
      // the answer, whose [ ] parts the officer completes
      const templates = h('select', { testid: 'reply-template' }, h('option', { value: '' }, t('template_none')));
      api(`/v1/reply-templates?topic=${encodeURIComponent(c.topic)}`, { token }).then((data) => {
        templates.append(...data.items.map((x) => h('option', { value: x.id, 'data-text': x.text }, x.title)));
      }).catch(() => { templates.disabled = true; });
      templates.addEventListener('change', () => {
        const text = templates.selectedOptions[0]?.dataset.text;
        if (text) { msg.value = text; msg.focus(); }
      });
      actions.push(actionForm(t('reply'), [field(t('reply_template'), templates, t('reply_template_hint')), field(t('reply_message'), msg), field(t('attachments'), files)], b, async () => {
        const ids = [];
        for (const file of files.files) ids.push(await upload(token, file, () => {}));
        return post('reply', { message: msg.value, attachments: ids });
      }));
      const reason = h('input', { type: 'text', maxlength: 1000, required: true, testid: 'return-reason' });
      const rb = h('button', { type: 'submit', class: 'secondary', testid: 'action-return' }, t('return'));
      actions.push(actionForm(t('return'), field(t('return_reason'), reason), rb, () => post('return', { reason: reason.value })));
      if (!c.extension || c.extension.status !== 'pending') {
        const days = h('input', { type: 'number', min: 1, max: 30, value: 3, required: true });
        const why = h('input', { type: 'text', maxlength: 1000, required: true });
        const eb = h('button', { type: 'submit', class: 'secondary', testid: 'action-extension' }, t('extension'));
        actions.push(actionForm(t('extension'), [field(t('ext_days'), days), field(t('ext_reason'), why)], eb,
          () => post('extension', { days: Number(days.value), reason: why.value })));
      }
    }
  }
  if (s.role === 'dispatcher' && open) {
    const queued = !c.unit_id || c.unit_id === 'dispatch-centre' || ['SUBMITTED', 'RETURNED'].includes(c.status);
    const pick = h('select', { required: true, testid: 'dispatch-unit' });
    const all = h('input', { type: 'checkbox', id: 'all-districts' });
    // units that returned the case: never preselected (issue 21), listed last and marked, still choosable
    const returnedBy = new Set(tl.events.filter((e) => e.type === 'returned' && e.unit_id).map((e) => e.unit_id));
    const fill = () => {
      const list = Object.values(units || {}).filter((u) => all.checked || !u.district || u.district === c.district)
        .sort((a, b) => (returnedBy.has(a.id) - returnedBy.has(b.id)) || (b.topics.includes(c.topic) - a.topics.includes(c.topic)) || a.id.localeCompare(b.id));
      mount(pick, h('option', { value: '', selected: true, disabled: true }, t('choose')),
        list.filter((u) => u.id !== c.unit_id).map((u) => h('option', { value: u.id, 'data-returned': returnedBy.has(u.id) ? 'true' : null },
          `${unitName(u.id)}${u.topics.includes(c.topic) ? ' ★' : ''}${returnedBy.has(u.id) ? ` · ${t('returned_it')}` : ''}`)));
    };
    all.addEventListener('change', fill);
    fill();
    const reason = h('input', { type: 'text', maxlength: 1000, required: !queued, testid: 'dispatch-reason' });
    const urgent = h('input', { type: 'checkbox', id: 'dispatch-urgent', testid: 'dispatch-urgent', checked: c.urgent, disabled: c.urgent });
    const b = h('button', { type: 'submit', class: 'primary', testid: 'action-dispatch' }, queued ? t('dispatch') : t('transfer'));
    actions.push(actionForm(queued ? t('dispatch') : t('transfer'),
      [field(t('dispatch_unit'), pick), h('div', { class: 'check' }, all, h('label', { for: 'all-districts' }, t('all_districts'))),
        queued ? null : field(t('transfer_reason'), reason), urgentCheck(urgent, t('urgent_dispatch_hint'))],
      b, () => post('dispatch', { unit_id: pick.value, ...(queued ? {} : { reason: reason.value }), ...(urgent.checked && !c.urgent ? { urgent: true } : {}) })));
    // 更正分类: topic and district from the catalogue, with a reason; only what changed is sent. The case
    // stays where it is (a queued case is then dispatched with the new suggestions, a held one transferred)
    const options = (table, current) => Object.keys(catalog?.[table] || {}).map((k) => h('option', { value: k, selected: k === current }, nameOf(table, k)));
    const topicPick = h('select', { required: true, testid: 'reclassify-topic' }, options('topics', c.topic));
    const districtPick = h('select', { required: true, testid: 'reclassify-district' }, options('districts', c.district));
    const why = h('input', { type: 'text', maxlength: 1000, required: true, testid: 'reclassify-reason' });
    const rb = h('button', { type: 'submit', class: 'secondary', testid: 'action-reclassify' }, t('reclassify'));
    actions.push(actionForm(t('reclassify'),
      [h('p', { class: 'muted' }, t('reclassify_hint')), field(t('topic'), topicPick), field(t('district'), districtPick), field(t('reclassify_reason'), why)],
      rb, () => post('classification', {
        ...(topicPick.value !== c.topic ? { topic: topicPick.value } : {}),
        ...(districtPick.value !== c.district ? { district: districtPick.value } : {}),
        reason: why.value,
      })));
  }
  if ((s.role === 'supervisor' || s.role === 'admin') && open) {
    if (c.extension?.status === 'pending') {
      const note = h('input', { type: 'text', maxlength: 1000 });
      const approve = h('input', { type: 'radio', name: 'approve', value: 'yes', id: 'approve-yes', checked: true });
      const refuse = h('input', { type: 'radio', name: 'approve', value: 'no', id: 'approve-no' });
      const b = h('button', { type: 'submit', class: 'primary', testid: 'action-decision' }, t('decision'));
      actions.push(actionForm(`${t('decision')} · ${c.extension.days} · ${c.extension.reason}`,
        [h('fieldset', { class: 'inline' }, h('legend', {}, t('decision')), approve, h('label', { for: 'approve-yes' }, t('approve')), refuse, h('label', { for: 'approve-no' }, t('refuse'))),
          field(t('decision_note'), note)], b,
        () => post('extension/decision', note.value ? { approve: approve.checked, note: note.value } : { approve: approve.checked })));
    }
    const text = h('textarea', { rows: 3, maxlength: 2000, required: true, testid: 'supervision-instructions' });
    const days = h('input', { type: 'number', min: 1, max: 30, value: 2, required: true });
    const b = h('button', { type: 'submit', class: 'primary', testid: 'action-supervise' }, t('send_instructions'));
    actions.push(actionForm(t('instructions'), [field(t('instructions'), text), field(t('due_in_days'), days)], b,
      () => post('supervision', { instructions: text.value, due_in_days: Number(days.value) })));
  }
  const noteText = h('textarea', { rows: 2, maxlength: 2000, required: true, testid: 'note-text' });
  const noteButton = h('button', { type: 'submit', class: 'secondary' }, t('add_note'));
  const due = dueState(c);
  paint(gen, h('article', { class: 'case-page', testid: 'case-detail', 'data-status': c.status },
    h('a', { href: '#/inbox', class: 'back' }, `‹ ${t('back')}`),
    h('header', { class: 'row spread' },
      h('h1', {}, `${t('case')} ${c.tracking_no}`),
      h('div', { class: 'row' }, h('span', { class: `badge big s-${c.status.toLowerCase()}`, testid: 'case-status' }, statusLabel(c.status)),
        urgentBadge(c), s.role === 'staff' && c.assist_units?.includes(s.unit) && c.unit_id !== s.unit ? assistBadge() : null,
        due === 'overdue' ? h('span', { class: 'badge s-overdue' }, t('overdue')) : due === 'near' ? h('span', { class: 'badge s-near' }, t('near_deadline')) : null)),
    h('div', { class: 'columns' },
      h('div', {},
        h('section', { class: 'card' }, h('h2', {}, t('citizen_text')),
          h('p', { class: 'prewrap', testid: 'case-description' }, c.description),
          h('dl', { class: 'facts' },
            h('dt', {}, t('category')), h('dd', {}, `${categoryLabel(c.category)} · ${nameOf('topics', c.topic)} · ${nameOf('districts', c.district)}`),
            h('dt', {}, t('current_unit')), h('dd', {}, unitName(c.unit_id)),
            c.assignee ? [h('dt', {}, t('assignee')), h('dd', { testid: 'case-assignee' }, personName(people, c.assignee))] : null,
            c.assist_units?.length ? [h('dt', {}, t('assist_units')), h('dd', { testid: 'case-assist-units' }, c.assist_units.map(unitName).join('、'))] : null,
            h('dt', {}, t('deadline')), h('dd', {}, c.due_at ? fmtTime(c.due_at) : '—'),
            h('dt', {}, t('citizen_phone')), h('dd', { testid: 'citizen-phone' }, fmtPhone(c.citizen_phone || c.phone),
              s.role === 'supervisor' && !c.citizen_phone ? h('button', { type: 'button', class: 'link-button', onclick: () => caseView(id, true).catch((err) => paint(gen, errorBox(err))) }, t('reveal_phone')) : null),
            h('dt', {}, t('address')), h('dd', {}, c.address || '—'),
            h('dt', {}, t('coordinates')), h('dd', {}, c.location ? h('a', { href: `geo:${c.location.lat},${c.location.lon}` }, `${c.location.lat.toFixed(5)}, ${c.location.lon.toFixed(5)}`) : t('location_none_staff')),
            c.extension ? [h('dt', {}, t('extension_status')), h('dd', {}, `${c.extension.days} · ${c.extension.reason} · ${c.extension.status}`)] : null),
          own.length ? [h('h3', {}, t('media')), h('ul', { class: 'media' }, own.map(mediaOf))] : null,
          fromUnit.length ? [h('h3', {}, t('reply_files')), h('ul', { class: 'media', testid: 'reply-files' }, fromUnit.map(mediaOf))] : null,
          c.supplements?.length ? [h('h3', {}, t('supplement')), h('ul', {}, c.supplements.map((x) => h('li', {}, `${fmtTime(x.at)} ${x.text}`)))] : null,
          c.replies.length ? [h('h3', {}, t('replies')), h('ul', {}, c.replies.map((r) => h('li', {}, h('span', { class: 'muted' }, `${fmtTime(r.at)} · ${unitName(r.unit_id)}: `), r.message)))] : null,
          c.ratings?.length ? [h('h3', {}, t('citizen_ratings')), ratingList(c.ratings)] : null),
        h('section', { class: 'card' }, h('h2', {}, t('staff_timeline')),
          h('ol', { class: 'timeline staff', testid: 'timeline' }, collapseReads(tl.events).reverse().map((e) => h('li', { class: 'timeline-event', testid: 'timeline-event', 'data-type': e.type },
            h('span', { class: 'dot', 'aria-hidden': 'true' }),
            h('p', { class: 'event-text' }, h('strong', {}, e.text || eventLabel(e.type)), e.unit_id ? h('span', { class: 'muted' }, ` · ${unitName(e.unit_id)}`) : null,
              e.times > 1 ? h('span', { class: 'muted', testid: 'repeat-count' }, ` ×${e.times}`) : null),
            e.note ? h('p', { class: 'note' }, e.note) : null,
            h('time', { datetime: e.at }, `${e.times > 1 ? `${fmtTime(e.first_at)} – ` : ''}${fmtTime(e.at)} · ${eventLabel(e.type)} · ${actorLabel(e.actor)}`)))),
          tl.notifications?.length ? h('details', {}, h('summary', {}, `${t('sms')} (${tl.notifications.length})`),
            h('ul', {}, tl.notifications.map((n) => h('li', {}, `${eventLabel(n.event)} → ${fmtPhone(n.to)} · ${n.status}${n.sent_at ? ` · ${fmtTime(n.sent_at)}` : ''}`)))) : null)),
      h('aside', { class: 'actions', 'aria-label': t('actions') },
        open ? actions : h('p', { class: 'card' }, t('case_closed')),
        actionForm(t('notes'), field(t('note'), noteText), noteButton, () => post('notes', { text: noteText.value }))))));
}

/** 协办: the lead unit (or a dispatcher) asks other units to help, in a dialog: which units, and what for. */
function assistDialog(c, post) {
  const taken = new Set([c.unit_id, ...(c.assist_units || [])]);
  const choices = Object.values(units || {}).filter((u) => !taken.has(u.id) && !['dispatch-centre', 'supervision-office'].includes(u.id))
    .sort((a, b) => ((b.district === c.district) - (a.district === c.district)) || a.id.localeCompare(b.id));
  const boxes = choices.map((u) => h('input', { type: 'checkbox', value: u.id, id: `assist-${u.id}`, testid: `assist-unit-${u.id}` }));
  const note = h('textarea', { rows: 3, maxlength: 1000, required: true, testid: 'assist-note' });
  const status = h('div', { 'aria-live': 'polite' });
  const send = h('button', { type: 'submit', class: 'primary', testid: 'assist-send' }, t('assist_send'));
  const dialog = h('dialog', { class: 'card', testid: 'assist-dialog', 'aria-labelledby': 'assist-title' },
    h('form', { onsubmit: async (e) => {
      e.preventDefault();
      const picked = boxes.filter((b) => b.checked).map((b) => b.value);
      if (!picked.length) { mount(status, h('div', { class: 'error', role: 'alert' }, t('assist_pick_one'))); return; }
      send.disabled = true;
      try { await post('assist', { units: picked, note: note.value }); dialog.close(); route(); } catch (err) { mount(status, errorBox(err)); send.disabled = false; }
    } },
    h('h2', { id: 'assist-title' }, t('assist_request')),
    h('fieldset', { class: 'assist-units' }, h('legend', {}, t('assist_units')),
      choices.map((u, i) => h('div', { class: 'check' }, boxes[i], h('label', { for: boxes[i].id }, unitName(u.id))))),
    field(t('assist_note'), note), status,
    h('div', { class: 'row' }, send, h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, t('cancel')))));
  return h('div', { class: 'action' }, h('h3', {}, t('assist_request')),
    h('button', { type: 'button', class: 'secondary', testid: 'action-assist', onclick: () => dialog.showModal() }, t('assist_request')), dialog);
}

// --- supervision -----------------------------------------------------------------------------------
async function supervisionView() {
  const gen = generation;
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

// --- scoreboard ------------------------------------------------------------------------------------

async function scoreboardView() {
  const gen = generation;
  const s = me();
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const today = new Date();
  const to = params.get('to') || shanghaiDay(today);
  const from = params.get('from') || shanghaiDay(new Date(today.getTime() - 13 * 86400e3));
  const fromIn = h('input', { type: 'date', value: from, required: true });
  const toIn = h('input', { type: 'date', value: to, required: true });
  const go = (f, t2) => { location.hash = `#/scoreboard?from=${f}&to=${t2}`; };
  const preset = (days) => h('button', { type: 'button', class: 'secondary', onclick: () => go(shanghaiDay(new Date(today.getTime() - (days - 1) * 86400e3)), shanghaiDay(today)) }, t(`last${days}`));
  const unitQ = s.role === 'staff' ? `&unit_id=${encodeURIComponent(s.unit)}` : '';
  const status = h('div', { 'aria-live': 'polite' });
  const csv = h('button', { type: 'button', class: 'secondary', testid: 'export-csv', onclick: async () => {
    try {
      const blob = await api(`/v1/stats?from=${from}&to=${to}${unitQ}&format=csv`, { token: s.token, accept: 'text/csv' });
      const a = h('a', { href: URL.createObjectURL(blob), download: `minyi-stats-${from}-${to}.csv` });
      document.body.append(a); a.click(); a.remove();
    } catch (err) { mount(status, errorBox(err)); }
  } }, t('export_csv'));
  const picker = h('form', { class: 'card row wrap', onsubmit: (e) => { e.preventDefault(); go(fromIn.value, toIn.value); } },
    h('h2', { class: 'visually-hidden' }, t('period')), field(t('from'), fromIn), field(t('to'), toIn),
    h('button', { type: 'submit', class: 'primary' }, t('apply')), preset(7), preset(30), preset(90), csv);
  paint(gen, h('section', {}, h('h1', {}, t('scoreboard')), picker, status, h('p', { class: 'muted' }, t('loading'))));
  const stats = await api(`/v1/stats?from=${from}&to=${to}${unitQ}`, { token: s.token });
  // cases per day: weekly buckets past 31 days
  const days = [];
  const start = new Date(`${from}T00:00:00Z`), end = new Date(`${to}T00:00:00Z`);
  const span = Math.round((end - start) / 86400e3) + 1;
  const step = span > 31 ? 7 : 1;
  for (let d = new Date(start); d <= end; d = new Date(d.getTime() + step * 86400e3)) {
    const last = new Date(Math.min(end.getTime(), d.getTime() + (step - 1) * 86400e3));
    days.push([d.toISOString().slice(0, 10), last.toISOString().slice(0, 10)]);
  }
  const label = (u) => (lang() === 'en' ? u.unit_name_en : u.unit_name) || u.unit_name || u.unit_id;
  const tot = stats.totals;
  // a unit's intake is what was dispatched to it (submissions belong to no unit until routed)
  const intake = s.role === 'staff' ? { label: 'received', counter: 'dispatched' } : { label: 'submitted', counter: 'submitted' };
  const daily = h('figure', { class: 'chart-card' }, h('figcaption', {}, t('cases_per_day')), h('p', { class: 'muted' }, t('loading')));
  paint(gen, h('section', {},
    h('h1', {}, t('scoreboard')), picker, status,
    h('div', { class: 'tiles' }, tile(intake.label, tot[intake.counter]), tile('closed', tot.closed), tile('on_time_rate', pct(tot.on_time_rate)),
      tile('satisfaction_rate', pct(tot.satisfaction_rate)), tile('reopened', tot.reopened), tile('supervised', tot.supervised), tile('overdue_n', tot.open_overdue ?? tot.overdue)),
    h('div', { class: 'charts', testid: 'scoreboard-chart' },
      rateBars(t('on_time_rate'), stats.units.map((u) => ({ label: label(u), value: u.on_time_rate })), 'chart-on-time'),
      rateBars(t('satisfaction_rate'), stats.units.map((u) => ({ label: label(u), value: u.satisfaction_rate })), 'chart-satisfaction'),
      daily,
      pairedBars(t('rollbacks'), [t('reopened'), t('resolved_after_rollback')],
        stats.units.map((u) => ({ label: label(u), values: [u.reopened, u.resolved_after_rollback] })), 'chart-rollbacks'),
      s.role === 'staff' ? null : shareBars(t('by_channel'), stats.submitted_by_channel, (k) => t(`channel_${k}`), 'chart-by-channel'))));
  // cases per day: the day counters read day by day (no series in /v1/stats), drawn when they are in
  const perDay = [];
  for (let i = 0; i < days.length; i += 6) {
    perDay.push(...await Promise.all(days.slice(i, i + 6).map(([a, b]) => api(`/v1/stats?from=${a}&to=${b}${unitQ}`, { token: s.token }).then((r) => r.totals))));
    if (gen !== generation) return;
  }
  daily.replaceWith(lineChart(t('cases_per_day'), [
    { name: t(intake.label), points: days.map(([d], i) => ({ x: d, y: perDay[i][intake.counter] })) },
    { name: t('closed'), points: days.map(([d], i) => ({ x: d, y: perDay[i].closed })) },
  ], 'chart-per-day'));
}

addEventListener('hashchange', route);
registerServiceWorker();
route();
