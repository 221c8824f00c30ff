// tcpspec explore: shows what the model computes. Every state, move, rule case and property
// status comes from the server (tcpspec/explorer/core.py) or, in the site's version, from the
// state graph it precomputed (graph.js): nothing about TCP is decided here.
"use strict";

const GRAPH = window.TCPSPEC_GRAPH || null; // set by graph.js in the static version
const $ = (sel, root = document) => root.querySelector(sel);
let MSG = {}; // English -> the current language (from the catalogue)
let INFO = null;
const cur = { scenario: "", mutant: "", path: [], lang: "en", bounds: "" };
let redo = [];
let view = null;

function t(text) {
  return MSG[text] || text;
}

function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const kid of kids.flat()) {
    if (kid === null || kid === undefined) continue;
    e.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return e;
}

// -- the two back ends: the server's JSON API, or the precomputed graph --------------------------

const server = {
  async get(what, params) {
    const q = new URLSearchParams({ scenario: cur.scenario, path: cur.path.join(",") });
    if (cur.mutant) q.set("mutant", cur.mutant);
    else q.set("mutant", "");
    for (const [k, v] of Object.entries(params || {})) q.set(k, v);
    const r = await fetch(`api/${what}?${q}`);
    const doc = await r.json();
    if (!r.ok) throw new Error(doc.error || r.statusText);
    return doc;
  },
  info: () => fetch("api/info").then((r) => r.json()),
  messages: (lang) => server.get("messages", { lang }),
  state: () => server.get("state"),
  jump: (prop, from) => server.get("jump", { property: prop, from }),
  random: (seed) => server.get("random", { seed }),
};

const staticGraph = {
  info: async () => GRAPH.info,
  messages: async (lang) => GRAPH.messages[lang] || {},
  walk(path) {
    let n = 0;
    const steps = [];
    path.forEach((key, k) => {
      const edge = GRAPH.states[n].moves.map((e) => GRAPH.edges[e]).find((e) => e.key === key);
      if (!edge) {
        const offered = GRAPH.states[n].moves.map((e) => GRAPH.edges[e].key).join(", ");
        throw new Error(`move ${k + 1}: no move '${key}' here; possible: ${offered || "none"}`);
      }
      steps.push(edge);
      n = edge.target;
    });
    return { n, steps };
  },
  async state() {
    const { n, steps } = staticGraph.walk(cur.path);
    const s = GRAPH.states[n];
    const state = JSON.parse(JSON.stringify(GRAPH.views[s.view]));
    state.endpoints.forEach((e, i) => {
      e.app.calls = steps.filter((x) => GRAPH.moves[x.move].kind === "user" && i === ["client", "server"].indexOf(GRAPH.moves[x.move].actor)).map((x) => GRAPH.moves[x.move].cases[0].name);
    });
    state.ticks = steps.filter((x) => GRAPH.moves[x.move].kind === "tick").length;
    return {
      scenario: GRAPH.info.scenario,
      mutant: GRAPH.info.mutant,
      title: GRAPH.info.title,
      initial: { status: GRAPH.states[0].status },
      steps: steps.map((e) => ({ key: e.key, move: GRAPH.moves[e.move], step_status: e.status, status: GRAPH.states[e.target].status })),
      state,
      moves: s.moves.map((e) => GRAPH.moves[GRAPH.edges[e].move]).map((m, k) => Object.assign({}, m, { key: GRAPH.edges[s.moves[k]].key })),
      chart: null,
    };
  },
  async jump(prop, from) {
    if (from === "start") {
      const found = GRAPH.jumps[prop];
      return found.path ? { path: found.path, note: "" } : { path: cur.path, note: found.note };
    }
    const next = GRAPH.next[prop];
    if (!next) return { path: cur.path, note: "only from the start in this version" };
    let { n } = staticGraph.walk(cur.path);
    const path = cur.path.slice();
    const witness = GRAPH.kinds[prop] === "reachable";
    if (next[n] === -2) return { path, note: witness ? "reached here" : "violated" };
    if (next[n] < 0) return { path, note: witness ? "never reached from here" : "holds from here" };
    while (next[n] >= 0 && path.length <= GRAPH.info.max_path) {
      const edge = GRAPH.edges[next[n]];
      path.push(edge.key);
      n = edge.target;
      if (edge.goal && edge.goal.includes(prop)) break;
      if (next[n] === -2) break; // the goal state itself
    }
    return { path, note: "" };
  },
  async random(seed) {
    // the server's generator (core.Mulberry32): the same seed gives the same run as there
    let a = Number(seed) >>> 0;
    const rnd = () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let x = Math.imul(a ^ (a >>> 15), 1 | a);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    };
    let { n } = staticGraph.walk(cur.path);
    const path = cur.path.slice();
    for (let k = 0; k < GRAPH.info.random_steps && GRAPH.states[n].moves.length && path.length < GRAPH.info.max_path; k++) {
      const moves = GRAPH.states[n].moves;
      const edge = GRAPH.edges[moves[Math.floor(rnd() * moves.length)]];
      path.push(edge.key);
      n = edge.target;
    }
    return { path, seed, ended: !GRAPH.states[n].moves.length };
  },
};

