// The citizen app: sign in, new request with media, my requests, one request's timeline, rating,
// public tracking (/track), rating by the tracking number and the SMS's 6-digit code (/r; old SMS links
// /r/<tracking no>?t=... still open their form) and the city's published
// scoreboard (/scores: on-time and satisfaction rates, rollbacks resolved, per unit and district).
import {
  api, claims, cognito, config, e164, errorBox, field, h, keepSessionFresh, langButton, localTokens, mount, newIdempotencyKey,
  nextId, registerServiceWorker, saveSession, session, shanghaiDay, splitMedia, upload,
  categoryExplained, choiceSelect, districtAt, explained, refuseOpenChoices,
} from './common.js';
import { fmtPhone } from './common.js';
import { categoryLabel, categoryWithDays, dimensionLabel, fmtTime, lang, statusLabel, t } from './i18n.js';
import { pct, rateBars, shareBars, tile } from './charts.js';
import { intakeSuggestions, optionalSelect } from './intake.js';

const main = document.getElementById('main');
// each navigation renders only while it is the latest (a slow view never paints over a newer one)
let generation = 0;
const paint = (gen, ...children) => { if (gen === generation) mount(main, ...children); };
let catalog = null;

const getCatalog = async () => (catalog ??= await api('/v1/catalog'));
const nameOf = (table, code) => (code ? catalog?.[table]?.[code]?.[lang()] ?? code : '—');
const me = () => session('citizen');

function chrome() {
  const s = me();
  document.title = t('app_name');
  mount(document.getElementById('topbar'),
    h('a', { class: 'brand', href: '/' }, t('app_name')),
    h('span', { class: 'spacer' }),
    langButton(route),
    s ? h('button', { type: 'button', class: 'link-button', onclick: () => { saveSession('citizen', null); location.hash = ''; route(); } }, t('sign_out')) : null);
  const here = location.pathname === '/track' ? 'track' : location.pathname === '/scores' ? 'scores' : location.hash.startsWith('#/mine') || location.hash.startsWith('#/case') ? 'mine' : 'new';
  const tab = (key, href, label) => h('a', { href, 'aria-current': here === key ? 'page' : null }, label);
  mount(document.getElementById('tabbar'),
    tab('new', '/#/new', t('nav_new')), tab('mine', '/#/mine', t('nav_mine')), tab('track', '/track', t('nav_track')),
    tab('scores', '/scores', t('nav_scores')));
  document.getElementById('tabbar').setAttribute('aria-label', t('nav_new') + ' / ' + t('nav_mine'));
}

