// 热点 (未诉先办, issue 18): the cells (about 150 m) where one kind of problem was reported far more often
// than usual on a day (GET /v1/hotspots, dispatchers and supervisors), so someone acts before more
// people call. Filters (period, topic, district) live in the address, so a link shows the same view.
// The list is the accessible form: each cell's centre, district, topic, count, baseline and its cases'
// tracking numbers, linked to the case page. Beside it an SVG grid map draws each cell as a rectangle
// from the bounds the API gives (a cell, never a citizen's position), coloured by how far its count
// exceeds its usual day, with a legend and a <title> tooltip per cell.
import { api, field, h, shanghaiDay } from '../common.js';
import { t } from '../i18n.js';
import { me, nameOf, paint, state } from './shared.js';

/** Colours from "about usual" to "far beyond usual or never seen": [lowest ratio, fill, legend key]. */
const HEAT = [
  [10, '#8b1a1a', 'heat_10'],
  [5, '#c0392b', 'heat_5'],
  [2, '#e67e22', 'heat_2'],
  [0, '#f4c542', 'heat_1'],
];
/** A cell with no reports before (baseline 0) is as unusual as it gets. */
const heat = (hot) => HEAT.find(([from]) => (hot.baseline > 0 ? hot.count / hot.baseline : Infinity) >= from);
const fill = (text, params) => Object.entries(params).reduce((s, [k, v]) => s.replaceAll(`{${k}}`, String(v)), text);
const perDay = (n) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

export async function hotspotsView() {
  const gen = state.generation;
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const today = new Date();
  const to = params.get('to') || shanghaiDay(today);
  const from = params.get('from') || shanghaiDay(new Date(today.getTime() - 6 * 86400e3));
  const topic = params.get('topic') || '';
  const district = params.get('district') || '';
  const fromIn = h('input', { type: 'date', value: from, required: true, testid: 'hotspots-from' });
  const toIn = h('input', { type: 'date', value: to, required: true, testid: 'hotspots-to' });
  const choice = (table, all, value, testid) => h('select', { testid },
    h('option', { value: '' }, t(all)),
    Object.keys(state.catalog[table]).map((k) => h('option', { value: k, selected: k === value }, nameOf(table, k))));
  const topicIn = choice('topics', 'all_topics', topic, 'hotspots-topic');
  const districtIn = choice('districts', 'all_districts', district, 'hotspots-district');
  const filters = h('form', { class: 'card row wrap', testid: 'hotspots-filters', onsubmit: (e) => {
    e.preventDefault();
    const q = new URLSearchParams({ from: fromIn.value, to: toIn.value });
    if (topicIn.value) q.set('topic', topicIn.value);
    if (districtIn.value) q.set('district', districtIn.value);
    location.hash = `#/hotspots?${q}`;
  } }, h('h2', { class: 'visually-hidden' }, t('period')), field(t('from'), fromIn), field(t('to'), toIn),
  field(t('topic'), topicIn), field(t('district'), districtIn), h('button', { type: 'submit', class: 'primary' }, t('apply')));
  const head = [h('h1', {}, t('hotspots')), h('p', { class: 'hint' }, t('hotspots_intro')), filters];
  paint(gen, h('section', {}, head, h('p', { class: 'muted' }, t('loading'))));
  const q = new URLSearchParams({ from, to });
  if (topic) q.set('topic', topic);
  if (district) q.set('district', district);
  const data = await api(`/v1/hotspots?${q}`, { token: me().token });
  const found = data.hotspots || [];
  paint(gen, h('section', { testid: 'hotspots' }, head,
    h('p', { class: 'muted', testid: 'hotspots-min' }, fill(t('hotspots_min_reports'), { n: data.min_reports })),
    found.length ? [hotspotMap(found), hotspotList(found)] : h('p', { testid: 'hotspots-none' }, t('hotspots_none'))));
}

const placeOf = (hot) => `${hot.lat.toFixed(5)}, ${hot.lon.toFixed(5)}`;
const describe = (hot) => fill(t('hotspot_tooltip'), {
  day: hot.day, topic: nameOf('topics', hot.topic), district: nameOf('districts', hot.district),
  count: hot.count, baseline: perDay(hot.baseline), place: placeOf(hot),
});

/** The grid map: every listed cell where its bounds put it (east-west scaled by the latitude, so a
 *  cell looks as square as it is), the neighbouring grid drawn faintly around when the area is small. */
