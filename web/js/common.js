// Shared by the citizen app and the staff console: DOM helper, config, API client, sign-in, uploads.
import { lang, setLang, t } from './i18n.js';

/** h('div', {class: 'x', testid: 'y', onclick: fn}, ...children) -> Element (no innerHTML anywhere). */
export function h(tag, attrs, ...children) {
  const svg = ['svg', 'g', 'rect', 'line', 'polyline', 'circle', 'text', 'title', 'path'].includes(tag);
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'testid') el.setAttribute('data-testid', value);
    else if (key === 'value' && !svg) el.value = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function mount(target, ...children) {
  target.replaceChildren();
  append(target, children);
}

let uid = 0;
export const nextId = (prefix) => `${prefix}-${++uid}`;

/** A labelled control: label above, the control, an optional hint. */
export function field(labelText, control, hint) {
  if (!control.id) control.id = nextId('f');
  const hintEl = hint ? h('p', { class: 'hint', id: `${control.id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: control.id }, labelText), control, hintEl);
}

// --- configuration (config.json: written from the stack outputs in AWS, generated locally) ---------------
let configPromise;
export function config() {
  configPromise ??= fetch('/config.json', { cache: 'no-store' })
    .then((r) => (r.ok ? r.json() : { mode: 'local', apiBase: '' }))
    .catch(() => ({ mode: 'local', apiBase: '' }));
  return configPromise;
}

// --- API -----------------------------------------------------------------------------------------
export class ApiError extends Error {
  constructor(status, body, retryAfter = null) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
    this.retryAfter = retryAfter; // seconds, from a 429's or 503's Retry-After
  }
}

// The local runtime runs a function's handler in the gateway's threads, and two requests to one
// function at once can trip over Powertools' shared resolver state (Lambda never runs two invocations
// in one container). Locally a page therefore sends its API requests one at a time.
let queue = Promise.resolve();
function oneAtATime(send) {
  const run = queue.then(send, send);
  queue = run.catch(() => {});
  return run;
}

export async function api(path, { method = 'GET', body, token, accept, idempotencyKey, signal } = {}) {
  const cfg = await config();
  const headers = { 'Accept-Language': lang() === 'en' ? 'en' : 'zh-CN' };
  if (token) headers.Authorization = `Bearer ${latestToken(token)}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (accept) headers.Accept = accept;
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  const send = () => fetch(`${cfg.apiBase || ''}${path}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal,
  });
  const resp = await (cfg.mode === 'local' ? oneAtATime(send) : send());
  if (accept && accept !== 'application/json') {
    if (!resp.ok) throw new ApiError(resp.status, await resp.json().catch(() => null));
    return resp.blob();
  }
  const data = await resp.json().catch(() => null);
  if (!resp.ok) throw new ApiError(resp.status, data, Number(resp.headers.get('Retry-After')) || null);
  return data;
}

/** An error box (role=alert) with the API's message and each problem. */
export function errorBox(err) {
  const problems = err?.body?.problems || [];
  return h('div', { class: 'error', role: 'alert' },
    h('strong', {}, t('error'), ': '), err?.message || String(err),
    problems.length ? h('ul', {}, problems.map((p) => h('li', {}, `${p.field}: ${p.problem}`))) : null);
}

// --- sign-in ---------------------------------------------------------------------------------------
export function session(app) {
  try { return JSON.parse(localStorage.getItem(`minyi.session.${app}`) || 'null'); } catch { return null; }
}
export function saveSession(app, value) {
  if (value) localStorage.setItem(`minyi.session.${app}`, JSON.stringify(value));
  else localStorage.removeItem(`minyi.session.${app}`);
}

export async function localToken(claims) {
  return (await localTokens(claims)).token;
}

/** The local runtime's sign-in (or, with {refresh_token}, its refresh): {token, refreshToken}. */
export async function localTokens(claims) {
  const resp = await fetch('/local/tokens', { method: 'POST', body: JSON.stringify(claims) });
  const data = await resp.json().catch(() => null);
  if (!resp.ok) throw new ApiError(resp.status, data);
  return { token: data.token, refreshToken: data.refresh_token };
}

// --- token refresh ---------------------------------------------------------------------------------
// Staff ID tokens last 15 minutes (a disabled account's token must not outlive it by long), citizens' an
// hour. Both clients keep their session by trading the refresh token for a new ID token shortly before the
// old one expires (Cognito's REFRESH_TOKEN_AUTH; the local runtime's /local/tokens), and sign out when that
// is refused.
// Views hold the token they were drawn with: api() sends its newest replacement instead.
const renewals = new Map();  // an ID token -> the one that replaced it
export function latestToken(token) {
  let current = token;
  while (renewals.has(current)) current = renewals.get(current);
  return current;
}

/** A new ID token for the refresh token (Cognito when `pool` is given, else the local runtime). */
export async function refreshIdToken(refreshToken, pool) {
  if (!pool) return (await localTokens({ refresh_token: refreshToken })).token;
  const data = await cognito.call(pool, 'InitiateAuth', { AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: refreshToken } });
  return data.AuthenticationResult.IdToken;
}

/** When to refresh: a fifth of the token's life before it expires, at most a minute before (ms from now). */
export function refreshDelay(token, now = Date.now()) {
  const c = claims(token);
  if (!c.exp) return null;
  const life = (c.exp - (c.iat || c.exp - 900)) * 1000;
  return Math.max(0, c.exp * 1000 - Math.min(60e3, life / 5) - now);
}

let refreshTimer = null;
/** Keep `app`'s session signed in: refresh its ID token before it expires; on a refused refresh, end
 *  the session and call onEnded(error). A network failure is retried while the token still holds. */
export function keepSessionFresh(app, pool, onEnded) {
  clearTimeout(refreshTimer);
  refreshTimer = null;
  const s = session(app);
  if (!s?.token || !s.refreshToken) return;
  const delay = refreshDelay(s.token);
  if (delay === null) return;
  refreshTimer = setTimeout(async () => {
    try {
      const token = await refreshIdToken(s.refreshToken, pool);
      const now = session(app);
      if (!now || now.token !== s.token) return;  // signed out or in again meanwhile
      renewals.set(s.token, token);
      saveSession(app, { ...now, token });
      keepSessionFresh(app, pool, onEnded);
    } catch (err) {
      if (!(err instanceof ApiError) && claims(s.token).exp * 1000 > Date.now() + 5e3) {
        refreshTimer = setTimeout(() => keepSessionFresh(app, pool, onEnded), 5e3);
        return;
      }
      if (session(app)?.token === s.token) saveSession(app, null);
      onEnded(err);
    }
  }, delay);
}

/** Cognito in AWS (config.json names the pools): USER_AUTH, answered challenge by challenge.
 *  Citizens: passwordless, an SMS code (SMS_OTP); a new number signs up first (SignUp, ConfirmSignUp with
 *  the SMS code, then signed in with the session ConfirmSignUp returns). Staff: password, then the
 *  challenges their pool asks for (a new password, authenticator set-up, the authenticator code). */
export const cognito = {
  async call(pool, target, payload) {
    const cfg = await config();
    const resp = await fetch(`https://cognito-idp.${cfg.region}.amazonaws.com/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': `AWSCognitoIdentityProviderService.${target}` },
      body: JSON.stringify({ ClientId: pool.userPoolClientId, ...payload }),
    });
    const data = await resp.json().catch(() => ({}));
    if (!resp.ok) throw new ApiError(resp.status, { message: data.message || data.__type, error: data.__type });
    return data;
  },
  /** -> {token} or {challenge, session, parameters} */
  async step(pool, username, data) {
    if (data.AuthenticationResult) return { token: data.AuthenticationResult.IdToken, refreshToken: data.AuthenticationResult.RefreshToken };
    return { challenge: data.ChallengeName, session: data.Session, parameters: data.ChallengeParameters || {}, username };
  },
  async start(pool, username, preferred, password) {
    const AuthParameters = { USERNAME: username, PREFERRED_CHALLENGE: preferred };
    if (password) AuthParameters.PASSWORD = password;
    return this.step(pool, username, await this.call(pool, 'InitiateAuth', { AuthFlow: 'USER_AUTH', AuthParameters }));
  },
  async answer(pool, state, responses) {
    return this.step(pool, state.username, await this.call(pool, 'RespondToAuthChallenge', {
      ChallengeName: state.challenge, Session: state.session, ChallengeResponses: { USERNAME: state.username, ...responses },
    }));
  },
  async signUp(pool, phone) {
    await this.call(pool, 'SignUp', { Username: phone, UserAttributes: [{ Name: 'phone_number', Value: phone }] });
  },
  async confirmSignUp(pool, phone, code) {
    const data = await this.call(pool, 'ConfirmSignUp', { Username: phone, ConfirmationCode: code });
    return this.step(pool, phone, await this.call(pool, 'InitiateAuth', {
      AuthFlow: 'USER_AUTH', Session: data.Session, AuthParameters: { USERNAME: phone },
    }));
  },
  async associateTotp(pool, state) {
    const data = await this.call(pool, 'AssociateSoftwareToken', { Session: state.session });
    return { ...state, session: data.Session, secret: data.SecretCode };
  },
  async verifyTotp(pool, state, code) {
    const data = await this.call(pool, 'VerifySoftwareToken', { Session: state.session, UserCode: code });
    return this.answer(pool, { ...state, session: data.Session }, {});
  },
};

