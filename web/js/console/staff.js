// Staff accounts exist only when an admin creates them (POST /v1/admin/staff): the person's mobile is
// the sign-in name and the temporary password goes to it by SMS; disabling ends the account's sessions.
import { api, e164, errorBox, field, fmtPhone, h, mount } from '../common.js';
import { roleLabel, t } from '../i18n.js';
import { me, paint, state, unitName } from './shared.js';

const STAFF_ROLES = ['staff', 'dispatcher', 'supervisor', 'operator', 'admin'];

export async function staffAccountsView(notice) {
  const gen = state.generation;
  const s = me();
  const data = await api('/v1/admin/staff', { token: s.token });
  const phone = h('input', { type: 'tel', name: 'phone', required: true, maxlength: 20, testid: 'account-phone', autocomplete: 'off' });
  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 64, testid: 'account-name', autocomplete: 'off' });
  const role = h('select', { name: 'role', required: true, testid: 'account-role' }, STAFF_ROLES.map((r) => h('option', { value: r }, roleLabel(r))));
  const unit = h('select', { name: 'unit', testid: 'account-unit' },
    h('option', { value: '', selected: true, disabled: true }, t('choose')),
    Object.values(state.units || {}).sort((a, b) => a.id.localeCompare(b.id)).map((u) => h('option', { value: u.id }, unitName(u.id))));
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
