/**
 * The page's own script (plain browser JavaScript, run after uPlot's): draws every chart and table
 * from the JSON in `#report-data`, writing text with `textContent` only (labels, failure messages
 * and paths come from servers and files: never parsed as HTML). Exposes `window.report` = `{ data,
 * charts }` (the uPlot instances, null where there is nothing to plot) and sets
 * `data-rendered="yes"` on `<html>` when done, so a test (or a user's console) can read what was drawn.
 */
export const REPORT_PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var runs = data.runs;
  var COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
  function color(i, alpha) {
    var hex = COLORS[i % COLORS.length];
    var n = parseInt(hex.slice(1), 16);
    return 'rgba(' + (n >> 16) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + alpha + ')';
  }
  function fmt(x) {
    if (x === null || x === undefined || !isFinite(x)) return '\u2013';
    if (Number.isInteger(x)) return x.toLocaleString('en');
    return String(Number(x.toPrecision(4)));
  }
  function flat(lists) { return [].concat.apply([], lists); }
  function pct(part, whole) { return whole ? fmt(100 * part / whole) + '%' : '\u2013'; }
  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    for (var k in attrs || {}) node.setAttribute(k, attrs[k]);
    return node;
  }
  function section(id, title, help) {
    var s = el('section', null, { id: id });
    s.appendChild(el('h2', title));
    if (help) s.appendChild(el('p', help, { class: 'help' }));
    document.getElementById('report').appendChild(s);
    return s;
  }
  /** cells: [text, value?] pairs or plain values; a value is kept in data-value for exact reading. */
  function table(parent, headers, rows, id) {
    var t = el('table', null, id ? { id: id } : {});
    var head = t.appendChild(el('thead')).appendChild(el('tr'));
    headers.forEach(function (h) { head.appendChild(el('th', h)); });
    var body = t.appendChild(el('tbody'));
    rows.forEach(function (row) {
      var tr = body.appendChild(el('tr'));
      row.forEach(function (cell) {
        var c = cell !== null && typeof cell === 'object' ? cell : typeof cell === 'number' ? { value: cell } : { text: cell };
        var attrs = {};
        if (c.field) attrs['data-field'] = c.field;
        if (c.value !== undefined && c.value !== null) attrs['data-value'] = String(c.value);
        tr.appendChild(el('td', c.text === undefined ? fmt(c.value) : c.text, attrs));
      });
    });
    parent.appendChild(t);
    return t;
  }
  function chartBox(parent) { return parent.appendChild(el('div', null, { class: 'chart' })); }
  function size(box) { return { width: Math.max(320, box.clientWidth || 900), height: 280 }; }
  var charts = {};
  function plot(name, parent, opts, aligned) {
    var box = chartBox(parent);
    var s = size(box);
    opts.width = s.width;
    opts.height = s.height;
    charts[name] = new uPlot(opts, aligned, box);
    return charts[name];
  }
  var linear = { x: { time: false } };
  var dots = function () { return null; };

  // Overview: one row per run.
  var overview = section('overview', 'Runs', 'Success: the env said done and its last reward was above 0 (the goal reached, in the built-in envs). Failed: the episode ended with an error (socket, server, timeout) and is left out of the return statistics.');
  table(overview, ['run', 'kind', 'path', 'episodes', 'failed', 'terminated', 'truncated', 'success', 'mean return', 'min', 'max', 'mean length', 'steps', 'duration s', 'episodes/s', 'steps/s'],
    runs.map(function (r, i) {
      var ended = r.episodes + r.failed;
      return [{ text: r.label, field: 'label' }, r.kind, r.path, { value: r.episodes, field: 'episodes' }, { value: r.failed, field: 'failed' },
        { text: pct(r.terminated, ended), value: r.terminated, field: 'terminated' }, { text: pct(r.truncated, ended), value: r.truncated, field: 'truncated' },
        { text: pct(r.succeeded, ended), value: r.succeeded, field: 'succeeded' }, { value: r.meanReturn, field: 'meanReturn' }, { value: r.minReturn }, { value: r.maxReturn },
        { value: r.meanLength, field: 'meanLength' }, { value: r.steps, field: 'steps' }, { value: r.durationMs === null ? null : r.durationMs / 1000 },
        { value: r.episodesPerSecond }, { value: r.stepsPerSecond }];
    }), 'runs');
  runs.forEach(function (r) {
    r.notes.forEach(function (note) { overview.appendChild(el('p', r.label + ': ' + note, { class: 'note' })); });
  });

  // Return per episode with its moving average; one pair of series per run.
  var returns = section('returns', 'Return per episode', 'Dots: each episode\u2019s return (bucket means when a run has more episodes than points); line: trailing moving average.');
  var finished = runs.some(function (r) { return r.episodes > 0; });
  if (finished) plot('returns', returns, {
    title: 'Return per episode', scales: linear,
    axes: [{ label: 'episode' }, { label: 'return' }],
    series: [{ label: 'episode' }].concat(flat(runs.map(function (r, i) {
      return [
        { label: r.label + ' return', stroke: color(i, 0.6), width: 0, paths: dots, points: { show: true, size: 5, fill: color(i, 0.6), stroke: color(i, 0.6) } },
        { label: r.label + ' moving average (' + r.returns.window + ')', stroke: color(i, 1), width: 2, spanGaps: true, points: { show: false } },
      ];
    }))),
  }, uPlot.join(runs.map(function (r) { return [r.returns.index, r.returns.value, r.returns.movingAverage]; })));
  else {
    charts.returns = null;
    returns.appendChild(el('p', 'No episode finished.', { class: 'note' }));
  }
  runs.forEach(function (r) {
    var text = r.returns.bucket > 1
      ? r.label + ': ' + fmt(r.returns.shown) + ' points shown, each the mean of ' + fmt(r.returns.bucket) + ' consecutive episodes, for ' + fmt(r.returns.total) + ' episodes (downsampled).'
      : r.label + ': all ' + fmt(r.returns.total) + ' episodes shown.';
    returns.appendChild(el('p', text, { class: 'note', 'data-run': r.label }));
  });

  // Success rate over the run (same moving window).
  var success = section('success', 'Success rate', 'Trailing moving average of the share of episodes that succeeded.');
  if (finished) plot('success', success, {
    title: 'Success rate (moving average)', scales: { x: { time: false }, y: { range: [0, 1] } },
    axes: [{ label: 'episode' }, { label: 'success rate' }],
    series: [{ label: 'episode' }].concat(runs.map(function (r, i) { return { label: r.label, stroke: color(i, 1), width: 2, spanGaps: true }; })),
  }, uPlot.join(runs.map(function (r) { return [r.returns.index, r.returns.successRate]; })));
  else charts.success = null;

  // Episode length histogram.
  var lengths = section('lengths', 'Episode length', 'Episodes per length bin (failed episodes excluded).');
  // Half a bin of margin each side: the first and last bars are drawn whole, not cut by the axis ends.
  var binWidth = Math.max.apply(null, runs.map(function (r) { return r.lengths.width; }).concat([1]));
  if (finished) plot('lengths', lengths, {
    title: 'Episode length histogram',
    scales: { x: { time: false, range: function (u, min, max) { return [min - binWidth, max + binWidth]; } } },
    axes: [{ label: 'steps' }, { label: 'episodes' }],
    series: [{ label: 'length' }].concat(runs.map(function (r, i) {
      return { label: r.label + (r.lengths.width > 1 ? ' (bins of ' + r.lengths.width + ')' : ''), stroke: color(i, 1), fill: color(i, 0.35), width: 1, paths: uPlot.paths.bars({ size: [0.9, 60], align: 1 }), points: { show: false } };
    })),
  }, uPlot.join(runs.map(function (r) { return [r.lengths.start, r.lengths.count]; })));
  else charts.lengths = null;

  // Throughput over time.
  var throughput = section('throughput', 'Throughput', 'Episodes finished per second, in equal time buckets from each run\u2019s start.');
  var timed = runs.filter(function (r) { return r.throughput.atSeconds.length > 0; });
  if (timed.length) {
    plot('throughput', throughput, {
      title: 'Episodes per second', scales: linear,
      axes: [{ label: 'seconds since start' }, { label: 'episodes/s' }],
      series: [{ label: 's' }].concat(timed.map(function (r) { var i = runs.indexOf(r); return { label: r.label, stroke: color(i, 1), width: 2, spanGaps: true, paths: uPlot.paths.stepped({ align: 1 }) }; })),
    }, uPlot.join(timed.map(function (r) { return [r.throughput.atSeconds, r.throughput.episodesPerSecond]; })));
  } else {
    charts.throughput = null;
    throughput.appendChild(el('p', 'No run recorded when its episodes ended.', { class: 'note' }));
  }
  table(throughput, ['run', 'session / server', 'episodes', 'failed', 'steps', 'episodes/s', 'steps/s', 'steps timed', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'mean ms'],
    flat(runs.map(function (r) {
      return r.groups.map(function (g) {
        var l = g.stepLatency || {};
        return [r.label, { text: g.name, field: 'group' }, { value: g.episodes, field: 'episodes' }, g.failed, { value: g.steps, field: 'steps' }, g.episodesPerSecond, g.stepsPerSecond,
          l.count, { value: l.p50, field: 'p50' }, { value: l.p95, field: 'p95' }, { value: l.p99, field: 'p99' }, { value: l.max, field: 'max' }, l.mean];
      });
    })), 'groups');

  // Failures on a timeline.
  var failures = section('failures', 'Failures', 'Each failed episode at the time it failed; the height is the run\u2019s count of failures so far.');
  var failing = runs.filter(function (r) { return r.failures.shown.some(function (f) { return f.atSeconds !== null; }); });
  if (failing.length) {
    plot('failures', failures, {
      // Failures all in the same second would get an axis of zero width: show at least one second.
    title: 'Failures over time', scales: { x: { time: false, range: function (u, min, max) { return max - min < 1 ? [Math.floor(min), Math.floor(min) + 1] : [min, max]; } } },
      axes: [{ label: 'seconds since start' }, { label: 'failures so far' }],
      series: [{ label: 's' }].concat(failing.map(function (r) { var i = runs.indexOf(r); return { label: r.label, stroke: color(i, 1), width: 0, paths: dots, points: { show: true, size: 7, fill: color(i, 1) } }; })),
    }, uPlot.join(failing.map(function (r) {
      var at = r.failures.shown.filter(function (f) { return f.atSeconds !== null; }).map(function (f) { return f.atSeconds; }).sort(function (a, b) { return a - b; });
      // Equal times would collapse in the join: a failure at the same instant is drawn a microsecond later.
      for (var k = 1; k < at.length; k++) if (at[k] <= at[k - 1]) at[k] = at[k - 1] + 1e-6;
      return [at, at.map(function (_, k) { return k + 1; })];
    })));
  } else {
    charts.failures = null;
  }
  var anyFailure = runs.some(function (r) { return r.failures.total > 0; });
  if (!anyFailure) failures.appendChild(el('p', 'No episode failed.', { class: 'note' }));
  runs.forEach(function (r) {
    if (!r.failures.total) return;
    var codes = Object.keys(r.failures.byCode).map(function (c) { return c + ' ' + r.failures.byCode[c]; }).join(', ');
    failures.appendChild(el('p', r.label + ': ' + r.failures.total + ' failed (' + codes + ')' + (r.failures.shown.length < r.failures.total ? '; the first ' + r.failures.shown.length + ' listed' : ''), { class: 'note' }));
  });
  var failureRows = flat(runs.map(function (r) {
    return r.failures.shown.map(function (f) { return [r.label, { value: f.atSeconds }, f.episodeId, { text: f.code, field: 'code' }, f.group === null ? '' : f.group, f.message]; });
  }));
  if (failureRows.length) {
    var scroll = failures.appendChild(el('div', null, { class: 'scroll' }));
    table(scroll, ['run', 's', 'episode', 'code', 'session / server', 'message'], failureRows, 'failure-list');
  }

  window.report = { data: data, charts: charts };
  document.documentElement.setAttribute('data-rendered', 'yes');
})();
`;
