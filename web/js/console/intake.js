// Smart intake on the case page (issue 18): what the platform suggested when the case came in (the topics
// with their scores and the model's version, and what was finally chosen), so a dispatcher routing a
// queued case starts from it; and the open cases that may be the same problem
// (GET /v1/cases/{id}/duplicates), each with 并单 (POST /v1/cases/{id}/merge {into, reason}): this case
// is merged into that one, whose every step then reaches this case's reporter too.
// Both show only where the case carries a suggestion and the route answers: an older case or a
// platform without the route shows the page as before.
import { api, field, h, mount } from '../common.js';
import { t } from '../i18n.js';
import { ago } from '../intake.js';
import { actionForm, me, nameOf } from './shared.js';

const pct = (score) => `${Math.round(score * 100)}%`;

/** The recorded suggestion: {model_version, topics: [{topic, score}], chosen}, or null when there is none. */
export function suggestionCard(c) {
  const s = c.suggestion;
  if (!s || !Array.isArray(s.topics)) return null;
  const chosen = typeof s.chosen === 'string' ? s.chosen : s.chosen?.topic;
  return h('section', { class: 'card', testid: 'case-suggestion' }, h('h2', {}, t('case_suggestion')),
    h('ol', { class: 'suggested-list' }, s.topics.slice(0, 5).map((x) => h('li', { testid: 'case-suggested-topic', 'data-topic': x.topic },
      `${nameOf('topics', x.topic)} ${pct(x.score)}`, x.topic === chosen ? h('span', { class: 'badge s-replied' }, t('suggestion_chosen')) : null))),
    h('dl', { class: 'facts' },
      h('dt', {}, t('model_version')), h('dd', { testid: 'case-model-version' }, s.model_version || '—'),
      h('dt', {}, t('suggestion_chosen')), h('dd', {}, chosen ? nameOf('topics', chosen) : t('dispatch_centre'))));
}

/** Who sees a case's duplicates and merges it: dispatchers, and the staff of the unit holding it, while it is open. */
export function mayMerge(c, session, open) {
  return open && (session.role === 'dispatcher' || (session.role === 'staff' && c.unit_id === session.unit));
}

/** The duplicates card, filled when GET /v1/cases/{id}/duplicates answers (hidden otherwise); null for
 *  a reader who may not merge the case. */
export function duplicatesCard(c, open) {
  if (!mayMerge(c, me(), open)) return null;
  const card = h('section', { class: 'card', testid: 'case-duplicates', hidden: true });
  const token = me().token;
  api(`/v1/cases/${encodeURIComponent(c.id)}/duplicates`, { token }).then((data) => {
    const items = Array.isArray(data) ? data : data?.duplicates || data?.items || [];
    mount(card, h('h2', {}, t('duplicates')),
      items.length ? h('ul', { class: 'near-cases' }, items.map((d) => duplicateRow(c, d))) : h('p', { class: 'muted', testid: 'duplicates-none' }, t('duplicates_none')));
    card.hidden = false;
  }).catch(() => {});  // the route is not there (or the case is not the reader's): nothing to show
  return card;
}

function duplicateRow(c, d) {
  const reason = h('input', { type: 'text', maxlength: 1000, required: true, testid: 'merge-reason' });
  const button = h('button', { type: 'submit', class: 'secondary', testid: 'action-merge' }, t('merge_into'));
  const facts = [d.tracking_no, nameOf('topics', d.topic), Number.isFinite(d.distance_m) ? t('distance_m').replace('{n}', String(Math.round(d.distance_m))) : null,
    d.created_at ? ago(d.created_at) : null, Number.isFinite(d.score) ? pct(d.score) : null].filter(Boolean).join(t('list_sep'));
  return h('li', { class: 'near-case', testid: 'duplicate', 'data-tracking-no': d.tracking_no, 'data-likely': d.likely_duplicate ? 'true' : 'false' },
    h('p', {}, h('strong', {}, facts), d.likely_duplicate ? h('span', { class: 'badge s-near' }, t('near_likely')) : null),
    d.summary ? h('blockquote', { class: 'prewrap' }, d.summary) : null,
    actionForm(`${t('merge_into')} ${d.tracking_no}`, field(t('merge_reason'), reason), button,
      () => api(`/v1/cases/${encodeURIComponent(c.id)}/merge`, { method: 'POST', token: me().token, body: { into: d.tracking_no, reason: reason.value } })));
}
