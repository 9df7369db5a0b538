// Smart intake in the forms (issue 18): the citizen app's new request and the operator's new-call form
// ask POST /v1/intake/suggestions as people write, and show what the platform makes of the text: the
// likely topics (the best one preselected when the model is confident and the person has not chosen),
// the district with what it was found from, and the open cases nearby that may be the same problem, with
// "me too" (POST /v1/track/{no}/follow) for a signed-in citizen instead of filing a second case.
// Why these rules:
// - asked only after a pause in typing (DEBOUNCE_MS) and only for a description of MIN_CHARS or more:
//   a few characters say nothing, and every keystroke would be a request;
// - a stale request is cancelled (AbortController): an answer to older text never paints over a newer one;
// - the suggestions only help: when they fail (offline, the route not deployed) nothing shows and the
//   form works as before; topic and district may be left to the platform, which routes without them.
import { api, h, mount } from './common.js';
import { t } from './i18n.js';

export const MIN_CHARS = 6;
export const DEBOUNCE_MS = 400;
/** The best topic is preselected from this score on (below it the person chooses, or the platform). */
export const PRESELECT_SCORE = 0.6;

/** The topic to preselect: the best of the answer (best first) when it is confident enough, else null. */
export function confidentTopic(topics, known = () => true) {
  const best = (topics || [])[0];
  return best && best.score >= PRESELECT_SCORE && known(best.topic) ? best.topic : null;
}

/** Characters as people count them (a Chinese character is one). */
export const charCount = (text) => [...(text || '').trim()].length;

/** "3天前" / "3 days ago" for an ISO time, from `now` (ms). */
export function ago(iso, now = Date.now()) {
  const minutes = Math.max(0, Math.round((now - new Date(iso).getTime()) / 60e3));
  if (minutes < 60) return t('ago_minutes').replace('{n}', String(Math.max(1, minutes)));
  if (minutes < 24 * 60) return t('ago_hours').replace('{n}', String(Math.round(minutes / 60)));
  return t('ago_days').replace('{n}', String(Math.round(minutes / (24 * 60))));
}

const pct = (score) => `${Math.round(score * 100)}%`;

/**
 * The suggestions beside a form. `form`: {description, topic, district, category?, address?} controls;
 * `position()`: the chosen {lat, lon} or null; `token()`: the session's token; `nameOf(table, code)`;
 * `staff`: the reader sees others' (masked) words; `follow(tracking_no)`: "me too", or null (none offered).
 * Returns {panel, topicHint, refresh}: the panel to place after the description, the line under the
 * topic saying it was preselected, and refresh() for when the position changes.
 */
