// The scoreboard: the period picker (presets, CSV export), the tiles, the rates of each unit, rollbacks,
// intake by channel and the cases per day (a staff member sees their own unit's numbers).
import { api, errorBox, field, h, mount, shanghaiDay } from '../common.js';
import { lang, t } from '../i18n.js';
import { lineChart, pairedBars, pct, rateBars, shareBars, tile } from '../charts.js';
import { me, paint, state } from './shared.js';

export async function scoreboardView() {
  const gen = state.generation;
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
    if (gen !== state.generation) return;
  }
  daily.replaceWith(lineChart(t('cases_per_day'), [
    { name: t(intake.label), points: days.map(([d], i) => ({ x: d, y: perDay[i][intake.counter] })) },
    { name: t('closed'), points: days.map(([d], i) => ({ x: d, y: perDay[i].closed })) },
  ], 'chart-per-day'));
}