export function claims(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(decodeURIComponent(escape(atob(part))));
  } catch { return {}; }
}

export function e164(phone) {
  const digits = String(phone).replace(/\D/g, '');
  if (digits.length === 11) return `+86${digits}`;
  if (digits.startsWith('86') && digits.length === 13) return `+${digits}`;
  return null;
}

/** A phone as people read it: a mainland mobile grouped 3-4-4 without +86 (`+8613800001111` ->
 *  `138 0000 1111`, masked `138****1111` -> `138 **** 1111`); any other number as given. */
export function fmtPhone(phone) {
  if (!phone) return '';
  const m = /^(?:\+?86)?(1\d{2})([\d*]{4})(\d{4})$/.exec(String(phone).replace(/[\s-]/g, ''));
  return m ? `${m[1]} ${m[2]} ${m[3]}` : String(phone);
}

// --- uploads: presigned S3 POST with a progress bar --------------------------------------------------
const EXT_TYPES = { heic: 'image/heic', jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', mp4: 'video/mp4',
  mov: 'video/quicktime', m4a: 'audio/mp4', mp3: 'audio/mpeg', amr: 'audio/amr' };

export function contentType(file) {
  const ext = (file.name || '').split('.').pop().toLowerCase();
  const type = (file.type || '').split(';')[0];
  return type && type !== 'application/octet-stream' ? type : EXT_TYPES[ext] || type || 'application/octet-stream';
}