export function intakeSuggestions({ form, position = () => null, token, nameOf, staff = false, follow = null }) {
  const { description, topic, district, category, address } = form;
  const topicHint = h('p', { class: 'hint', testid: 'topic-preselected', 'aria-live': 'polite' });
  const topicsLine = h('p', { class: 'suggested-topics', testid: 'suggested-topics' });
  const districtLine = h('p', { class: 'suggested-district', testid: 'suggested-district' });
  const near = h('ul', { class: 'near-cases', testid: 'near-cases' });
  const status = h('p', { class: 'hint', testid: 'suggestions-status' });
  const titleId = `intake-suggestions-title-${Math.random().toString(36).slice(2, 8)}`;
  // the list is a live region: what the platform found is read out as it arrives
  const panel = h('section', { class: 'card suggestions', testid: 'intake-suggestions', 'aria-labelledby': titleId, hidden: true },
    h('h2', { id: titleId }, t('suggest_title')),
    h('div', { 'aria-live': 'polite' }, topicsLine, districtLine, near), status);

  // the topic is the person's once they choose it (even "let the platform decide"); before that the
  // platform may preselect, and take its preselection back when it is no longer confident
  let chosenByPerson = Boolean(topic.value);
  let setting = false;
  let preselected = null;
  const setTopic = (code) => {
    setting = true;
    topic.value = code || '';
    topic.dispatchEvent(new Event('change'));
    setting = false;
  };
  topic.addEventListener('change', () => {
    if (setting) return;
    chosenByPerson = true;
    preselected = null;
    mount(topicHint);
  });
  const knownTopic = (code) => [...topic.options].some((o) => o.value === code && code);

  const clear = () => {
    panel.hidden = true;
    mount(topicsLine); mount(districtLine); mount(near); mount(status);
    if (preselected && !chosenByPerson) { setTopic(''); preselected = null; mount(topicHint); }
  };

  const show = (data) => {
    const topics = (data.topics || []).filter((x) => knownTopic(x.topic));
    const best = confidentTopic(topics, knownTopic);
    if (!chosenByPerson) {
      if (best && best !== topic.value) setTopic(best);
      else if (!best && preselected) setTopic('');
      preselected = best;
      mount(topicHint, best ? t('topic_preselected').replace('{topic}', nameOf('topics', best)).replace('{score}', pct(topics[0].score)) : null);
    }
    mount(topicsLine, topics.length ? [h('span', { class: 'label' }, t('suggest_topics')), ' ',
      topics.slice(0, 3).map((x) => h('span', { class: 'badge', testid: 'suggested-topic', 'data-topic': x.topic }, `${nameOf('topics', x.topic)} ${pct(x.score)}`))] : null);
    const d = data.district;
    if (d?.district && [...district.options].some((o) => o.value === d.district)) {
      const use = district.value === d.district ? null : h('button', { type: 'button', class: 'link-button', testid: 'use-suggested-district',
        onclick: () => { district.value = d.district; district.dispatchEvent(new Event('change')); use.remove(); } }, t('use_suggestion'));
      mount(districtLine, `${t('suggest_district')}${nameOf('districts', d.district)}`,
        h('span', { class: 'muted', testid: 'suggested-district-source', 'data-source': d.source }, t(`suggest_source_${d.source}`)), ' ', use);
    } else mount(districtLine);
    const dups = (data.duplicates || []).slice(0, 5);
    mount(near, dups.length ? [h('li', { class: 'hint' }, t(follow ? 'near_cases_hint' : 'near_cases_staff')),
      dups.map((c) => nearCase(c))] : null);
    panel.hidden = !topics.length && !districtLine.textContent && !dups.length;
  };

  const nearCase = (c) => {
    const result = h('div', { 'aria-live': 'polite' });
    const meToo = follow ? h('button', { type: 'button', class: 'secondary', testid: 'me-too', onclick: async () => {
      meToo.disabled = true;
      try { await follow(c.tracking_no); } catch (err) {
        meToo.disabled = false;
        mount(result, h('p', { class: 'error', role: 'alert' }, err?.message || String(err)));
      }
    } }, t('me_too')) : null;
    const facts = [nameOf('topics', c.topic), Number.isFinite(c.distance_m) ? t('distance_m').replace('{n}', String(Math.round(c.distance_m))) : null,
      c.created_at ? ago(c.created_at) : null].filter(Boolean).join(t('list_sep'));
    return h('li', { class: 'near-case', testid: 'near-case', 'data-tracking-no': c.tracking_no, 'data-likely': c.likely_duplicate ? 'true' : 'false' },
      h('p', {}, h('strong', {}, facts), c.likely_duplicate ? h('span', { class: 'badge s-near', testid: 'near-likely' }, t('near_likely')) : null),
      c.summary ? h(staff ? 'blockquote' : 'p', { class: staff ? 'prewrap' : 'muted', testid: 'near-summary' }, c.summary) : null,
      staff ? h('p', { class: 'muted' }, c.tracking_no) : null,
      meToo, result);
  };

  let timer = null;
  let inFlight = null;
  const ask = async () => {
    const text = description.value.trim();
    if (charCount(text) < MIN_CHARS) { clear(); return; }
    const controller = new AbortController();
    inFlight = controller;
    const body = { description: text };
    if (category?.value) body.category = category.value;
    const where = position();
    if (where) { body.lat = where.lat; body.lon = where.lon; }
    if (address?.value.trim()) body.address = address.value.trim();
    try {
      const data = await api('/v1/intake/suggestions', { method: 'POST', token: token(), body, signal: controller.signal });
      if (controller.signal.aborted || inFlight !== controller) return;
      mount(status);
      show(data || {});
    } catch (err) {
      if (controller.signal.aborted || err?.name === 'AbortError') return;
      // offline or not deployed: no suggestions, the form still works
      clear();
      if (err?.status !== 404) { panel.hidden = false; mount(status, t('suggestions_unavailable')); }
    } finally {
      if (inFlight === controller) inFlight = null;
    }
  };
  const refresh = () => {
    clearTimeout(timer);
    inFlight?.abort();  // its answer would be about older text
    inFlight = null;
    timer = setTimeout(ask, DEBOUNCE_MS);
  };
  description.addEventListener('input', refresh);
  for (const control of [category, address]) control?.addEventListener('change', () => { if (charCount(description.value) >= MIN_CHARS) refresh(); });
  return { panel, topicHint, refresh: () => { if (charCount(description.value) >= MIN_CHARS) refresh(); } };
}

/** A select the person may leave to the platform: its first option (empty) says so. */
export function optionalSelect(name, testid, entries) {
  return h('select', { name, testid },
    h('option', { value: '', selected: true }, t('let_platform_decide')),
    entries.map(([code, label]) => h('option', { value: code }, label)));
}
