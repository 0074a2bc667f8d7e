// glassbox monitor dashboard: runs list, live charts (uPlot) fed by server-sent events, zoom, hyper-parameters.
// Every string that comes from a run (names, parameters, messages) is inserted as text (textContent), never as HTML.
"use strict";

const MAX_POINTS = 1000;          // points per series in the overview; zooming loads the range at full resolution
const AUTO_SELECT = 6;            // the newest runs drawn until the user picks
const COLORS = ["#1f6feb", "#cf222e", "#1a7f37", "#8250df", "#bf8700", "#0598bc", "#bc4c00", "#6e7781"];

const state = {
  runs: new Map(),       // id -> run from /api/runs
  details: new Map(),    // id -> /api/runs/{id}
  selected: new Set(),
  userPicked: false,
  series: new Map(),     // runId + "\u0000" + metric -> {steps: [], values: []} (overview)
  charts: new Map(),     // metric -> {box, plot, caption, zoom: null | {start, end, data}}
  redrawPending: false,
};

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

async function api(path) {
  const response = await fetch(path, { credentials: "same-origin" });
  if (response.status === 401 || response.status === 403) {
    document.getElementById("token-form").hidden = false;
    throw new Error(response.status === 401 ? "this server needs its token" : "the token is wrong");
  }
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

function showError(error) {
  const box = document.getElementById("error");
  box.textContent = String(error && error.message ? error.message : error);
  box.hidden = false;
}

const seriesKey = (runId, metric) => runId + "\u0000" + metric;
const runColors = new Map();  // a run keeps the colour it was first given, in the list and in every chart
function colorOf(runId) {
  if (!runColors.has(runId)) runColors.set(runId, COLORS[runColors.size % COLORS.length]);
  return runColors.get(runId);
}

// ---- runs ---------------------------------------------------------------------------------------------------
function renderRuns() {
  const body = document.getElementById("runs-body");
  const rows = [];
  for (const run of state.runs.values()) {
    const checkbox = el("input", { type: "checkbox", "aria-label": "draw this run" });
    checkbox.checked = state.selected.has(run.id);
    checkbox.addEventListener("change", () => toggleRun(run.id, checkbox.checked));
    const started = run.created ? new Date(run.created * 1000).toLocaleString() : "";
    const badge = el("span", { class: "badge", dataset: { status: run.status } }, run.status);
    if (run.message) badge.title = run.message.split("\n").filter(Boolean).slice(-1)[0] || "";
    rows.push(el("tr", { class: "run-row", dataset: { runId: run.id, status: run.status } },
      el("td", {}, checkbox),
      el("td", { class: "name" }, run.name),
      el("td", {}, badge),
      el("td", { class: "step" }, run.last_step ?? ""),
      el("td", {}, started)));
  }
  body.replaceChildren(...rows);
  document.getElementById("no-runs").hidden = state.runs.size > 0;
  for (const row of body.querySelectorAll("tr")) row.style.borderLeft = `4px solid ${colorOf(row.dataset.runId)}`;
}

let runsRequests = 0;

async function loadRuns() {
  // Several loads can be on their way at once (a new run's status event, a reconnection); answers may come
  // back in any order, and only the last one asked for knows every run: an older one would drop newer runs.
  const request = ++runsRequests;
  const { runs } = await api("/api/runs");
  if (request !== runsRequests) return;
  state.runs = new Map(runs.map((run) => [run.id, run]));
  if (!state.userPicked) state.selected = new Set(runs.slice(0, AUTO_SELECT).map((run) => run.id));
  renderRuns();
  await Promise.all([...state.selected].map(loadRun));
  renderDetails();
}

async function loadRun(runId) {
  const detail = await api(`/api/runs/${encodeURIComponent(runId)}`);
  // metrics whose first points came live while this request was on its way are not in its answer yet
  const prefix = seriesKey(runId, "");
  for (const key of state.series.keys()) {
    const metric = key.slice(prefix.length);
    if (key.startsWith(prefix) && !detail.metrics.includes(metric)) detail.metrics.push(metric);
  }
  state.details.set(runId, detail);
  await Promise.all(detail.metrics.map(async (metric) => {
    const result = await api(`/api/runs/${encodeURIComponent(runId)}/points?name=${encodeURIComponent(metric)}` +
                             `&max_points=${MAX_POINTS}`);
    const fetched = { steps: result.points.map((point) => point[0]), values: result.points.map((point) => point[1]) };
    // points that arrived live while this request was on its way are newer than its last step: keep them
    const live = state.series.get(seriesKey(runId, metric));
    const lastFetched = fetched.steps.length ? fetched.steps[fetched.steps.length - 1] : -1;
    if (live) {
      live.steps.forEach((step, index) => {
        if (step > lastFetched) { fetched.steps.push(step); fetched.values.push(live.values[index]); }
      });
    }
    state.series.set(seriesKey(runId, metric), fetched);
  }));
}

async function toggleRun(runId, on) {
  state.userPicked = true;
  if (on) { state.selected.add(runId); await loadRun(runId); } else state.selected.delete(runId);
  renderDetails();
}

// ---- charts -------------------------------------------------------------------------------------------------
function selectedMetrics() {
  const names = new Set();
  for (const runId of state.selected) for (const metric of state.details.get(runId)?.metrics || []) names.add(metric);
  // the step's own metrics first (loss, accuracy), then per-epoch values, then the machine's
  const rank = (name) => (name.startsWith("system/") ? 2 : name.includes("/") ? 1 : 0);
  return [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function chartData(metric, zoom) {
  const runIds = [...state.selected].filter((runId) => (zoom ? zoom.data : state.series).has(seriesKey(runId, metric)));
  const tables = runIds.map((runId) => {
    const series = (zoom ? zoom.data : state.series).get(seriesKey(runId, metric));
    return [series.steps, series.values];
  });
  const drawn = tables.reduce((count, table) => count + table[1].filter((value) => value !== null).length, 0);
  return { runIds, data: tables.length ? uPlot.join(tables) : [[]], drawn };
}

function makeChart(metric) {
  const title = el("span", { class: "chart-title" }, metric);
  const caption = el("span", { class: "chart-caption" });
  const reset = el("button", { type: "button", onclick: () => { chart.zoom = null; drawChart(metric, true); } },
                   "full view");
  const plotBox = el("div", { class: "plot" });
  const box = el("div", { class: "chart", dataset: { metric } },
                 el("div", { class: "chart-head" }, title, caption, reset), plotBox);
  const chart = { box, plotBox, caption, plot: null, runIds: "", zoom: null, settingData: false };
  plotBox.addEventListener("dblclick", () => { chart.zoom = null; drawChart(metric, true); });
  state.charts.set(metric, chart);
  return chart;
}

function drawChart(metric, rebuild = false) {
  const chart = state.charts.get(metric);
  const { runIds, data, drawn } = chartData(metric, chart.zoom);
  chart.box.dataset.points = String(drawn);
  chart.box.dataset.runs = String(runIds.length);
  chart.caption.textContent = `${runIds.length} run${runIds.length === 1 ? "" : "s"}, ${drawn} points` +
                              (chart.zoom ? ` (steps ${chart.zoom.start}–${chart.zoom.end})` : "");
  const signature = runIds.join(",");
  if (chart.plot && !rebuild && signature === chart.runIds) {
    chart.settingData = true;
    chart.plot.setData(data, !chart.zoom);
    chart.settingData = false;
    return;
  }
  if (chart.plot) chart.plot.destroy();
  chart.runIds = signature;
  const width = Math.max(320, chart.box.clientWidth - 16);
  const options = {
    width, height: 220,
    scales: { x: { time: false } },
    series: [{ label: "step" }, ...runIds.map((runId) => ({
      label: state.runs.get(runId)?.name ?? runId, stroke: colorOf(runId), width: 1.5, spanGaps: true,
    }))],
    axes: [{}, { size: 60 }],
    cursor: { drag: { x: true, y: false } },
    hooks: { setSelect: [(plot) => zoomTo(metric, plot)] },
  };
  chart.plot = new uPlot(options, data, chart.plotBox);
  if (chart.zoom) chart.plot.setScale("x", { min: chart.zoom.start, max: chart.zoom.end });
}

async function zoomTo(metric, plot) {
  if (plot.select.width < 2) return;
  const start = Math.floor(plot.posToVal(plot.select.left, "x"));
  const end = Math.ceil(plot.posToVal(plot.select.left + plot.select.width, "x"));
  plot.setSelect({ left: 0, width: 0, top: 0, height: 0 }, false);
  const chart = state.charts.get(metric);
  const data = new Map();
  await Promise.all([...state.selected].map(async (runId) => {
    const result = await api(`/api/runs/${encodeURIComponent(runId)}/points?name=${encodeURIComponent(metric)}` +
                             `&start=${start}&end=${end}&max_points=${MAX_POINTS}`);
    data.set(seriesKey(runId, metric), {
      steps: result.points.map((point) => point[0]), values: result.points.map((point) => point[1]) });
  }));
  chart.zoom = { start, end, data };
  drawChart(metric, true);
}

function renderDetails() {
  const container = document.getElementById("charts");
  const metrics = selectedMetrics();
  for (const metric of metrics) if (!state.charts.has(metric)) makeChart(metric);
  for (const [metric, chart] of state.charts) {
    if (!metrics.includes(metric)) { chart.plot?.destroy(); state.charts.delete(metric); }
  }
  container.replaceChildren(...metrics.map((metric) => state.charts.get(metric).box));
  for (const metric of metrics) drawChart(metric);
  renderParams();
  renderMessages();
}

function renderParams() {
  const runIds = [...state.selected].filter((runId) => state.details.has(runId));
  const keys = new Set();
  for (const runId of runIds) for (const key of Object.keys(state.details.get(runId).params)) keys.add(key);
  document.getElementById("params-head").replaceChildren(el("th", {}, "parameter"),
    ...runIds.map((runId) => el("th", {}, state.runs.get(runId)?.name ?? runId)));
  document.getElementById("params-body").replaceChildren(...[...keys].sort().map((key) => el("tr", {},
    el("td", {}, key),
    ...runIds.map((runId) => {
      const value = state.details.get(runId).params[key];
      return el("td", {}, value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value));
    }))));
}

function renderMessages() {
  const boxes = [];
  for (const runId of state.selected) {
    const run = state.runs.get(runId);
    if (run?.message) boxes.push(el("div", {}, el("strong", {}, `${run.name} — ${run.status}`),
                                    el("pre", { class: "message" }, run.message)));
  }
  document.getElementById("messages").replaceChildren(...boxes);
}

function scheduleRedraw() {
  if (state.redrawPending) return;
  state.redrawPending = true;
  setTimeout(() => {
    state.redrawPending = false;
    const before = state.charts.size;
    const metrics = selectedMetrics();
    if (metrics.length !== before || metrics.some((metric) => !state.charts.has(metric))) renderDetails();
    else for (const metric of metrics) drawChart(metric);
  }, 250);
}

// ---- live updates -------------------------------------------------------------------------------------------
function onPoints(event) {
  const { run_id: runId, points } = JSON.parse(event.data);
  const run = state.runs.get(runId);
  if (!run || !state.selected.has(runId)) return;
  const detail = state.details.get(runId);
  for (const [metric, step, value] of points) {
    const key = seriesKey(runId, metric);
    if (!state.series.has(key)) {
      state.series.set(key, { steps: [], values: [] });
      if (detail && !detail.metrics.includes(metric)) detail.metrics.push(metric);
    }
    const series = state.series.get(key);
    const last = series.steps.length ? series.steps[series.steps.length - 1] : -1;
    if (step > last) { series.steps.push(step); series.values.push(value); }
    else {
      const index = series.steps.indexOf(step);
      if (index >= 0) series.values[index] = value;
    }
    if (!metric.startsWith("system/") && (run.last_step ?? -1) < step) run.last_step = step;
  }
  scheduleRedraw();
  const row = document.querySelector(`tr[data-run-id="${CSS.escape(runId)}"] td.step`);
  if (row) row.textContent = run.last_step ?? "";
}

async function onStatus(event) {
  const change = JSON.parse(event.data);
  const run = state.runs.get(change.run_id);
  if (!run) { await loadRuns(); return; }  // a new run: reload the list (and select it while auto-selecting)
  run.status = change.status;
  run.message = change.message;
  renderRuns();
  renderMessages();
}

function connect() {
  const indicator = document.getElementById("connection");
  const source = new EventSource("/api/events");
  source.addEventListener("open", () => {
    indicator.dataset.state = "live";
    indicator.textContent = "live";
    loadRuns().catch(showError);  // whatever happened while disconnected
  });
  source.addEventListener("error", () => { indicator.dataset.state = "reconnecting"; indicator.textContent = "reconnecting…"; });
  source.addEventListener("points", onPoints);
  source.addEventListener("status", (event) => onStatus(event).catch(showError));
}

function start() {
  document.getElementById("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = document.getElementById("token-input").value.trim();
    if (token) window.location.assign(`/?token=${encodeURIComponent(token)}`);
  });
  loadRuns().then(connect).catch(showError);
}

document.addEventListener("DOMContentLoaded", start);
