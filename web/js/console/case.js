// The case page: what the citizen sent, the staff timeline, the ratings and the actions the role may take
// (assign, accept, reply, return, extension; dispatch, transfer and 更正分类; extension decisions and
// supervision instructions; 协办; internal notes).
import { api, dueState, errorBox, field, fmtPhone, h, mount, splitMedia, upload } from '../common.js';
import { actorLabel, categoryLabel, dimensionLabel, eventLabel, fmtTime, statusLabel, t } from '../i18n.js';
import { duplicatesCard, suggestionCard } from './intake.js';
import { actionForm, assistBadge, badge, DISPATCH_CENTRE, me, nameOf, paint, peopleOf, personName, route, state, unitName, urgentBadge, urgentCheck } from './shared.js';

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

export async function caseView(id, reveal = false) {
  const gen = state.generation;
  const s = me();
  const token = s.token;
  const [c, tl] = await Promise.all([api(`/v1/cases/${id}${reveal ? '?reveal=phone' : ''}`, { token }), api(`/v1/cases/${id}/timeline`, { token })]);
  // the unit's answer files are listed with the answers, apart from what the citizen sent
  const { own, fromUnit } = splitMedia(c);
  const open = !['CLOSED', 'WITHDRAWN', 'MERGED'].includes(c.status);
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
  if (leads || (s.role === 'dispatcher' && open && c.unit_id && c.unit_id !== DISPATCH_CENTRE)) actions.push(assistDialog(c, post));
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
    const queued = !c.unit_id || c.unit_id === DISPATCH_CENTRE || ['SUBMITTED', 'RETURNED'].includes(c.status);
    const pick = h('select', { required: true, testid: 'dispatch-unit' });
    const all = h('input', { type: 'checkbox', id: 'all-districts' });
    // units that returned the case: never preselected (issue 21), listed last and marked, still choosable
    const returnedBy = new Set(tl.events.filter((e) => e.type === 'returned' && e.unit_id).map((e) => e.unit_id));
    const fill = () => {
      const list = Object.values(state.units || {}).filter((u) => all.checked || !u.district || u.district === c.district)
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
    const options = (table, current) => Object.keys(state.catalog?.[table] || {}).map((k) => h('option', { value: k, selected: k === current }, nameOf(table, k)));
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
  // 并单: a merged case names the case it was merged into; a supervisor may undo the merge (routed again)
  const merged = c.status === 'MERGED'
    ? h('p', { class: 'card', testid: 'merged-into', 'data-into': c.merged_into || '' }, t('merged_into').replace('{no}', c.merged_into || '—')) : null;
  const undo = [];
  if (s.role === 'supervisor' && c.status === 'MERGED') {
    const why = h('input', { type: 'text', maxlength: 1000, required: true, testid: 'unmerge-reason' });
    const b = h('button', { type: 'submit', class: 'danger', testid: 'action-unmerge' }, t('unmerge'));
    undo.push(actionForm(t('unmerge'), field(t('unmerge_reason'), why), b, () => post('unmerge', { reason: why.value })));
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
        suggestionCard(c), duplicatesCard(c, open),
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
        open ? actions : [merged || h('p', { class: 'card' }, t('case_closed')), ...undo],
        actionForm(t('notes'), field(t('note'), noteText), noteButton, () => post('notes', { text: noteText.value }))))));
}

/** 协办: the lead unit (or a dispatcher) asks other units to help, in a dialog: which units, and what for. */
function assistDialog(c, post) {
  const taken = new Set([c.unit_id, ...(c.assist_units || [])]);
  const choices = Object.values(state.units || {}).filter((u) => !taken.has(u.id) && ![DISPATCH_CENTRE, 'supervision-office'].includes(u.id))
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