const api = GRAPH ? staticGraph : server;

// -- the URL: scenario, mutant, the moves taken (by key), the language -------------------------------

function readHash() {
  const h = new URLSearchParams(location.hash.slice(1));
  cur.scenario = h.get("scenario") || INFO.scenario;
  cur.mutant = h.has("mutant") ? h.get("mutant") : INFO.mutant || "";
  cur.path = (h.get("path") || "").split(",").filter((k) => k);
  const lang = h.get("lang");
  if (lang === "en" || lang === "ko") cur.lang = lang;
  cur.bounds = h.get("bounds") || "";
}

function hashFor(path) {
  const parts = [`scenario=${encodeURIComponent(cur.scenario)}`];
  if (cur.mutant) parts.push(`mutant=${encodeURIComponent(cur.mutant)}`);
  parts.push(`path=${path.map(encodeURIComponent).join(",")}`);
  if (INFO.signature) parts.push(`bounds=${INFO.signature}`);
  parts.push(`lang=${cur.lang}`);
  return "#" + parts.join("&");
}

function go(path, keepRedo = false) {
  if (!keepRedo) redo = [];
  const h = hashFor(path);
  if (location.hash === h) load();
  else location.hash = h;
}

// -- rendering ---------------------------------------------------------------------------------------

function what(m) {
  return m.what[cur.lang] || m.what.en; // the command line's words for the move (checks.trace.what)
}

function caseList(m) {
  return el("ul", { class: "cases" }, m.cases.map((c) =>
    el("li", {}, el("code", { text: c.name }), " ", el("span", { class: "rfc", text: c.rfc }), el("div", { class: "case-text", text: t(c.text) }))));
}

function renderState(s) {
  const box = $("#state");
  box.replaceChildren();
  const eps = s.endpoints.map((e) => {
    const tcb = el("table", { class: "tcb" },
      el("tr", {}, Object.keys(e.tcb).map((k) => el("th", { text: k }))),
      el("tr", {}, Object.values(e.tcb).map((v) => el("td", { text: v }))));
    const timers = [];
    if (e.timers.rto !== null) timers.push(`${t("retransmission timer")}: ${e.timers.rto} (${t("retries")} ${e.timers.retries})`);
    if (e.timers.tw !== null) timers.push(`${t("TIME-WAIT timer")}: ${e.timers.tw}`);
    const plan = e.app.plan;
    const calls = e.app.calls.length ? e.app.calls.join(", ") : t("nothing yet");
    return el("div", { class: `endpoint ${e.name}` },
      el("h3", {}, t(e.name), " ", el("span", { class: "st", id: `state-${e.name}`, "data-state": e.state, text: e.summary })),
      tcb,
      el("div", { class: "timers", text: timers.length ? timers.join(" · ") : t("no timer running") }),
      el("div", { class: "app" },
        el("b", { text: t("application") + ": " }),
        `${t("opens")} ${t(plan.opens)}, ${t("sends")} ${plan.data}, ${plan.closes ? t("closes") : t("does not close")}${plan.abort ? ", " + t("may abort") : ""}`,
        el("br"), `${t("calls so far")}: ${calls}`, el("br"),
        `${t("data sent")} ${e.app.sent}, ${t("data received")} ${e.app.received}`));
  });
  const chans = s.channels.map((c) => el("div", { class: "channel", "data-from": c.from },
    el("b", { text: `${t(c.from)} → ${t(c.to)}: ` }),
    c.segments.length ? c.segments.map((g) => el("span", { class: "seg" + (g.old ? " old" : "") }, g.text, el("small", { text: ` ${t("age")} ${g.age}` }))) : el("i", { text: t("nothing in flight") })));
  box.append(el("div", { class: "endpoints" }, eps),
    el("div", { class: "network" }, el("h3", { text: t("network") }), chans,
      el("div", {}, `${t("duplications left")}: ${s.dups} · ${t("ticks so far")}: ${s.ticks}`)));
}

