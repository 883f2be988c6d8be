/**
 * Charts (uPlot, loaded by the page as a global): each `[data-chart]` element fetches its series
 * from the JSON API URL in `data-src` and draws it. Colours come from the stylesheet's custom
 * properties, so charts follow light and dark mode; the legend under each chart is updated from the
 * same answer, so what it says is what the API says.
 */
import { api, format, visibleText } from './api.js';

const uPlotLib = () => globalThis.uPlot;
const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
const DAY = 86_400;

/** Stack order, bottom first (the overview's TREND_SERIES). */
const STACK = ['negative', 'mixed', 'neutral', 'positive'];

function size(element) {
  const width = Math.max(280, element.clientWidth);
  return { width, height: Math.round(Math.min(360, Math.max(220, width * 0.42))) };
}

function axis(extra = {}) {
  return {
    stroke: css('--muted'),
    grid: { stroke: css('--border'), width: 1 },
    ticks: { stroke: css('--border'), width: 1 },
    ...extra,
  };
}

/** Whole mentions on the count axis. */
const COUNT_TICKS = [
  1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000,
];
/** Ticks on whole days at least: the buckets are days. */
const DAY_TICKS = [DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY, 91 * DAY, 365 * DAY];

function timeOptions(element, xs) {
  const timeZone = element.dataset.tz || 'UTC';
  const step = xs.length > 1 ? xs[1] - xs[0] : DAY;
  return {
    tzDate: (ts) => uPlotLib().tzDate(new Date(ts * 1e3), timeZone),
    x: { time: true, range: (_u, min, max) => [min - step / 2, max + step / 2] },
  };
}

const dayFormats = new Map();
function day(iso, timeZone) {
  let f = dayFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, dateStyle: 'medium' });
    dayFormats.set(timeZone, f);
  }
  return f.format(new Date(iso));
}

function readout(element, text) {
  const target = document.getElementById(`${element.id}-readout`);
  if (target) target.textContent = text;
}

/** Sets a legend entry's value (data attribute and text) from the API's answer. */
function setLegend(legendId, series, value, shown) {
  const entry = document.querySelector(`#${legendId} [data-series="${CSS.escape(series)}"]`);
  if (!entry) return;
  entry.dataset.value = value === null || value === undefined ? '' : String(value);
  const text = entry.querySelector('[data-field="value"]');
  if (text) text.textContent = shown;
}

function trendChart(element, data) {
  const U = uPlotLib();
  const buckets = data.buckets;
  const xs = buckets.map((b) => Date.parse(b.start) / 1000);
  const stacked = [];
  let running = buckets.map(() => 0);
  for (const key of STACK) {
    running = running.map((sum, i) => sum + buckets[i][key]);
    stacked.push(running);
  }
  // Tallest stack first: each shorter one is drawn over it, leaving its own band visible.
  const order = [3, 2, 1, 0];
  const bars = U.paths.bars({ size: [0.72, 48] });
  const time = timeOptions(element, xs);
  const series = [
    {},
    ...order.map((i) => ({
      label: STACK[i],
      scale: 'n',
      fill: css(`--${STACK[i]}`),
      stroke: css(`--${STACK[i]}`),
      width: 0,
      paths: bars,
      points: { show: false },
    })),
    {
      label: 'net sentiment',
      scale: 'net',
      stroke: css('--net'),
      width: 2,
      points: { show: true, size: 5, fill: css('--net') },
    },
  ];
  const timeZone = element.dataset.tz || 'UTC';
  const plot = new U(
    {
      ...size(element),
      tzDate: time.tzDate,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      scales: {
        x: time.x,
        n: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.1))] },
        net: { range: [-1, 1] },
      },
      axes: [
        axis({ incrs: DAY_TICKS }),
        axis({ scale: 'n', label: 'mentions', size: 50, incrs: COUNT_TICKS }),
        axis({
          scale: 'net',
          side: 1,
          label: 'net sentiment',
          grid: { show: false },
          size: 62,
          values: (_u, values) => values.map((v) => format.score(v)),
        }),
      ],
      series,
      hooks: {
        setCursor: [
          (u) => {
            const i = u.cursor.idx;
            const b = i === null || i === undefined ? undefined : buckets[i];
            readout(
              element,
              b
                ? `${day(b.start, timeZone)}: ${format.count(b.positive)} positive, ${format.count(b.neutral)} neutral, ` +
                    `${format.count(b.mixed)} mixed, ${format.count(b.negative)} negative; net ${format.score(b.netSentiment)}`
                : '',
            );
          },
        ],
      },
    },
    [xs, ...order.map((i) => stacked[i]), buckets.map((b) => b.netSentiment)],
    element,
  );
  for (const key of STACK) setLegend('legend-trend', key, data.totals[key], format.count(data.totals[key]));
  setLegend('legend-trend', 'netSentiment', data.totals.netSentiment, format.score(data.totals.netSentiment));
  setLegend('legend-trend', 'volume', data.totals.volume, format.count(data.totals.volume));
  return plot;
}