async function route() {
  const gen = ++generation;
  chrome();
  const path = location.pathname;
  try {
    await keepFresh();
    if (path === '/track') return await trackView();
    if (path === '/scores') return await scoresView();
    if (path === '/r' || path === '/r/') return await codeRatingView();
    const link = path.match(/^\/r\/([A-Za-z0-9-]+)$/);
    if (link) return await linkRatingView(link[1], new URLSearchParams(location.search).get('t') || '');
    if (!me()) return await signInView();
    await getCatalog();
    if (gen !== generation) return;
    const hash = location.hash;
    const caseMatch = hash.match(/^#\/case\/([A-Za-z0-9]+)/);
    if (caseMatch) return await caseView(caseMatch[1]);
    if (hash.startsWith('#/mine')) return await listView();
    return await newRequestView();
  } catch (err) {
    if (err.status === 401) { sessionEnded = Boolean(me()); saveSession('citizen', null); return signInView(); }
    paint(gen, errorBox(err), h('button', { type: 'button', onclick: route }, t('retry')));
  }
}

/** The citizen's ID token lasts an hour: trade the refresh token for a new one before it expires (the
 *  console's code in common.js); when the refresh is refused, sign out and say why on the sign-in page. */
let sessionEnded = false;
async function keepFresh() {
  const cfg = await config();
  const pool = cfg.mode === 'cognito' ? cfg.cognito : null;
  keepSessionFresh('citizen', pool, () => { sessionEnded = true; location.hash = ''; route(); });
}

// --- the city's published scoreboard (anonymous: GET /v1/public/stats) -----------------------------
const PERIODS = [7, 30, 90];

async function scoresView() {
  const gen = generation;
  await getCatalog().catch(() => null);  // district names in the reader's language; the feed's own otherwise
  const asked = Number(new URLSearchParams(location.search).get('days'));
  const days = PERIODS.includes(asked) ? asked : 30;
  const today = new Date();
  const to = shanghaiDay(today), from = shanghaiDay(new Date(today.getTime() - (days - 1) * 86400e3));
  const picker = h('nav', { class: 'row wrap', 'aria-label': t('scores_period') }, PERIODS.map((d) => h('a', {
    class: `button ${d === days ? 'primary' : 'secondary'}`, href: `/scores?days=${d}`, 'aria-current': d === days ? 'page' : null,
    testid: `scores-${d}` }, t(`last${d}`))));
  paint(gen, h('section', {}, h('h1', {}, t('city_scores')), picker, h('p', { class: 'muted' }, t('loading'))));
  const stats = await api(`/v1/public/stats?from=${from}&to=${to}`);
  const c = stats.city;
  const row = (name, x, testid) => h('tr', { testid }, h('th', { scope: 'row' }, name), h('td', {}, x.closed), h('td', {}, pct(x.on_time_rate)),
    h('td', {}, pct(x.satisfaction_rate)), h('td', {}, `${x.resolved_after_rollback} / ${x.reopened}`));
  const table = (caption, first, rows) => rows.length ? h('div', { class: 'table-scroll' }, h('table', { class: 'grid-table scores' }, h('caption', {}, caption),
    h('thead', {}, h('tr', {}, [first, t('closed'), t('on_time_rate'), t('satisfaction_rate'), `${t('resolved_after_rollback')} / ${t('reopened')}`].map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows))) : h('p', {}, t('no_data'));
  const unitName = (u) => (lang() === 'en' ? u.unit_name_en : u.unit_name) || u.unit_name || u.unit_id;
  paint(gen, h('section', { testid: 'city-scores' },
    h('h1', {}, t('city_scores')), picker, h('p', { class: 'muted' }, `${from} – ${to}`),
    h('div', { class: 'tiles' }, tile('submitted', c.submitted, 'scores-submitted'), tile('closed', c.closed, 'scores-closed'),
      tile('on_time_rate', pct(c.on_time_rate), 'scores-on-time'), tile('satisfaction_rate', pct(c.satisfaction_rate), 'scores-satisfaction'),
      tile('resolved_after_rollback', `${c.resolved_after_rollback} / ${c.reopened}`, 'scores-rollbacks')),
    stats.units.length ? h('div', { class: 'charts' },
      rateBars(t('on_time_rate'), stats.units.map((u) => ({ label: unitName(u), value: u.on_time_rate })), 'scores-chart-on-time'),
      rateBars(t('satisfaction_rate'), stats.units.map((u) => ({ label: unitName(u), value: u.satisfaction_rate })), 'scores-chart-satisfaction')) : null,
    h('div', { class: 'charts' }, shareBars(t('by_channel'), stats.submitted_by_channel, (k) => t(`channel_${k}`), 'scores-by-channel')),
    table(t('by_unit'), t('unit'), stats.units.map((u) => row(unitName(u), u, 'scores-unit'))),
    table(t('by_district'), t('district'), stats.districts.map((d) => row(catalog?.districts?.[d.district]?.[lang()] ?? d.name, d, 'scores-district'))),
    h('p', { class: 'muted' }, t('scores_notes'))));
}

// --- sign in ---------------------------------------------------------------------------------------
async function signInView() {
  const gen = generation;
  const cfg = await config();
  const aws = cfg.mode === 'cognito' && cfg.cognito;
  const phone = h('input', { type: 'tel', name: 'phone', autocomplete: 'tel', inputmode: 'numeric', required: true, testid: 'signin-phone', pattern: '1[0-9]{10}', maxlength: 11 });
  const status = h('div', { 'aria-live': 'polite' });
  if (sessionEnded) mount(status, h('div', { class: 'error', role: 'alert', testid: 'session-ended' }, t('session_ended')));
  const codeBox = h('div');
  const newUser = h('input', { type: 'checkbox', id: 'signin-new' });
  const form = h('form', { class: 'card', onsubmit: async (e) => {
    e.preventDefault();
    const number = e164(phone.value);
    if (!number) { mount(status, errorBox({ message: t('phone_hint') })); return; }
    try {
      if (aws) return await smsCodeStep(cfg.cognito, number, newUser.checked, codeBox, status);
      const { token, refreshToken } = await localTokens({ sub: `citizen-${number.slice(1)}`, role: 'citizen', phone: number });
      sessionEnded = false;
      saveSession('citizen', { token, refreshToken, phone: phone.value });
      route();
    } catch (err) { mount(status, errorBox(err)); }
  } },
  h('h1', {}, t('sign_in')),
  field(t('phone'), phone, aws ? t('phone_hint') : t('local_hint')),
  aws ? h('div', { class: 'check' }, newUser, h('label', { for: 'signin-new' }, t('first_time'))) : null,
  codeBox, status,
  h('button', { type: 'submit', class: 'primary', testid: 'signin-submit' }, aws ? t('send_code') : t('sign_in')));
  paint(gen, form);
}

/** AWS: an SMS code signs in (USER_AUTH, SMS_OTP); a first-time number is signed up and confirmed first. */
async function smsCodeStep(pool, number, first, codeBox, status) {
  let state;
  if (first) { await cognito.signUp(pool, number); state = { challenge: 'CONFIRM_SIGN_UP' }; }
  else state = await cognito.start(pool, number, 'SMS_OTP');
  const code = h('input', { type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', required: true, maxlength: 8 });
  const done = (token, refreshToken) => {
    sessionEnded = false;
    saveSession('citizen', { token, refreshToken, phone: (claims(token).phone_number || number).replace('+86', '') });
    route();
  };
  if (state.token) return done(state.token, state.refreshToken);
  mount(codeBox, field(t('sms_code'), code), h('button', { type: 'button', class: 'primary', onclick: async () => {
    try {
      const next = state.challenge === 'CONFIRM_SIGN_UP' ? await cognito.confirmSignUp(pool, number, code.value)
        : await cognito.answer(pool, state, { SMS_OTP_CODE: code.value });
      if (next.token) return done(next.token, next.refreshToken);
      state = next; code.value = '';
    } catch (err) { mount(status, errorBox(err)); }
  } }, t('verify')));
  code.focus();
}

// --- new request -----------------------------------------------------------------------------------
async function newRequestView() {
  const gen = generation;
  const cat = await getCatalog();
  const s = me();
  // nothing preselected (issue 21): the citizen chooses each, told what it means; the position only suggests a district.
  // Topic and district may be left to the platform (issue 18): it routes from the description, or a dispatcher does.
  const category = choiceSelect('category', 'field-category', cat.categories.map((c) => [c, categoryWithDays(categoryLabel(c), cat.deadline_days[c])]));
  const topic = optionalSelect('topic', 'field-topic', Object.keys(cat.topics).map((k) => [k, nameOf('topics', k)]));
  const district = optionalSelect('district', 'field-district', Object.keys(cat.districts).map((k) => [k, nameOf('districts', k)]));
  const suggestion = h('p', { class: 'hint', 'aria-live': 'polite', testid: 'district-suggestion' });
  const suggest = (point) => {
    const code = districtAt(point.lat, point.lon, cat.district_areas);
    if (!code) { mount(suggestion); return; }
    const use = h('button', { type: 'button', class: 'link-button', testid: 'use-district-suggestion',
      onclick: () => { district.value = code; district.dispatchEvent(new Event('change')); mount(suggestion); } }, t('use_suggestion'));
    mount(suggestion, `${t('district_suggested')}${nameOf('districts', code)}`,
      district.value && district.value !== code ? t('district_differs') : '', ' ', district.value === code ? null : use);
  };
  const counter = h('span', { class: 'counter', 'aria-live': 'polite' }, `0 / 4000 ${t('chars')}`);
  const description = h('textarea', { name: 'description', rows: 5, maxlength: 4000, required: true, testid: 'field-description',
    oninput: () => { counter.textContent = `${description.value.length} / 4000 ${t('chars')}`; } });
  const address = h('input', { type: 'text', name: 'address', maxlength: 300, autocomplete: 'street-address', testid: 'field-address' });
  // the citizen's own choice to publish their words in the city's open data: unticked unless they tick it
  const publish = h('input', { type: 'checkbox', name: 'public', id: 'field-public', testid: 'field-public', 'aria-describedby': 'field-public-hint' });
  // notices go only to the account's verified mobile: shown, not editable, when the account has one
  const phone = h('input', { type: 'tel', name: 'phone', required: true, value: fmtPhone(s.phone), autocomplete: 'tel', readonly: s.phone ? true : null, testid: 'field-phone' });
  let location_ = null;
  const locText = h('span', { 'aria-live': 'polite' }, t('location_none'));
  const locButton = h('button', { type: 'button', class: 'secondary', onclick: () => {
    if (!navigator.geolocation) { locText.textContent = t('location_denied'); return; }
    navigator.geolocation.getCurrentPosition((pos) => {
      location_ = { lat: +pos.coords.latitude.toFixed(6), lon: +pos.coords.longitude.toFixed(6) };
      locText.textContent = `${location_.lat}, ${location_.lon}`;
      suggest(location_);
      intake.refresh();
    }, () => { locText.textContent = t('location_denied'); }, { timeout: 10000 });
  } }, t('use_location'));

  // as the citizen writes: the likely topic (preselected when confident), the district, and open cases
  // nearby that may be the same problem ("me too" follows one instead of filing a second case)
  const intake = intakeSuggestions({
    form: { description, topic, district, category, address }, position: () => location_, token: () => me().token, nameOf,
    follow: async (trackingNo) => followedView(await api(`/v1/track/${encodeURIComponent(trackingNo)}/follow`, { method: 'POST', token: me().token }), trackingNo),
  });

  const idempotencyKey = newIdempotencyKey();  // a retried send of this form files one case
  const { uploads, list, addFile, photos } = uploadList(s.token, 'attach-input');
  const video = h('input', { type: 'file', name: 'video', accept: 'video/mp4,video/quicktime,.mov', capture: 'environment',
    onchange: (e) => { [...e.target.files].forEach(addFile); e.target.value = ''; } });
  const voice = voiceRecorder(addFile);

  const status = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary', testid: 'submit-request' }, t('submit'));
  const form = h('form', { class: 'card', testid: 'new-request', onsubmit: async (e) => {
    e.preventDefault();
    submit.disabled = true; submit.textContent = t('submitting');
    try {
      const ids = await Promise.all(uploads.map((u) => u.promise));
      const body = { category: category.value,
        description: description.value.trim(), phone: s.phone || phone.value.trim(), attachments: ids, channel: 'app',
        public: publish.checked, language: lang() === 'en' ? 'en' : 'zh' };
      if (topic.value) body.topic = topic.value;
      if (district.value) body.district = district.value;
      if (address.value.trim()) body.address = address.value.trim();
      if (location_) body.location = location_;
      const created = await api('/v1/requests', { method: 'POST', token: s.token, body, idempotencyKey });
      submittedView(created);
    } catch (err) {
      mount(status, errorBox(err));
      submit.disabled = false; submit.textContent = t('submit');
    }
  } },
  h('h1', {}, t('new_request')),
  field(t('category'), category), explained(category, categoryExplained(cat)),
  field(t('topic'), topic), explained(topic, () => t('explain_topic')), intake.topicHint,
  field(t('district'), district), explained(district, () => t('explain_district')), suggestion,
  field(t('description'), description), counter, intake.panel,
  h('div', { class: 'check' }, publish, h('label', { for: 'field-public' }, t('publish_description'))),
  h('p', { class: 'hint', id: 'field-public-hint' }, t('publish_hint')),
  field(t('address'), address, t('address_hint')),
  h('div', { class: 'field' }, h('span', { class: 'label' }, t('location')), h('div', { class: 'row' }, locButton, locText)),
  field(t('photos'), photos), field(t('video'), video), voice, list,
  field(t('contact_phone'), phone, s.phone ? t('phone_fixed') : null),
  status, submit);
  refuseOpenChoices([[t('category'), category]], status);
  district.addEventListener('change', () => { if (location_) suggest(location_); });
  paint(gen, form);
}

/** Files sent straight to S3 as they are picked, each with its preview, progress bar and a remove
 *  button; `photos` is the photo picker (the new request's and the supplement's). */
function uploadList(token, testid) {
  const uploads = [];  // {promise, id}
  const list = h('ul', { class: 'uploads', 'aria-label': t('attachments') });
  const addFile = (file) => {
    const bar = h('progress', { max: 1, value: 0, 'aria-label': `${t('uploading')} ${file.name}` });
    const state = h('span', { class: 'muted' }, t('uploading'));
    const preview = file.type.startsWith('image/') ? h('img', { src: URL.createObjectURL(file), alt: file.name, class: 'thumb' }) : h('span', { class: 'file-icon', 'aria-hidden': 'true' }, file.type.startsWith('video/') ? '🎬' : '🎙');
    const entry = { id: null };
    const item = h('li', {}, preview, h('span', { class: 'file-name' }, file.name), bar, state,
      h('button', { type: 'button', class: 'link-button', onclick: () => { uploads.splice(uploads.indexOf(entry), 1); item.remove(); } }, t('remove')));
    list.append(item);
    entry.promise = upload(token, file, (f) => { bar.value = f; })
      .then((id) => { entry.id = id; state.textContent = t('uploaded'); item.dataset.uploaded = 'true'; return id; })
      .catch((err) => { state.textContent = `${t('upload_failed')}: ${err.message}`; state.className = 'bad'; throw err; });
    entry.promise.catch(() => {});
    uploads.push(entry);
  };
  const photos = h('input', { type: 'file', name: 'photos', accept: 'image/jpeg,image/png,image/heic,.heic', multiple: true, testid,
    onchange: (e) => { [...e.target.files].forEach(addFile); e.target.value = ''; } });
  return { uploads, list, addFile, photos };
}

function voiceRecorder(addFile) {
  const type = ['audio/mp4', 'audio/mp4;codecs=mp4a.40.2', 'audio/mpeg'].find((m) => window.MediaRecorder?.isTypeSupported?.(m));
  const state = h('span', { 'aria-live': 'polite', class: 'muted' }, type ? '' : t('voice_unsupported'));
  let recorder = null;
  const button = h('button', { type: 'button', class: 'secondary', disabled: !type || !navigator.mediaDevices, onclick: async () => {
    if (recorder) { recorder.stop(); return; }
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const chunks = [];
      recorder = new MediaRecorder(stream, { mimeType: type });
      recorder.addEventListener('dataavailable', (e) => chunks.push(e.data));
      recorder.addEventListener('stop', () => {
        stream.getTracks().forEach((tr) => tr.stop());
        const base = type.split(';')[0];
        addFile(new File(chunks, `voice-${Date.now()}.${base === 'audio/mpeg' ? 'mp3' : 'm4a'}`, { type: base }));
        recorder = null; button.textContent = t('record'); state.textContent = '';
      });
      recorder.start();
      button.textContent = t('stop'); state.textContent = t('recording');
    } catch (err) { state.textContent = err.message; }
  } }, t('record'));
  return h('div', { class: 'field' }, h('span', { class: 'label', id: 'voice-label' }, t('voice')), h('div', { class: 'row', role: 'group', 'aria-labelledby': 'voice-label' }, button, state));
}

/** "Me too": the citizen follows an open case instead of filing a second one; its SMS (answer, closure)
 *  come to them from now on, and they may rate its answer. */
function followedView(result, trackingNo) {
  const no = result?.tracking_no || trackingNo;
  mount(main, h('section', { class: 'card center', testid: 'followed', 'data-tracking-no': no },
    h('h1', {}, t('followed_title')),
    h('p', {}, t('tracking_no')),
    h('p', { class: 'tracking-no', testid: 'tracking-no' }, no),
    h('p', { class: 'muted' }, t('followed_text')),
    h('a', { class: 'button primary', href: `/#/mine` }, t('nav_mine'))));
  main.focus();
}

function submittedView(created) {
  mount(main, h('section', { class: 'card center' },
    h('h1', {}, t('submitted_title')),
    h('p', {}, t('tracking_no')),
    h('p', { class: 'tracking-no', testid: 'tracking-no' }, created.tracking_no),
    h('p', { class: 'muted' }, t('keep_no')),
    h('a', { class: 'button primary', href: `/#/case/${created.id}` }, t('view_request'))));
  main.focus();
}

// --- my requests -----------------------------------------------------------------------------------
function badge(status) {
  return h('span', { class: `badge s-${status.toLowerCase()}` }, statusLabel(status));
}

async function listView() {
  const gen = generation;
  const data = await api('/v1/requests?limit=50', { token: me().token });
  paint(gen, h('section', { testid: 'my-requests' },
    h('h1', {}, t('my_requests')),
    data.items.length ? h('ul', { class: 'cards' }, data.items.map((c) => h('li', {},
      h('a', { class: 'request-row', href: `/#/case/${c.id}`, testid: 'request-row' },
        h('span', { class: 'row spread' }, h('strong', {}, c.tracking_no), badge(c.status)),
        h('span', {}, `${categoryLabel(c.category)} · ${nameOf('topics', c.topic)} · ${nameOf('districts', c.district)}`),
        h('span', { class: 'muted' }, `${t('submitted_at')} ${fmtTime(c.created_at)}`))))) : h('p', {}, t('none_yet'))));
}

// --- one request -----------------------------------------------------------------------------------
export function timelineList(events) {
  return h('ol', { class: 'timeline', testid: 'timeline', 'aria-label': t('timeline') },
    [...events].reverse().map((e, i) => h('li', { class: `timeline-event${i === 0 ? ' latest' : ''}`, testid: 'timeline-event', 'data-type': e.type },
      h('span', { class: 'dot', 'aria-hidden': 'true' }),
      h('p', { class: 'event-text' }, e.text || statusLabel(e.status)),
      e.note && (e.type === 'replied' || e.type === 'supplemented') ? h('blockquote', {}, e.note) : null,
      // the citizen's own files where they added them (the unit's are shown with its answers)
      e.type === 'supplemented' && e.attachments?.length ? h('div', { class: 'media', testid: 'event-files' }, e.attachments.map((a, n) => media(a, `${t('attachments')} ${n + 1}`))) : null,
      h('time', { datetime: e.at }, fmtTime(e.at)))));
}

/** The unit's answers as public tracking gives them to the owner (last four digits or the SMS code):
 *  who answered, when, the text and the answer files. */
export function answersList(replies) {
  if (!replies?.length) return null;
  return h('section', { class: 'card', testid: 'answers' }, h('h2', {}, t('answers')),
    [...replies].reverse().map((r) => h('article', { class: 'answer', testid: 'answer' },
      h('p', { class: 'muted' }, `${r.unit || t('unit')} · `, h('time', { datetime: r.at }, fmtTime(r.at))),
      h('blockquote', { class: 'prewrap', testid: 'answer-text' }, r.text),
      r.attachments?.length ? h('div', { class: 'media', testid: 'answer-files' }, r.attachments.map((a, n) => media(a, `${t('reply_files')} ${n + 1}`))) : null)));
}

function media(att, label) {
  if (!att.download_url) return h('span', {}, `${att.kind} (${att.content_type})`);
  if (att.kind === 'photo' && att.content_type !== 'image/heic') return h('a', { href: att.download_url, target: '_blank', rel: 'noopener' }, h('img', { src: att.download_url, alt: label, class: 'thumb large' }));
  if (att.kind === 'video') return h('video', { src: att.download_url, controls: true, preload: 'metadata', 'aria-label': label });
  if (att.kind === 'voice') return h('audio', { src: att.download_url, controls: true, preload: 'none', 'aria-label': label });
  return h('a', { href: att.download_url }, `${t('open_file')} ${label}`);
}

export function ratingForm(onSubmit) {
  const dims = ['speed', 'effectiveness', 'experience', 'feedback_quality'];
  const status = h('div', { 'aria-live': 'polite' });
  const comment = h('textarea', { name: 'comment', rows: 3, maxlength: 1000, testid: 'rating-comment' });
  const submit = h('button', { type: 'submit', class: 'primary', testid: 'submit-rating' }, t('submit_rating'));
  const form = h('form', { class: 'card rating', onsubmit: async (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const scores = Object.fromEntries(dims.map((d) => [d, Number(data.get(d))]));
    submit.disabled = true;
    try {
      const body = { ...scores };
      if (comment.value.trim()) body.comment = comment.value.trim();
      await onSubmit(body);
      const unhappy = Object.values(scores).some((v) => v <= 2);
      mount(form, h('p', { class: 'thanks', role: 'status', testid: 'rating-done' }, t('rating_thanks')), unhappy ? h('p', {}, t('rating_unsatisfied')) : null);
    } catch (err) { mount(status, errorBox(err)); submit.disabled = false; }
  } },
  h('h2', {}, t('rate_title')),
  dims.map((d) => h('fieldset', { class: 'stars', testid: `rate-${d}` },
    h('legend', {}, dimensionLabel(d)),
    [1, 2, 3, 4, 5].map((n) => {
      const id = nextId(`rate-${d}`);
      return h('span', { class: 'star' },
        h('input', { type: 'radio', name: d, value: n, id, required: true }),
        h('label', { for: id }, h('span', { 'aria-hidden': 'true' }, '★'.repeat(n)), h('span', { class: 'n' }, ` ${n}`)));
    }))),
  field(t('comment'), comment), status, submit);
  return form;
}

/** Withdrawing ends the request for good: a dialog says so first, and only its confirm button withdraws
 *  (cancel, Esc or the keep button leave the case as it was). */
function withdrawDialog(onConfirm) {
  const titleId = nextId('withdraw-title');
  const dialog = h('dialog', { class: 'confirm', testid: 'withdraw-dialog', 'aria-labelledby': titleId },
    h('h2', { id: titleId }, t('withdraw_confirm_title')),
    h('p', {}, t('withdraw_confirm_text')),
    h('div', { class: 'row' },
      h('button', { type: 'button', class: 'secondary', testid: 'withdraw-keep', onclick: () => dialog.close() }, t('withdraw_keep')),
      h('button', { type: 'button', class: 'danger', testid: 'withdraw-confirm', onclick: () => { dialog.close(); onConfirm(); } }, t('withdraw_confirm'))));
  return dialog;
}

async function caseView(id) {
  const gen = generation;
  const token = me().token;
  const [c, tl] = await Promise.all([api(`/v1/requests/${id}`, { token }), api(`/v1/requests/${id}/timeline`, { token })]);
  const open = !['CLOSED', 'WITHDRAWN', 'MERGED'].includes(c.status);
  const withdrawable = ['SUBMITTED', 'DISPATCHED', 'IN_PROGRESS', 'RETURNED', 'REOPENED', 'SUPERVISED'].includes(c.status);
  const actions = h('div');
  if (c.status === 'REPLIED') {
    actions.append(ratingForm((body) => api(`/v1/requests/${id}/rating`, { method: 'POST', token, body }).then(() => setTimeout(route, 1500))));
  }
  if (c.status === 'MERGED' && c.merged_into) {
    // 并单: handled with the kept case; its progress is tracked with the code of the SMS it sends
    const kept = c.merged_into;
    actions.append(h('section', { class: 'card', testid: 'merged-into', 'data-into': kept },
      h('p', {}, t('merged_text').replaceAll('{no}', kept)),
      h('p', {}, h('a', { href: `/track?no=${encodeURIComponent(kept)}`, testid: 'merged-follow' }, t('merged_follow').replace('{no}', kept)))));
  }
  if (open) {
    const text = h('textarea', { rows: 2, maxlength: 2000, required: true, testid: 'supplement-text' });
    // photos with the supplement, picked and uploaded as on the new request
    const { uploads, list, photos } = uploadList(token, 'supplement-photos');
    const st = h('div', { 'aria-live': 'polite' });
    const send = h('button', { type: 'submit', class: 'secondary', testid: 'supplement-send' }, t('send'));
    actions.append(h('details', { class: 'card', testid: 'supplement' }, h('summary', {}, t('supplement')),
      h('form', { onsubmit: async (e) => { e.preventDefault();
        send.disabled = true;
        try {
          const ids = await Promise.all(uploads.map((u) => u.promise));
          await api(`/v1/requests/${id}/supplements`, { method: 'POST', token, body: { text: text.value, attachments: ids } });
          mount(st, t('supplement_ok')); route();
        } catch (err) { mount(st, errorBox(err)); send.disabled = false; } } },
      field(t('supplement_text'), text), field(t('supplement_photos'), photos), list, st, send)));
  }
  if (withdrawable) {
    const reason = h('input', { type: 'text', maxlength: 500 });
    const st = h('div', { 'aria-live': 'polite' });
    const withdraw = async () => {
      try { await api(`/v1/requests/${id}/withdraw`, { method: 'POST', token, body: reason.value ? { reason: reason.value } : {} }); route(); } catch (err) { mount(st, errorBox(err)); }
    };
    const confirm = withdrawDialog(withdraw);
    actions.append(h('details', { class: 'card' }, h('summary', {}, t('withdraw')),
      h('form', { onsubmit: (e) => { e.preventDefault(); confirm.showModal(); } },
      field(t('withdraw_reason'), reason), st, h('button', { type: 'submit', class: 'danger', testid: 'withdraw' }, t('withdraw'))), confirm));
  }
  // the unit's answer files are shown with the answer, not among what the citizen sent
  const { own, fromUnit } = splitMedia(c);
  paint(gen, h('article', { class: 'case' },
    h('a', { href: '/#/mine', class: 'back' }, `‹ ${t('my_requests')}`),
    h('header', { class: 'card case-head' },
      h('p', { class: 'muted' }, t('tracking_no')),
      h('h1', { class: 'tracking-small' }, c.tracking_no),
      h('p', {}, h('span', { class: `badge big s-${c.status.toLowerCase()}`, testid: 'case-status', 'data-status': c.status }, statusLabel(c.status))),
      h('dl', { class: 'facts' },
        h('dt', {}, t('unit')), h('dd', {}, c.unit_name || '—'),
        h('dt', {}, t('deadline')), h('dd', {}, c.due_at ? fmtTime(c.due_at) : '—', c.overdue ? h('span', { class: 'badge s-overdue' }, t('overdue')) : null),
        h('dt', {}, t('category')), h('dd', {}, `${categoryLabel(c.category)} · ${nameOf('topics', c.topic)} · ${nameOf('districts', c.district)}`))),
    h('section', { class: 'card' }, h('h2', {}, t('description')), h('p', { class: 'prewrap' }, c.description),
      c.address ? h('p', { class: 'muted' }, c.address) : null,
      own.length ? h('div', { class: 'media' }, own.map((a, i) => media(a, `${t('attachments')} ${i + 1}`))) : null),
    fromUnit.length ? h('section', { class: 'card', testid: 'reply-files' }, h('h2', {}, t('reply_files')),
      h('div', { class: 'media' }, fromUnit.map((a, i) => media(a, `${t('reply_files')} ${i + 1}`)))) : null,
    actions,
    h('section', { class: 'card' }, h('h2', {}, t('timeline')), timelineList(tl.events))));
  if (c.status === 'SUBMITTED') {  // routing takes a moment: look again while the page stays open
    const here = location.hash;
    setTimeout(() => { if (location.hash === here) route(); }, 1500);
  }
}

// --- public tracking and the SMS rating link ---------------------------------------------------------
async function trackView() {
  const gen = generation;
  await getCatalog().catch(() => null);
  const params = new URLSearchParams(location.search);
  // the code from the SMS (its link's t=...) proves the phone as the last four digits do, and is asked
  // for when the number was guessed at too often
  const code = params.get('t') || '';
  const no = h('input', { type: 'text', name: 'no', required: true, value: params.get('no') || '', autocapitalize: 'characters', maxlength: 40, testid: 'track-no' });
  // the last four digits, or the 6-digit rating code of the SMS
  const last4 = h('input', { type: 'text', name: 'last4', required: !code, inputmode: 'numeric', pattern: '[0-9]{4}([0-9]{2})?', maxlength: 6, testid: 'track-last4' });
  const result = h('div', { 'aria-live': 'polite' });
  paint(gen, h('form', { class: 'card', onsubmit: async (e) => {
    e.preventDefault();
    const digits = last4.value.trim();
    const proof = digits.length === 6 ? `t=${encodeURIComponent(digits)}`
      : digits || !code ? `phone_last4=${encodeURIComponent(digits)}` : `t=${encodeURIComponent(code)}`;
    try {
      const r = await api(`/v1/track/${encodeURIComponent(no.value.trim())}?${proof}`);
      mount(result, h('section', { class: 'card' },
        h('h2', {}, r.tracking_no),
        h('p', {}, h('span', { class: `badge big s-${r.status.toLowerCase()}`, testid: 'case-status', 'data-status': r.status }, statusLabel(r.status))),
        h('dl', { class: 'facts' }, h('dt', {}, t('category')), h('dd', {}, `${categoryLabel(r.category)} · ${nameOf('topics', r.topic)} · ${nameOf('districts', r.district)}`),
          h('dt', {}, t('deadline')), h('dd', {}, r.due_at ? fmtTime(r.due_at) : '—')),
        answersList(r.replies),
        timelineList(r.events)));
    } catch (err) { mount(result, trackError(err)); }
  } },
  h('h1', {}, t('track_title')), field(t('track_no'), no), field(t('last4'), last4),
  h('button', { type: 'submit', class: 'primary', testid: 'track-submit' }, t('search'))), result);
}

/** Tracking's own refusals in the reader's words: this device guessed wrong too often (try again in N
 *  minutes), or the number was guessed at too often (sign in, or use the code from the SMS). */
function trackError(err) {
  if (err?.status === 429) {
    const minutes = Math.max(1, Math.ceil((err.retryAfter || 900) / 60));
    return h('div', { class: 'error', role: 'alert', testid: 'track-locked' }, t('track_locked').replace('{n}', String(minutes)));
  }
  if (err?.body?.error === 'verification_required') {
    return h('div', { class: 'error', role: 'alert', testid: 'track-verify' }, t('track_verify'), ' ',
      h('a', { href: '/#/mine' }, t('nav_mine')));
  }
  return errorBox(err);
}

async function linkRatingView(no, token) {
  const gen = generation;
  // the link may be old: the form only while the answer still waits for this rating
  let state = null;
  try {
    state = await api(`/v1/track/${encodeURIComponent(no)}/rating?t=${encodeURIComponent(token)}`);
  } catch (err) {
    if (err.status !== 404) throw err;
  }
  const track = h('p', {}, h('a', { href: `/track?no=${encodeURIComponent(no)}&t=${encodeURIComponent(token)}` }, t('nav_track')));
  const heading = [h('h1', {}, t('rate_link_title')), h('p', {}, `${t('rate_link_intro')}: `, h('strong', { testid: 'tracking-no' }, no))];
  if (!state) return paint(gen, h('section', { testid: 'rating-link' }, ...heading, h('p', { role: 'status', testid: 'rating-link-unknown' }, t('link_unknown')), track));
  if (!state.rateable) {
    return paint(gen, h('section', { testid: 'rating-link' }, ...heading,
      h('p', { role: 'status', testid: 'rating-link-used' }, t('link_not_rateable'), h('span', { class: `badge s-${state.status.toLowerCase()}`, testid: 'case-status', 'data-status': state.status }, statusLabel(state.status))),
      track));
  }
  paint(gen, h('section', { testid: 'rating-link' }, ...heading,
    ratingForm((body) => api(`/v1/track/${encodeURIComponent(no)}/rating`, { method: 'POST', body: { token, ...body } })),
    track));
}

/** The rating page the SMS names (constant text: no link in an SMS variable): the tracking number and the
 *  6-digit rating code, then the form. The only way a hotline caller without an account can rate. */
async function codeRatingView() {
  const gen = generation;
  const params = new URLSearchParams(location.search);
  const no = h('input', { type: 'text', name: 'no', required: true, value: params.get('no') || '', autocapitalize: 'characters', maxlength: 40, autocomplete: 'off', testid: 'rate-no' });
  const code = h('input', { type: 'text', name: 'code', required: true, inputmode: 'numeric', pattern: '[0-9]{6}', maxlength: 6, autocomplete: 'one-time-code', testid: 'rate-code' });
  const result = h('div', { 'aria-live': 'polite' });
  const next = h('button', { type: 'submit', class: 'primary', testid: 'rate-next' }, t('rate_code_next'));
  const form = h('form', { class: 'card', testid: 'rate-by-code', onsubmit: async (e) => {
    e.preventDefault();
    const number = no.value.trim().toUpperCase();
    const proof = code.value.trim();
    const path = `/v1/track/${encodeURIComponent(number)}/rating`;
    next.disabled = true;
    try {
      const state = await api(`${path}?code=${encodeURIComponent(proof)}`);
      if (!state.rateable) {
        mount(result, h('p', { role: 'status', testid: 'rating-link-used' }, t('link_not_rateable'),
          h('span', { class: `badge s-${state.status.toLowerCase()}`, testid: 'case-status', 'data-status': state.status }, statusLabel(state.status))));
        next.disabled = false;
        return;
      }
      form.hidden = true;
      // the caller rates what they can read: the answer, by the same code (a hotline caller has no account)
      const found = await api(`/v1/track/${encodeURIComponent(number)}?t=${encodeURIComponent(proof)}`).catch(() => null);
      mount(result, h('p', {}, `${t('rate_link_intro')}: `, h('strong', { testid: 'tracking-no' }, number)),
        answersList(found?.replies),
        ratingForm((body) => api(path, { method: 'POST', body: { code: proof, ...body } })));
    } catch (err) {
      next.disabled = false;
      if (err.status === 404) return mount(result, h('p', { class: 'error', role: 'alert', testid: 'rating-code-unknown' }, t('code_unknown')));
      if (err.status === 429) {
        const minutes = Math.max(1, Math.ceil((err.retryAfter || 900) / 60));
        return mount(result, h('p', { class: 'error', role: 'alert', testid: 'rating-code-locked' }, t('code_locked').replace('{n}', String(minutes))));
      }
      mount(result, errorBox(err));
    }
  } },
  h('h1', {}, t('rate_code_title')), h('p', {}, t('rate_code_intro')),
  field(t('track_no'), no), field(t('rate_code'), code), next);
  paint(gen, h('section', { testid: 'rating-code' }, form, result));
}

addEventListener('hashchange', route);
registerServiceWorker();
route();
