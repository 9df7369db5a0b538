// Small SVG charts (no library): sorted horizontal bars and a daily line. Each chart is an
// <figure> with a caption, an SVG marked role="img" with a text alternative, and its data table.
import { h } from './common.js';
import { t } from './i18n.js';

const PALETTE = ['#c8102e', '#1f6feb', '#2da44e', '#bf8700', '#8250df'];

function table(headers, rows) {
  return h('details', { class: 'data' }, h('summary', {}, t('data_table')),
    h('table', {}, h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows.map((r) => h('tr', {}, r.map((x) => h('td', {}, x)))))));
}

/** Fits a unit name into the label column (CJK characters are about twice as wide as Latin ones). */
function fit(label, px = 180) {
  let width = 0;
  for (let i = 0; i < label.length; i += 1) {
    width += /[\u2E80-\uFFFF]/.test(label[i]) ? 12 : 6.6;
    if (width > px) return `${label.slice(0, Math.max(1, i - 1))}…`;
  }
  return label;
}

export const pct = (v) => (v === null || v === undefined ? '—' : `${Math.round(v * 1000) / 10}%`);

/** A number with its label, large (the scoreboards' tiles). */
export const tile = (key, value, testid) => h('div', { class: 'tile', testid }, h('span', { class: 'tile-value' }, value), h('span', { class: 'tile-label' }, t(key)));

/** rows: [{label, value (0..1 or null)}] sorted by value, best first. */
export function rateBars(title, rows, testid) {
  const sorted = [...rows].sort((a, b) => (b.value ?? -1) - (a.value ?? -1));
  const rowH = 26, labelW = 190, width = 560, barW = width - labelW - 60;
  const height = Math.max(1, sorted.length) * rowH + 8;
  const svg = h('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `${title}: ${sorted.map((r) => `${r.label} ${pct(r.value)}`).join(', ') || t('no_data')}`, class: 'chart' },
    sorted.length ? sorted.map((r, i) => h('g', {},
      h('text', { x: labelW - 8, y: i * rowH + 17, 'text-anchor': 'end', class: 'axis' }, fit(r.label)),
      h('rect', { x: labelW, y: i * rowH + 4, width: barW, height: rowH - 8, class: 'track' }),
      h('rect', { x: labelW, y: i * rowH + 4, width: Math.max(0, (r.value ?? 0) * barW), height: rowH - 8, fill: r.value === null ? '#bbb' : (r.value >= 0.9 ? '#2da44e' : r.value >= 0.7 ? '#bf8700' : '#c8102e') }),
      h('text', { x: labelW + barW + 6, y: i * rowH + 17, class: 'value' }, pct(r.value))))
      : h('text', { x: 10, y: 18, class: 'axis' }, t('no_data')));
  return h('figure', { class: 'chart-card', testid }, h('figcaption', {}, title), svg,
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

/** groups: [{label, values: [a, b]}] with names: [nameA, nameB]; side-by-side bars. */
export function pairedBars(title, names, groups, testid) {
  const rows = groups.filter((g) => g.values.some((v) => v > 0));
  const rowH = 34, labelW = 190, width = 560, barW = width - labelW - 40;
  const maxV = Math.max(1, ...rows.flatMap((g) => g.values));
  const height = Math.max(1, rows.length) * rowH + 8;
  const svg = h('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'chart',
    'aria-label': `${title}: ${rows.map((g) => `${g.label} ${names.map((n, k) => `${n} ${g.values[k]}`).join(' ')}`).join(', ') || t('no_data')}` },
  rows.length ? rows.map((g, i) => h('g', {},
    h('text', { x: labelW - 8, y: i * rowH + 20, 'text-anchor': 'end', class: 'axis' }, fit(g.label)),
    g.values.map((v, k) => h('g', {},
      h('rect', { x: labelW, y: i * rowH + 4 + k * 13, width: (v / maxV) * barW, height: 11, fill: PALETTE[k + 1] }),
      h('text', { x: labelW + (v / maxV) * barW + 4, y: i * rowH + 14 + k * 13, class: 'value' }, String(v))))))
    : h('text', { x: 10, y: 18, class: 'axis' }, t('no_data')));
  const legend = h('ul', { class: 'legend' }, names.map((n, k) => h('li', {}, h('span', { class: `swatch c${k + 1}`, 'aria-hidden': 'true' }), n)));
  return h('figure', { class: 'chart-card', testid }, h('figcaption', {}, title), svg, legend,
    table([t('unit'), ...names], rows.map((g) => [g.label, ...g.values.map(String)])));
}
