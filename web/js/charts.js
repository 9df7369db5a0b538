// Small charts (no library): sorted horizontal bars (HTML labels, SVG bars) and a daily SVG line. Each chart is an
// <figure> with a caption, an SVG marked role="img" with a text alternative, and its data table.
import { h } from './common.js';
import { t } from './i18n.js';

const PALETTE = ['#c8102e', '#1f6feb', '#2da44e', '#bf8700', '#8250df'];

function table(headers, rows) {
  return h('details', { class: 'data' }, h('summary', {}, t('data_table')),
    h('table', {}, h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows.map((r) => h('tr', {}, r.map((x) => h('td', {}, x)))))));
}

/** A bar of 0..1 as its own small SVG (attributes, not inline styles: the CSP allows no style attribute). */
function bar(fraction, fill, extra) {
  return h('svg', { class: `bar ${extra || ''}`, viewBox: '0 0 100 10', preserveAspectRatio: 'none', 'aria-hidden': 'true' },
    h('rect', { x: 0, y: 0, width: 100, height: 10, class: 'track' }),
    h('rect', { x: 0, y: 0, width: Math.max(0, Math.min(1, fraction)) * 100, height: 10, fill }));
}

/** One labelled row of a bar chart: the label is HTML text, so it keeps its CSS size (13 px) on a phone
 * and wraps, where an SVG label shrank with the chart to about 6 px (issue 21). */
function barRow(label, bars, values) {
  return h('div', { class: 'bar-row' }, h('span', { class: 'bar-label' }, label), h('span', { class: 'bar-cell' }, bars),
    h('span', { class: 'bar-value' }, values));
}

export const pct = (v) => (v === null || v === undefined ? '—' : `${Math.round(v * 1000) / 10}%`);

/** A number with its label, large (the scoreboards' tiles). */
export const tile = (key, value, testid) => h('div', { class: 'tile', testid }, h('span', { class: 'tile-value' }, value), h('span', { class: 'tile-label' }, t(key)));

/** rows: [{label, value (0..1 or null)}] sorted by value, best first. */
export function rateBars(title, rows, testid) {
  const sorted = [...rows].sort((a, b) => (b.value ?? -1) - (a.value ?? -1));
  const colour = (v) => (v === null ? '#bbb' : v >= 0.9 ? '#2da44e' : v >= 0.7 ? '#bf8700' : '#c8102e');
  const bars = h('div', { class: 'bars', role: 'img', 'aria-label': `${title}: ${sorted.map((r) => `${r.label} ${pct(r.value)}`).join(', ') || t('no_data')}` },
    sorted.length ? sorted.map((r) => barRow(r.label, bar(r.value ?? 0, colour(r.value)), pct(r.value))) : h('p', { class: 'muted' }, t('no_data')));
  return h('figure', { class: 'chart-card', testid }, h('figcaption', {}, title), bars,
    table([t('unit'), title], sorted.map((r) => [r.label, pct(r.value)])));
}

/** series: [{name, points: [{x: 'YYYY-MM-DD', y}]}] sharing the same x values. */
export function lineChart(title, series, testid) {
  const width = 560, height = 220, left = 36, bottom = 28, top = 10, right = 10;
  const xs = series[0]?.points.map((p) => p.x) || [];
  const maxY = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p.y)));
  const px = (i) => left + (xs.length <= 1 ? 0 : (i * (width - left - right)) / (xs.length - 1));
  const py = (v) => top + (height - top - bottom) * (1 - v / maxY);
  const ticks = [0, Math.round(maxY / 2), maxY];
  const svg = h('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'chart',
    'aria-label': `${title}: ${series.map((s) => `${s.name} ${s.points.reduce((a, p) => a + p.y, 0)}`).join(', ')}` },
  ticks.map((v) => h('g', {}, h('line', { x1: left, x2: width - right, y1: py(v), y2: py(v), class: 'grid' }),
    h('text', { x: left - 6, y: py(v) + 4, 'text-anchor': 'end', class: 'axis' }, String(v)))),
  xs.map((x, i) => (i % Math.ceil(xs.length / 6) === 0 || i === xs.length - 1
    ? h('text', { x: px(i), y: height - 8, 'text-anchor': 'middle', class: 'axis' }, x.slice(5)) : null)),
  series.map((s, k) => h('g', {},
    h('polyline', { points: s.points.map((p, i) => `${px(i)},${py(p.y)}`).join(' '), fill: 'none', stroke: PALETTE[k], 'stroke-width': 2.5 }),
    s.points.map((p, i) => h('circle', { cx: px(i), cy: py(p.y), r: 3, fill: PALETTE[k] })))));
  const legend = h('ul', { class: 'legend' }, series.map((s, k) => h('li', {}, h('span', { class: `swatch c${k}`, 'aria-hidden': 'true' }), s.name)));
  return h('figure', { class: 'chart-card', testid }, h('figcaption', {}, title), svg, legend,
    table([t('day'), ...series.map((s) => s.name)], xs.map((x, i) => [x, ...series.map((s) => String(s.points[i].y))])));
}

/** groups: [{label, values: [a, b]}] with names: [nameA, nameB]; a pair of bars per label. */
export function pairedBars(title, names, groups, testid) {
  const rows = groups.filter((g) => g.values.some((v) => v > 0));
  const maxV = Math.max(1, ...rows.flatMap((g) => g.values));
  const bars = h('div', { class: 'bars', role: 'img',
    'aria-label': `${title}: ${rows.map((g) => `${g.label} ${names.map((n, k) => `${n} ${g.values[k]}`).join(' ')}`).join(', ') || t('no_data')}` },
  rows.length ? rows.map((g) => barRow(g.label, g.values.map((v, k) => bar(v / maxV, PALETTE[k + 1], 'paired')), g.values.join(' / ')))
    : h('p', { class: 'muted' }, t('no_data')));
  const legend = h('ul', { class: 'legend' }, names.map((n, k) => h('li', {}, h('span', { class: `swatch c${k + 1}`, 'aria-hidden': 'true' }), n)));
  return h('figure', { class: 'chart-card', testid }, h('figcaption', {}, title), bars, legend,
    table([t('unit'), ...names], rows.map((g) => [g.label, ...g.values.map(String)])));
}

/** counts: {name: n}; the split of a total (intake by channel), largest first, with its share. */
export function shareBars(title, counts, labelOf, testid) {
  const entries = Object.entries(counts || {}).sort((a, b) => b[1] - a[1]);
  const total = entries.reduce((a, [, n]) => a + n, 0);
  const share = (n) => (total ? n / total : 0);
  const bars = h('div', { class: 'bars', role: 'img', 'aria-label': `${title}: ${entries.map(([k, n]) => `${labelOf(k)} ${n}`).join(', ') || t('no_data')}` },
    entries.length ? entries.map(([k, n], i) => h('div', { testid: `${testid}-${k}` }, barRow(labelOf(k), bar(share(n), PALETTE[i % PALETTE.length]), `${n} · ${pct(share(n))}`)))
      : h('p', { class: 'muted' }, t('no_data')));
  return h('figure', { class: 'chart-card', testid }, h('figcaption', {}, title), bars,
    table([t('channel'), title], entries.map(([k, n]) => [labelOf(k), String(n)])));
}
