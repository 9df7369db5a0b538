// The operator files for the caller (channel `hotline`); the case belongs to the caller's mobile, which
// gets the receipt with the tracking number and, after the answer, the rating link. The calls filed
// in this browser tab are listed below the form (operators have no case list of their own).
// Kept per operator (shared.js's callsKey names the signed-in account) and dropped at sign-out.
import { api, categoryExplained, choiceSelect, e164, errorBox, explained, field, h, mount, newIdempotencyKey, refuseOpenChoices } from '../common.js';
import { categoryLabel, categoryWithDays, fmtTime, statusLabel, t } from '../i18n.js';
import { intakeSuggestions, optionalSelect } from '../intake.js';
import { callsKey, main, me, nameOf, paint, route, state, urgentCheck } from './shared.js';

function callsThisShift() {
  try { const calls = JSON.parse(sessionStorage.getItem(callsKey()) || '[]'); return Array.isArray(calls) ? calls : []; } catch { return []; }
}

export function callView() {
  const gen = state.generation;
  const s = me();
  // no preselected topic or district: the operator chooses what the caller reports (a default would be
  // filed unnoticed)
  const select = (name, testid, entries, value) => h('select', { name, testid, required: true },
    value === null ? h('option', { value: '', selected: true, disabled: true }, t('choose')) : null,
    entries.map(([code, label]) => h('option', { value: code, selected: code === value }, label)));
  const phone = h('input', { type: 'tel', name: 'phone', required: true, inputmode: 'tel', maxlength: 20, testid: 'call-phone', autocomplete: 'off' });
  // the category too (issue 21): each choice starts on "please choose" and says what it means
  const category = choiceSelect('category', 'call-category', state.catalog.categories.map((c) => [c, categoryWithDays(categoryLabel(c), state.catalog.deadline_days[c])]));
  // topic and district may be left to the platform (issue 18): it suggests them from what the caller
  // reports (the best topic preselected when confident) and routes without them
  const topic = optionalSelect('topic', 'call-topic', Object.keys(state.catalog.topics).map((k) => [k, nameOf('topics', k)]));
  const district = optionalSelect('district', 'call-district', Object.keys(state.catalog.districts).map((k) => [k, nameOf('districts', k)]));
  const description = h('textarea', { name: 'description', rows: 5, maxlength: 4000, required: true, testid: 'call-description' });
  const address = h('input', { type: 'text', name: 'address', maxlength: 300, testid: 'call-address' });
  // the open cases nearby with their (masked) words: the operator tells the caller it is already being handled
  const intake = intakeSuggestions({ form: { description, topic, district, category, address }, token: () => me().token, nameOf, staff: true });
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
      const body = { category: category.value, description: description.value.trim(),
        phone: e164(phone.value) || phone.value.trim(), channel: 'hotline', language: language.value };
      if (topic.value) body.topic = topic.value;
      if (district.value) body.district = district.value;
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
  field(t('category'), category), explained(category, categoryExplained(state.catalog)),
  field(t('topic'), topic), explained(topic, () => t('explain_topic')), intake.topicHint,
  field(t('district'), district), explained(district, () => t('explain_district')),
  field(t('description'), description), intake.panel, field(t('address'), address, t('address_hint')),
  directRow, answerBox, urgentCheck(urgent, t('urgent_call_hint')), status, submit);
  refuseOpenChoices([[t('category'), category]], status);
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
