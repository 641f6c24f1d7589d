/**
 * The dashboard page: Vega-Lite specs compiled in the browser, one Vega view per chart, each
 * dataset replaced from every snapshot the event stream brings. `body[data-updates]` counts
 * the snapshots drawn (the browser test waits on it).
 */
export const DASHBOARD_HTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Legato — live latency</title>
<link rel="icon" href="data:,">
<style>
body { font-family: system-ui, sans-serif; margin: 1rem 2rem; color: #222; }
h1 { font-size: 1.4rem; margin: .2rem 0 .6rem; }
#status { font-variant-numeric: tabular-nums; color: #444; margin-bottom: .8rem; }
#status b { color: #000; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 1rem 2rem; }
.chart { overflow: visible; }
figure { margin: 0; } figcaption { font-size: .9rem; color: #444; margin-bottom: .2rem; }
</style>
<script src="/dashboard/vega.min.js"></script>
<script src="/dashboard/vega-lite.min.js"></script>
</head>
<body data-updates="0">
<h1>Legato — live latency</h1>
<div id="status">connecting…</div>
<div class="grid">
<figure id="fig-ttft"><figcaption>TTFT distribution (last 500 requests)</figcaption><div class="chart"></div></figure>
<figure id="fig-itl"><figcaption>Inter-token latency histogram (last 2000 gaps)</figcaption><div class="chart"></div></figure>
<figure id="fig-itl-position"><figcaption>Inter-token latency by output position (P50, P99)</figcaption><div class="chart"></div></figure>
<figure id="fig-kv"><figcaption>KV-cache usage over time</figcaption><div class="chart"></div></figure>
<figure id="fig-queue"><figcaption>Queue depth over time (waiting, running)</figcaption><div class="chart"></div></figure>
<figure id="fig-smoothness"><figcaption>Smoothness per finished request, 1/(1+CV²) of its gaps</figcaption><div class="chart"></div></figure>
<figure id="fig-spikes"><figcaption>ITL spikes by attributed cause</figcaption><div class="chart"></div></figure>
</div>
<script>
const W = 420, H = 190;
const base = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', width: W, height: H, data: { name: 'd' },
  // Re-lay out on every update: axis labels and legends grow once data arrives.
  autosize: { type: 'pad', resize: true } };
const specs = {
  'fig-ttft': { ...base, mark: 'bar', encoding: {
    x: { field: 'ms', bin: { maxbins: 30 }, title: 'TTFT (ms)' }, y: { aggregate: 'count', title: 'requests' } } },
  'fig-itl': { ...base, mark: 'bar', encoding: {
    x: { field: 'ms', bin: { maxbins: 40 }, title: 'gap (ms)' }, y: { aggregate: 'count', title: 'gaps' } } },
  'fig-itl-position': { ...base, mark: { type: 'line', point: true }, encoding: {
    x: { field: 'pos', type: 'quantitative', title: 'output token position' },
    y: { field: 'ms', type: 'quantitative', title: 'ITL (ms)' }, color: { field: 'stat', type: 'nominal', title: null } } },
  'fig-kv': { ...base, mark: 'area', encoding: {
    x: { field: 't', type: 'quantitative', title: 'time (s)' },
    y: { field: 'kv', type: 'quantitative', title: 'blocks used', axis: { format: '%' }, scale: { domain: [0, 1] } } } },
  'fig-queue': { ...base, transform: [{ fold: ['waiting', 'running'], as: ['state', 'requests'] }], mark: 'line', encoding: {
    x: { field: 't', type: 'quantitative', title: 'time (s)' },
    y: { field: 'requests', type: 'quantitative', title: 'requests' }, color: { field: 'state', type: 'nominal', title: null } } },
  'fig-smoothness': { ...base, mark: { type: 'line', point: true }, encoding: {
    x: { field: 'i', type: 'quantitative', title: 'request (finish order)' },
    y: { field: 'score', type: 'quantitative', title: 'smoothness', scale: { domain: [0, 1] } } } },
  'fig-spikes': { ...base, mark: 'bar', encoding: {
    x: { field: 'cause', type: 'nominal', title: 'cause', sort: null, axis: { labelAngle: 0 } },
    y: { field: 'count', type: 'quantitative', title: 'spikes' } } },
};
const views = {};
for (const [id, spec] of Object.entries(specs)) {
  const compiled = vegaLite.compile(spec).spec;
  views[id] = new vega.View(vega.parse(compiled), { renderer: 'svg', container: '#' + id + ' .chart', hover: false });
}
const rows = (s) => ({
  'fig-ttft': s.ttft, 'fig-itl': s.itl, 'fig-itl-position': s.itlByPosition, 'fig-kv': s.gauges,
  'fig-queue': s.gauges, 'fig-smoothness': s.smoothness.series, 'fig-spikes': s.spikes,
});
const fmt = (x, d = 2) => (x === null || Number.isNaN(x) ? '–' : Number(x).toFixed(d));
let drawing = false;
async function draw(s) {
  if (drawing) return; // a slow draw skips snapshots rather than queueing them
  drawing = true;
  try {
    const data = rows(s);
    await Promise.all(Object.entries(views).map(([id, v]) => v.data('d', data[id]).runAsync()));
    const spikes = s.spikes.map((x) => x.cause + ' ' + x.count).join(', ');
    document.getElementById('status').innerHTML =
      '<b>' + s.model.replace(/[<>&]/g, '') + '</b> · up ' + fmt(s.uptimeS, 0) + ' s · finished <b>' + s.finished +
      '</b> · running <b>' + s.running + '</b> · waiting <b>' + s.waiting + '</b> · KV ' + fmt(100 * s.kvUsage, 1) +
      '% · smoothness <b>' + fmt(s.smoothness.score, 3) + '</b> · spikes: ' + spikes;
    document.body.dataset.updates = String(Number(document.body.dataset.updates) + 1);
  } finally {
    drawing = false;
  }
}
Promise.all(Object.values(views).map((v) => v.runAsync())).then(() => {
  const es = new EventSource('/dashboard/events');
  es.onmessage = (ev) => {
    const s = JSON.parse(ev.data);
    if (s.loading) document.getElementById('status').textContent = 'loading the model…';
    else draw(s);
  };
  es.onerror = () => { document.getElementById('status').textContent = 'disconnected; retrying…'; };
});
</script>
</body>
</html>
`;