function hotspotMap(found) {
  const cells = new Map();  // one rectangle per cell: its most unusual day and topic on top
  for (const hot of found) (cells.get(hot.cell) || cells.set(hot.cell, []).get(hot.cell)).push(hot);
  const cellW = found[0].east - found[0].west, cellH = found[0].north - found[0].south;
  const west = Math.min(...found.map((x) => x.west)) - 2 * cellW, east = Math.max(...found.map((x) => x.east)) + 2 * cellW;
  const south = Math.min(...found.map((x) => x.south)) - 2 * cellH, north = Math.max(...found.map((x) => x.north)) + 2 * cellH;
  const squash = Math.cos((((north + south) / 2) * Math.PI) / 180);
  // the same scale both ways, fitted to at most 600 x 480 units
  const k = Math.min(600 / ((east - west) * squash), 480 / (north - south));
  const x = (lon) => (lon - west) * squash * k, y = (lat) => (north - lat) * k;
  const width = x(east), height = y(south);
  const grid = [];
  if ((east - west) / cellW <= 40 && (north - south) / cellH <= 40) {
    for (let lon = west; lon <= east + cellW / 2; lon += cellW) grid.push(h('line', { x1: x(lon), x2: x(lon), y1: 0, y2: height, class: 'grid' }));
    for (let lat = south; lat <= north + cellH / 2; lat += cellH) grid.push(h('line', { x1: 0, x2: width, y1: y(lat), y2: y(lat), class: 'grid' }));
  }
  const rects = [...cells.values()].map((days) => {
    const top = [...days].sort((a, b) => heat(a) === heat(b) ? b.count - a.count : HEAT.indexOf(heat(a)) - HEAT.indexOf(heat(b)))[0];
    const w = Math.max(8, x(top.east) - x(top.west)), hgt = Math.max(8, y(top.south) - y(top.north));
    return h('g', { testid: 'hotspot-cell', 'data-cell': top.cell },
      h('title', {}, days.map(describe).join('\n')),
      h('rect', { x: x(top.west), y: y(top.north), width: w, height: hgt, fill: heat(top)[1], stroke: '#3d1f00', 'stroke-width': 1, rx: 2 }),
      h('text', { x: x(top.west) + w / 2, y: y(top.north) + hgt / 2 + 5, 'text-anchor': 'middle', 'font-size': 14, 'font-weight': 700, fill: '#fff' }, String(top.count)));
  });
  const label = fill(t('hotspot_map_label'), { n: cells.size }) + found.map(describe).join('; ');
  const svg = h('svg', { viewBox: `0 0 ${Math.round(width)} ${Math.round(height)}`, role: 'img', 'aria-label': label, class: 'chart hotspot-map', testid: 'hotspot-map' },
    h('rect', { x: 0, y: 0, width, height, fill: '#f6f8fa' }), grid, rects);
  const legend = h('ul', { class: 'legend', testid: 'hotspot-legend' }, HEAT.map(([, colour, key]) => h('li', {},
    h('svg', { width: 14, height: 14, 'aria-hidden': 'true' }, h('rect', { width: 14, height: 14, fill: colour, rx: 2 })), ' ', t(key))));
  return h('figure', { class: 'chart-card' }, h('figcaption', {}, t('hotspot_map')), svg, legend,
    h('p', { class: 'hint' }, fill(t('hotspot_map_hint'), { m: Math.round(cellH * 111_320) })));
}

/** The list: one row per cell, day and topic, most reports first (the API's order). */
function hotspotList(found) {
  const cols = [t('day'), t('hotspot_centre'), t('district'), t('topic'), t('hotspot_count'), t('hotspot_baseline'), t('hotspot_cases')];
  return h('div', { class: 'table-scroll' }, h('table', { class: 'grid-table', testid: 'hotspot-list' },
    h('caption', { class: 'visually-hidden' }, t('hotspots')),
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, found.map((hot) => {
      const ids = hot.case_ids?.length === hot.cases.length ? hot.case_ids : null;
      return h('tr', { testid: 'hotspot-row', 'data-cell': hot.cell, 'data-topic': hot.topic },
        h('td', {}, hot.day),
        h('td', {}, placeOf(hot), h('br'), h('span', { class: 'muted' }, hot.cell)),
        h('td', {}, nameOf('districts', hot.district)),
        h('td', {}, nameOf('topics', hot.topic)),
        h('td', { testid: 'hotspot-count' }, String(hot.count), h('span', { class: 'muted' }, ` / ${fill(t('hotspot_threshold'), { n: hot.threshold })}`)),
        h('td', {}, perDay(hot.baseline)),
        h('td', {}, h('ul', { class: 'cases-list' }, hot.cases.map((no, i) => h('li', {},
          ids ? h('a', { href: `#/case/${ids[i]}`, testid: 'hotspot-case' }, no) : h('span', { testid: 'hotspot-case' }, no))))));
    }))));
}
