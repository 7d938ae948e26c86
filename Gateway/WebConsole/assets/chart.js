// Harvest entries to one line chart per numeric field, drawn as inline SVG (no chart library).
import { svg } from './dom.js';

/**
 * The numeric fields of JSON entries, nested objects flattened to dotted names: Map(field -> [[timeMs, value], ...])
 * in time order. Entries whose content is not a JSON object are skipped.
 */
export function numericSeries(entries) {
  const series = new Map();
  const sorted = [...entries].sort((a, b) => a.time - b.time);
  for (const entry of sorted) {
    let content = entry.content;
    if (typeof content === 'string') {
      try {
        content = JSON.parse(content);
      } catch {
        continue;
      }
    }
    collect(content, '', entry.time, series);
  }
  return series;
}

function collect(value, prefix, time, series) {
  if (typeof value === 'number' && Number.isFinite(value) && prefix) {
    if (!series.has(prefix)) {
      series.set(prefix, []);
    }
    series.get(prefix).push([time, value]);
  } else if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) {
      collect(child, prefix ? `${prefix}.${key}` : key, time, series);
    }
  }
}

const WIDTH = 640;
const HEIGHT = 180;
const PAD = { left: 56, right: 12, top: 12, bottom: 28 };

/** One chart: x from `from` to `to` (ms), y over the values' range; data-points tells how many points it drew. */
export function lineChart(field, points, from, to) {
  const values = points.map((p) => p[1]);
  let min = Math.min(...values);
  let max = Math.max(...values);
  if (min === max) {
    min -= 1;
    max += 1;
  }
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const x = (t) => PAD.left + ((t - from) / (to - from)) * plotWidth;
  const y = (v) => PAD.top + (1 - (v - min) / (max - min)) * plotHeight;
  const coordinates = points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`);
  // Over more than a few hours the date matters too.
  const time = (ms) => (to - from > 6 * 60 * 60 * 1000 ? new Date(ms).toLocaleString() : new Date(ms).toLocaleTimeString());

  return svg('svg', {
    class: 'chart',
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: 'img',
    'aria-label': `${field}: ${points.length} points`,
    'data-field': field,
    'data-points': points.length,
    'data-last': points.length ? points[points.length - 1][1] : '',
  },
  svg('rect', { class: 'plot', x: PAD.left, y: PAD.top, width: plotWidth, height: plotHeight }),
  svg('text', { class: 'axis', x: PAD.left - 6, y: PAD.top + 10, 'text-anchor': 'end' }, formatValue(max)),
  svg('text', { class: 'axis', x: PAD.left - 6, y: PAD.top + plotHeight, 'text-anchor': 'end' }, formatValue(min)),
  svg('text', { class: 'axis', x: PAD.left, y: HEIGHT - 8 }, time(from)),
  svg('text', { class: 'axis', x: WIDTH - PAD.right, y: HEIGHT - 8, 'text-anchor': 'end' }, time(to)),
  points.length > 1 ? svg('polyline', { class: 'line', points: coordinates.join(' ') }) : null,
  points.length <= 300
    ? points.map(([t, v]) => svg('circle', { class: 'point', cx: x(t).toFixed(1), cy: y(v).toFixed(1), r: 3 },
      svg('title', {}, `${new Date(t).toLocaleString()}: ${v}`)))
    : null);
}

function formatValue(v) {
  return Number.isInteger(v) ? String(v) : v.toPrecision(4);
}