function renderMoves(v) {
  const box = $("#moves");
  box.replaceChildren();
  if (!v.moves.length) {
    const end = v.steps.length ? v.steps[v.steps.length - 1].status.no_deadlock : v.initial.status.no_deadlock;
    box.append(el("p", { class: end === "end" ? "end ok" : "end bad", id: "run-end", text: end === "end" ? t("No move is possible: the run is over, and this is a proper end (no deadlock).") : t("No move is possible, and this is not a proper end: a deadlock.") }));
    return;
  }
  for (const m of v.moves) {
    box.append(el("button", { class: `move ${m.kind} actor-${m.actor}`, "data-key": m.key, title: m.key, onclick: () => go([...cur.path, m.key]) },
      el("span", { class: "who", text: t(m.actor) }),
      el("span", { class: "what", text: what(m) }),
      m.sent ? el("span", { class: "sends", text: `${t("sends")} ${m.sent}${m.overflow ? " (" + t("channel full: lost") + ")" : ""}` }) : null,
      m.cases.length ? caseList(m) : null,
      el("span", { class: "after", text: `→ ${t("client")} ${m.after.client} · ${t("server")} ${m.after.server}` })));
  }
}

const STATUS_TEXT = {
  holds: "holds",
  violated: "violated",
  reached: "reached here",
  "not-here": "not here",
  moves: "moves possible",
  end: "proper end",
  runs: "decided on whole runs",
  "no-move": "no move yet",
};

// Each cell carries its column's heading, so that a phone can show a row as a card.
function labelled(table) {
  const heads = [...table.rows[0].cells].map((c) => c.textContent);
  for (const row of [...table.rows].slice(1)) [...row.cells].forEach((c, k) => c.setAttribute("data-label", heads[k]));
  return table;
}

function renderProperties(v) {
  const last = v.steps.length ? v.steps[v.steps.length - 1] : null;
  const status = Object.assign({}, last ? last.status : v.initial.status, last ? last.step_status : {});
  const box = $("#properties");
  box.replaceChildren();
  const alerts = [];
  const rows = INFO.properties.map((p) => {
    let st = status[p.id] || (p.reads === "step" ? "no-move" : "runs");
    if (p.kind === "action" && !last) st = "no-move";
    if (st === "violated") alerts.push(p.id);
    const witness = p.kind === "reachable";
    const label = witness ? t("witness") : t("counterexample");
    const live = p.kind === "liveness" && GRAPH;
    return el("tr", { "data-prop": p.id, class: witness ? "witness" : "" },
      el("td", {}, el("code", { text: p.id }), el("div", { class: "kind", text: t(p.kind) + (p.of ? ` (${t("companion of")} ${p.of})` : "") })),
      el("td", { class: "statement" }, t(p.statement), el("div", { class: "rfc", text: p.rfc })),
      el("td", {}, el("span", { class: `status ${st}`, "data-status": st, text: t(STATUS_TEXT[st] || st) })),
      el("td", { class: "jumps" },
        el("button", { class: "jump", "data-from": "start", onclick: () => jump(p.id, "start") }, `${label} ${t("from the start")}`),
        el("button", { class: "jump", "data-from": "here", disabled: live, onclick: () => jump(p.id, "here") }, `${label} ${t("from here")}`)));
  });
  const alert = $("#alert");
  alert.replaceChildren();
  alert.hidden = !alerts.length;
  if (alerts.length) alert.append(el("b", { text: t("Violated here:") + " " }), alerts.join(", "));
  box.append(labelled(el("table", { class: "props" },
    el("tr", {}, ["property", "statement", "status", "jump to"].map((h) => el("th", { text: t(h) }))), rows)));
}