function shareOfVoiceChart(element, data) {
  const U = uPlotLib();
  const xs = data.buckets.map((b) => Date.parse(b.start) / 1000);
  const time = timeOptions(element, xs);
  const names = new Map(data.panel.map((b) => [b.id, visibleText(b.name)]));
  const columns = data.panel.map((brand) =>
    data.buckets.map((bucket) => {
      const share = bucket.brands.find((b) => b.brandId === brand.id)?.shareOfVoice;
      return share === null || share === undefined ? null : Math.round(share * 1000) / 10;
    }),
  );
  const timeZone = element.dataset.tz || 'UTC';
  const plot = new U(
    {
      ...size(element),
      tzDate: time.tzDate,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: time.x, y: { range: [0, 100] } },
      axes: [
        axis({ incrs: DAY_TICKS }),
        axis({ label: 'share of voice', size: 50, values: (_u, v) => v.map((x) => `${x}%`) }),
      ],
      series: [
        {},
        ...data.panel.map((brand, i) => ({
          label: names.get(brand.id),
          stroke: css(`--c${i % 8}`),
          width: 2,
          points: { show: true, size: 4, fill: css(`--c${i % 8}`) },
        })),
      ],
      hooks: {
        setCursor: [
          (u) => {
            const i = u.cursor.idx;
            const bucket = i === null || i === undefined ? undefined : data.buckets[i];
            if (!bucket) return readout(element, '');
            const parts = data.panel.map((brand, k) => {
              const v = columns[k][i];
              return `${names.get(brand.id)} ${v === null ? '—' : `${v}%`}`;
            });
            readout(element, `${day(bucket.start, timeZone)}: ${parts.join(', ')}`);
          },
        ],
      },
    },
    [xs, ...columns],
    element,
  );
  for (const t of data.totals)
    setLegend('legend-sov', String(t.brandId), t.shareOfVoice, format.share(t.shareOfVoice));
  return plot;
}

const BUILDERS = { trend: trendChart, sov: shareOfVoiceChart };

function fail(element, message) {
  const p = document.createElement('p');
  p.className = 'chart-error';
  p.textContent = message;
  element.replaceChildren(p);
  element.dataset.state = 'error';
}

async function load(element) {
  const build = BUILDERS[element.dataset.chart];
  if (!build) return;
  if (!uPlotLib())
    return fail(element, 'The chart library did not load; the numbers are in the table below.');
  let data;
  try {
    data = await api('GET', element.dataset.src);
  } catch (error) {
    return fail(element, `The chart data could not be loaded: ${error.message}`);
  }
  let plot;
  const draw = () => {
    plot?.destroy();
    element.replaceChildren();
    plot = build(element, data);
  };
  draw();
  element.dataset.state = 'ready';
  let width = element.clientWidth;
  new ResizeObserver(() => {
    if (element.clientWidth === width) return;
    width = element.clientWidth;
    plot?.setSize(size(element));
  }).observe(element);
  // Colours come from the stylesheet: redraw when the colour scheme changes.
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', draw);
}

export function initCharts() {
  for (const element of document.querySelectorAll('[data-chart]')) load(element);
}
