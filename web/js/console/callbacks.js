// Hotline replies waiting for the caller's rating, oldest first: the operator dials the caller's full
// number (shown to operators only, for this), reads out the unit's answer and records the call: the four
// scores (they count as the caller's rating), unreachable (three working days close it), or declined.
import { api, errorBox, field, h, mount } from '../common.js';
import { categoryLabel, dimensionLabel, fmtTime, statusLabel, t } from '../i18n.js';
import { me, nameOf, paint, state, unitName } from './shared.js';

const SCORES = ['speed', 'effectiveness', 'experience', 'feedback_quality'];

export async function callbacksView(notice) {
  const gen = state.generation;
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