function renderPath(v) {
  const chart = $("#chart");
  chart.replaceChildren();
  if (v.chart) {
    chart.innerHTML = v.chart[cur.lang] || v.chart.en; // the project's own renderer (diagrams/generator/msc.py); its text is escaped
  } else if (GRAPH) {
    chart.append(el("p", { class: "hint", text: t("The sequence chart needs the server (tcpspec explore); here the table shows the run.") }));
  } else {
    chart.append(el("p", { class: "hint", text: t("Take a move: the run so far is drawn here.") }));
  }
  const rows = v.steps.map((s, k) => el("tr", { "data-step": k + 1 },
    el("td", { text: k + 1 }), el("td", { text: t(s.move.actor) }), el("td", { text: what(s.move) }),
    el("td", {}, s.move.cases.map((c) => el("div", {}, el("code", { text: c.name }), " ", el("span", { class: "rfc", text: c.rfc })))),
    el("td", { text: s.move.sent ? s.move.sent + (s.move.overflow ? " (" + t("channel full: lost") + ")" : "") : "" }),
    el("td", { text: s.move.after.client }), el("td", { text: s.move.after.server })));
  $("#table").replaceChildren(labelled(el("table", { class: "steps" },
    el("tr", {}, ["step", "who", "what happened", "rule case", "sends", "client", "server"].map((h) => el("th", { text: t(h) }))), rows)));
}

function staticTexts() {
  document.documentElement.lang = cur.lang;
  for (const e of document.querySelectorAll("[data-t]")) e.textContent = t(e.dataset.t);
  $("#lang-en").classList.toggle("on", cur.lang === "en");
  $("#lang-ko").classList.toggle("on", cur.lang === "ko");
  $("#scenario").value = cur.scenario;
  $("#mutant").value = cur.mutant;
  $("#back").disabled = !cur.path.length;
  $("#forward").disabled = !redo.length;
}

async function load() {
  readHash();
  try {
    MSG = await api.messages(cur.lang);
    if (cur.bounds !== INFO.signature) {
      // the moves of a path are those of the bounds it was made with
      const was = cur.bounds || t("the defaults");
      throw new Error(`${t("This address was made for other bounds:")} ${was}; ${t("this explorer runs with:")} ${INFO.signature || t("the defaults")}`);
    }
    view = await api.state();
    $("#error").hidden = true;
  } catch (e) {
    showError(e);
    return;
  }
  staticTexts();
  $("#title").textContent = view.title[cur.lang] || view.title.en;
  $("#path-length").textContent = `${t("moves taken")}: ${cur.path.length}`;
  renderState(view.state);
  renderMoves(view);
  renderProperties(view);
  renderPath(view);
  document.body.dataset.path = cur.path.join(",");
  document.body.dataset.lang = cur.lang;
  document.body.dataset.ready = String(Date.now());
}

function showError(e) {
  const box = $("#error");
  box.hidden = false;
  box.textContent = String(e.message || e);
  document.body.dataset.ready = String(Date.now());
}

async function jump(prop, from) {
  try {
    const r = await api.jump(prop, from);
    if (r.note) {
      $("#note").textContent = `${prop}: ${t(r.note)}`;
      $("#note").hidden = false;
      document.body.dataset.ready = String(Date.now());
      return;
    }
    $("#note").hidden = true;
    go(r.path);
  } catch (e) {
    showError(e);
  }
}

async function setup() {
  INFO = await api.info();
  const sel = $("#scenario");
  for (const s of INFO.scenarios) sel.append(el("option", { value: s, text: s }));
  const mut = $("#mutant");
  mut.append(el("option", { value: "", "data-t": "none (correct TCP)", text: "none (correct TCP)" }));
  for (const m of INFO.mutants) mut.append(el("option", { value: m, text: m }));
  if (GRAPH) {
    sel.disabled = true;
    mut.disabled = true;
    $("#chart").after($("#table")); // no chart without the server: the table takes its place
  }
  sel.addEventListener("change", () => { cur.scenario = sel.value; go([]); });
  mut.addEventListener("change", () => { cur.mutant = mut.value; go([]); });
  $("#back").addEventListener("click", () => { redo.unshift(cur.path[cur.path.length - 1]); go(cur.path.slice(0, -1), true); });
  $("#forward").addEventListener("click", () => { const k = redo.shift(); go([...cur.path, k], true); });
  $("#restart").addEventListener("click", () => go([]));
  $("#random").addEventListener("click", async () => {
    try {
      const r = await api.random($("#seed").value || "1");
      go(r.path);
    } catch (e) {
      showError(e);
    }
  });
  $("#lang-en").addEventListener("click", () => { cur.lang = "en"; go(cur.path, true); });
  $("#lang-ko").addEventListener("click", () => { cur.lang = "ko"; go(cur.path, true); });
  $("#bounds").textContent = Object.entries(INFO.bounds).map(([k, v]) => `${k}=${v}`).join(" ");
  window.addEventListener("hashchange", load);
  readHash();
  sel.value = cur.scenario;
  mut.value = cur.mutant;
  await load();
}

setup().catch(showError);
