// Signing in to the console: in local mode a role and a unit (or an account an admin created), in AWS the
// staff pool's password and whatever it asks next (a new password, the authenticator). Lands on the role's view.
import { claims, cognito, config, e164, errorBox, field, h, localToken, localTokens, mount, saveSession } from '../common.js';
import { lang, roleLabel, t } from '../i18n.js';
import { loadDirectory, paint, route, state } from './shared.js';

const landing = (role) => ({ supervisor: '#/supervision', admin: '#/staff', operator: '#/call' }[role] || '#/inbox');

// --- sign in ---------------------------------------------------------------------------------------
export async function signInView() {
  const gen = state.generation;
  const cfg = await config();
  const status = h('div', { 'aria-live': 'polite' });
  if (state.sessionEnded) mount(status, h('div', { class: 'error', role: 'alert', testid: 'session-ended' }, t('session_ended')));
  const pool = cfg.mode === 'cognito' ? cfg.staffCognito || cfg.cognito : null;
  if (pool) return staffSignIn(pool, status);
  // local mode: pick a role and a unit; /local/tokens signs the token
  const directoryToken = await localToken({ sub: 'console-directory', role: 'dispatcher' });
  await loadDirectory(directoryToken);
  const role = h('select', { testid: 'signin-role', name: 'role' },
    ['staff', 'dispatcher', 'supervisor', 'admin', 'operator'].map((r) => h('option', { value: r }, roleLabel(r))));
  const unit = h('select', { testid: 'signin-unit', name: 'unit' },
    Object.values(state.units).sort((a, b) => a.id.localeCompare(b.id)).map((u) => h('option', { value: u.id }, `${lang() === 'en' ? u.name_en : u.name} (${u.id})`)));
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
        state.sessionEnded = false;
        saveSession('console', { token, refreshToken, role: accountRole, unit: c['custom:unit_id'] || null, directoryToken });
        location.hash = landing(accountRole);
        return route();
      }
      const claimsIn = { sub: `${role.value}-${role.value === 'staff' ? unit.value : 'console'}`, role: role.value };
      if (role.value === 'staff') claimsIn.unit = unit.value;
      const { token, refreshToken } = await localTokens(claimsIn);
      state.sessionEnded = false;
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
  const gen = state.generation;
  const phone = h('input', { type: 'tel', required: true, testid: 'signin-phone', autocomplete: 'username' });
  const password = h('input', { type: 'password', required: true, autocomplete: 'current-password' });
  const steps = h('div');
  let step = null;  // the pool's challenge being answered
  const finish = (token, refreshToken) => {
    const c = claims(token);
    const groups = [].concat(c['cognito:groups'] || []);
    const role = ['supervisor', 'dispatcher', 'staff', 'admin', 'operator'].find((r) => groups.includes(r)) || 'staff';
    state.sessionEnded = false;
    saveSession('console', { token, refreshToken, role, unit: c['custom:unit_id'] || null });
    location.hash = landing(role);
    route();
  };
  const ask = async (next) => {
    if (next.challenge === 'MFA_SETUP' && !next.secret) next = await cognito.associateTotp(pool, next);
    if (next.token) return finish(next.token, next.refreshToken);
    step = next;
    const input = h('input', { type: next.challenge === 'NEW_PASSWORD_REQUIRED' ? 'password' : 'text', required: true,
      autocomplete: next.challenge === 'NEW_PASSWORD_REQUIRED' ? 'new-password' : 'one-time-code' });
    const label = { NEW_PASSWORD_REQUIRED: t('new_password'), MFA_SETUP: t('totp_code'), SOFTWARE_TOKEN_MFA: t('totp_code') }[next.challenge] || t('sms_code');
    mount(steps, next.secret ? h('p', {}, t('totp_secret'), ' ', h('code', {}, next.secret)) : null, field(label, input),
      h('button', { type: 'button', class: 'primary', onclick: async () => {
        try {
          if (step.challenge === 'NEW_PASSWORD_REQUIRED') await ask(await cognito.answer(pool, step, { NEW_PASSWORD: input.value }));
          else if (step.challenge === 'MFA_SETUP') await ask(await cognito.verifyTotp(pool, step, input.value));
          else if (step.challenge === 'SOFTWARE_TOKEN_MFA') await ask(await cognito.answer(pool, step, { SOFTWARE_TOKEN_MFA_CODE: input.value }));
          else await ask(await cognito.answer(pool, step, { SMS_OTP_CODE: input.value, SMS_MFA_CODE: input.value }));
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