/** Uploads one file; onProgress(fraction). Resolves to the upload id. */
export async function upload(token, file, onProgress) {
  const ticket = await api('/v1/uploads', {
    method: 'POST', token, body: { content_type: contentType(file), size: file.size, filename: (file.name || 'file').slice(0, 200) },
  });
  const form = new FormData();
  for (const [k, v] of Object.entries(ticket.fields)) form.append(k, v);
  form.append('file', file);
  await new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(ticket.method || 'POST', ticket.url);
    xhr.upload.addEventListener('progress', (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); });
    xhr.addEventListener('load', () => (xhr.status < 300 ? resolve() : reject(new Error(`S3 ${xhr.status}`))));
    xhr.addEventListener('error', () => reject(new Error(t('upload_failed'))));
    xhr.send(form);
  });
  onProgress(1);
  return ticket.upload_id;
}

// --- page chrome ---------------------------------------------------------------------------------
export function langButton(rerender) {
  return h('button', {
    type: 'button', class: 'link-button', lang: lang() === 'en' ? 'zh-CN' : 'en', 'aria-label': t('lang_label'),
    onclick: () => { setLang(lang() === 'en' ? 'zh' : 'en'); rerender(); },
  }, t('lang_switch'));
}

export function registerServiceWorker() {
  if ('serviceWorker' in navigator && location.protocol !== 'file:') {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {});
  }
  const banner = () => document.body.classList.toggle('is-offline', !navigator.onLine);
  addEventListener('online', banner);
  addEventListener('offline', banner);
  banner();
}

/** The calendar day in Shenzhen (Asia/Shanghai, no daylight saving) as YYYY-MM-DD. */
export const shanghaiDay = (d) => new Date(d.getTime() + 8 * 3600e3).toISOString().slice(0, 10);

/** One key per form: a retried send (a double click, a lost answer) files once (getRandomValues also
 *  works outside a secure context). */
export const newIdempotencyKey = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');

/** A case's attachments split into what the citizen sent and the unit's answer files. */
export function splitMedia(c) {
  const fromUnitIds = new Set((c.replies || []).flatMap((r) => r.attachments || []));
  return { own: c.attachments.filter((a) => !fromUnitIds.has(a.upload_id)), fromUnit: c.attachments.filter((a) => fromUnitIds.has(a.upload_id)) };
}

export function dueState(caseSummary) {
  if (!caseSummary.due_at || ['CLOSED', 'WITHDRAWN', 'REPLIED'].includes(caseSummary.status)) return null;
  if (caseSummary.overdue || new Date(caseSummary.due_at) < new Date()) return 'overdue';
  const left = new Date(caseSummary.due_at) - new Date();
  const total = new Date(caseSummary.due_at) - new Date(caseSummary.updated_at || caseSummary.created_at);
  return left < 24 * 3600e3 || (total > 0 && left / total < 0.25) ? 'near' : null;
}

setLang(lang());

// --- choosing where a request goes (issue 21): nothing preselected, each choice explained, the district
// suggested from a position. A default would be filed unnoticed, so every choice starts on "please choose".

/** A required select that starts on "please choose". */
export function choiceSelect(name, testid, entries) {
  return h('select', { name, testid, required: true },
    h('option', { value: '', selected: true, disabled: true }, t('choose')),
    entries.map(([code, label]) => h('option', { value: code }, label)));
}

/** The line under a choice saying what it means, kept in step with it. */
export function explained(select, explain) {
  const line = h('p', { class: 'hint', testid: `${select.dataset.testid}-explained` }, explain(select.value));
  select.addEventListener('change', () => { line.textContent = explain(select.value); });
  return line;
}

/** What a category means and its deadline from the catalogue. */
export function categoryExplained(catalog) {
  return (code) => (code ? `${t(`explain_${code}`)}${t('explain_days').replace('{n}', catalog.deadline_days[code])}` : t('explain_category_none'));
}

/** When the form is sent with a choice left open, one clear message names every open choice. */
export function refuseOpenChoices(choices, status) {
  const say = () => {
    const open = choices.filter(([, select]) => !select.value).map(([label]) => label);
    if (open.length) mount(status, h('div', { class: 'error', role: 'alert', testid: 'choices-missing' }, `${t('choose_missing')}${open.join('、')}`));
  };
  const clear = () => { if (choices.every(([, select]) => select.value)) status.querySelector('[data-testid=choices-missing]')?.remove(); };
  for (const [, select] of choices) { select.addEventListener('invalid', say); select.addEventListener('change', clear); }
}

/** Even-odd ray casting: is (lat, lon) inside the polygon of [lat, lon] corners (as domain/geo.py). */
function inside(lat, lon, polygon) {
  let result = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [latA, lonA] = polygon[i], [latB, lonB] = polygon[j];
    if ((latA > lat) !== (latB > lat) && lon < lonA + ((lat - latA) * (lonB - lonA)) / (latB - latA)) result = !result;
  }
  return result;
}

/** The one district whose area holds the point, or null when none or several do (as domain/geo.py). */
export function districtAt(lat, lon, areas) {
  const found = Object.entries(areas || {}).filter(([, polygon]) => polygon.length >= 3 && inside(lat, lon, polygon)).map(([code]) => code);
  return found.length === 1 ? found[0] : null;
}
