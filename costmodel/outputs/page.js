// costmodel explore: the page's script. R (exact rationals), F (the compiled closed forms) and MODEL
// (page.py) come first. Everything is computed here, from the closed forms: no server, no network.
"use strict";

const TOTALS = [
  ["params", "params (trainable)", "total-params"],
  ["params_with_statistics", "params + batch-norm statistics", "total-params-with-statistics"],
  ["macs", "MACs", "total-macs"],
  ["flops", "FLOPs (2 x MACs)", "total-flops"],
  ["floats_out", "floats out (all layers)", "total-floats-out"],
  ["peak_live", "peak live memory (floats held at once)", "total-peak-memory"],
  ["peak_floats_out", "largest layer output (floats)", "total-peak-floats-out"],
];

class Refused extends Error {}

// --- evaluation: the Python side's numbers and refusals ------------------------------------------

function where(line, column) {
  let text = MODEL.file;
  if (line !== null && line !== undefined) {
    text += `:${line}`;
    if (column !== null && column !== undefined) text += `:${column}`;
  }
  return text;
}

function format(message, values) {
  return message.replace(/\{(\d+)\}/g, (_, i) => R.text(values[Number(i)]));
}

const TESTS = {  // guards.py's tests
  positive: (x) => R.cmp(x[0], R.int(0n)) > 0,
  integer: (x) => R.isInt(x[0]),
  atleast: (x) => R.cmp(x[0], x[1]) >= 0,
  divides: (x) => R.isInt(x[0]) && R.isInt(x[1]) && x[0][0] !== 0n && x[1][0] % x[0][0] === 0n,
  nonzero: (x) => x[0][0] !== 0n,
  broadcast: (x) => { const h = x.length / 2; return x.slice(0, h).every((a, i) => R.cmp(a, x[h + i]) === 0 || R.cmp(a, R.int(1n)) === 0 || R.cmp(x[h + i], R.int(1n)) === 0); },
  below: (x) => R.cmp(x[0], x[1]) < 0,
  fits: (x) => R.cmp(x[0], x[2]) <= 0 && R.cmp(x[1], x[3]) <= 0,
  equal: (x) => { const h = x.length / 2; return x.slice(0, h).every((a, i) => R.cmp(a, x[h + i]) === 0); },
  bounded: (x) => x.every((a) => R.cmp(a, R.int(2n ** 40n)) <= 0),
};

function failed(guards, v) {  // the message of the first guard that does not hold, or null
  for (const guard of guards) {
    const values = guard.v.map((i) => F[i](v));
    if (!TESTS[guard.t](values)) return format(guard.m, values);
  }
  return null;
}

function checkValues(v) {
  for (const s of MODEL.symbols) {
    const x = v[s.name];
    if (R.cmp(x, R.int(0n)) <= 0) throw new Refused(`${MODEL.file}: ${s.name} must be positive, got ${R.text(x)}`);
    if (s.integer && !R.isInt(x)) throw new Refused(`${MODEL.file}: ${s.name} is an integer symbol, got ${R.text(x)}`);
  }
  const bad = failed(MODEL.input.guards, v);
  if (bad !== null) throw new Refused(`${where(MODEL.input.line, MODEL.input.column)}: ${bad}`);
}

function countOf(node, v, memo) {  // a repeat's count: a whole number from 1 to MAX_REPEAT
  if (!memo.has(node)) {
    const bad = failed(node.countGuards, v);
    if (bad !== null) throw new Refused(`${where(node.line, node.column)}: repeat '${node.name}': ${bad}`);
    const n = F[node.count](v);
    if (!R.isInt(n) || n[0] < 1n || n[0] > BigInt(MODEL.maxRepeat)) {
      throw new Refused(`${where(node.line, node.column)}: repeat '${node.name}': the count must be a whole number ` +
        `from 1 to ${MODEL.maxRepeat}, got ${R.text(n)} (round it in the spec, e.g. ceil(...))`);
    }
    memo.set(node, Number(n[0]));
  }
  return memo.get(node);
}

function leafCount(node, memo, sizes) {  // layers of a node once unrolled (its counts already checked)
  if (node.k === "layer") return 1;
  if (!sizes.has(node)) {
    let size;
    if (node.k !== "repeat") size = node.children.reduce((a, c) => a + leafCount(c, memo, sizes), 0);
    else if (node.iterations) size = node.iterations.reduce((a, c) => a + leafCount(c, memo, sizes), 0);
    else size = leafCount(node.first, memo, sizes) + (memo.get(node) - 1) * (memo.get(node) > 1 ? leafCount(node.rest, memo, sizes) : 0);
    sizes.set(node, size);
  }
  return sizes.get(node);
}

function leafAt(node, j, memo, sizes) {  // the j-th layer (from 0) of a node once unrolled
  if (node.k === "layer") return node;
  const parts = node.k !== "repeat" ? node.children : node.iterations || [node.first, node.rest];
  for (const [i, part] of parts.entries()) {
    const size = leafCount(part, memo, sizes);
    if (node.k === "repeat" && !node.iterations && i === 1) return leafAt(part, j % size, memo, sizes);  // copies 2 ... n
    if (j < size) return leafAt(part, j, memo, sizes);
    j -= size;
  }
  throw new Error("leafAt: past the last layer");
}

function tooMany(node) {
  return new Refused(`${where(node.line, node.column)}: more than ${MODEL.maxLayers} layers after expanding blocks and repeats`);
}

// Counts and the layer limit in the order spec/model.py's flatten meets them: a count is checked where
// its repeat first comes, the layer limit at the layer past it (copies 3 ... n of a repeat are counted,
// not walked: their counts are copy 2's).
function planCounts(nodes, v, memo, sizes, state) {
  for (const node of nodes) {
    if (node.k === "layer") {
      state.index += 1;
      if (state.index > MODEL.maxLayers) throw tooMany(node);
    } else if (node.k !== "repeat") {
      planCounts(node.children, v, memo, sizes, state);
    } else if (node.iterations) {
      countOf(node, v, memo);
      planCounts(node.iterations, v, memo, sizes, state);
    } else {
      const n = countOf(node, v, memo);
      planCounts(n >= 2 ? [node.first, node.rest] : [node.first], v, memo, sizes, state);
      if (n >= 3) {
        const size = leafCount(node.rest, memo, sizes);
        if (state.index + (n - 2) * size > MODEL.maxLayers) {
          throw tooMany(leafAt(node.rest, (MODEL.maxLayers - state.index) % size, memo, sizes));
        }
        state.index += (n - 2) * size;
      }
    }
  }
}

// --- names, as spec/model.py's flatten gives them --------------------------------------------------
// Iteration k >= 3 of a closed repeat is Python's rename(rest, copy 2, copy k, chain): a name `old` or
// `old/...` becomes `now...`, and an input that is iteration 1's output (the chain input) becomes
// iteration k-1's. The renames of nested iterations apply outermost first, as Python applies them.

function renameOne(name, op) {
  if (name === op.old) return op.now;
  if (name.startsWith(op.old + "/")) return op.now + name.slice(op.old.length);
  return name;
}

function nameUnder(name, ops) {
  for (const op of ops) name = renameOne(name, op);
  return name;
}

function inputUnder(name, ops) {
  for (const op of ops) name = name === op.key ? op.value : renameOne(name, op);
  return name;
}

function namingUnder(naming, ops) {  // model.rename's rule for a nested repeat's naming
  let n = naming;
  for (const op of ops) {
    n = n[0] === "dotted" ? ["dotted", renameOne(n[1], op)]
      : ["auto", n[1] ? renameOne(n[1].replace(/\/+$/, ""), op) + "/" : "", n[2], n[3]];
  }
  return n;
}

function copyName(naming, k) {
  return naming[0] === "dotted" ? `${naming[1]}.${k}` : `${naming[1]}${naming[2]}${naming[3] + k - 1}`;
}

const CATEGORIES = {  // ops/conv.py's categories, for a layer whose kernel or groups is a symbol
  conv: (a) => `conv ${a.kernel[0]}x${a.kernel[1]}${a.groups[0] !== 1n ? " grouped" : ""}`,
  pointwise: (a) => (a.groups[0] === 1n ? "conv 1x1" : "conv 1x1 grouped"),
  dwconv: (a) => `conv dw ${a.kernel[0]}x${a.kernel[1]}`,
};

function layerNumbers(cost, v) {
  const value = (i) => F[i](v);
  const numbers = {
    shape: cost.shape.map((i) => value(i)[0]), params: value(cost.params)[0], pnt: value(cost.pnt)[0],
    macs: value(cost.macs)[0], floats: value(cost.floats)[0], category: cost.category,
  };
  if (cost.categoryArgs) {
    const args = {};
    for (const [name, fs] of Object.entries(cost.categoryArgs)) args[name] = fs.map((i) => value(i)[0]);
    numbers.category = CATEGORIES[cost.type](args);
  }
  return numbers;
}

function evaluate(v, withTree = true) {
  checkValues(v);
  const counts = new Map();
  planCounts(MODEL.tree, v, counts, new Map(), { index: 0 });
  const memo = new Map();
  const leaves = [];
  const alias = new Map();  // a repeat's output as written -> its last iteration's (flatten's alias)
  function leaf(node, ops) {
    if (!memo.has(node.cost)) {
      const cost = MODEL.costs[node.cost];
      memo.set(node.cost, { bad: failed(cost.guards, v), numbers: null });
    }
    const entry = memo.get(node.cost);
    const name = nameUnder(node.name, ops);
    const index = leaves.length + 1;
    if (entry.bad !== null) {
      throw new Refused(`${where(node.line, node.column)}: layer ${index} '${name}' (${node.type}): ${entry.bad}`);
    }
    if (entry.numbers === null) entry.numbers = layerNumbers(MODEL.costs[node.cost], v);
    const n = entry.numbers;
    const inputs = node.inputs.map((i) => { const x = inputUnder(i, ops); return alias.has(x) ? alias.get(x) : x; });
    const row = { name, kind: "layer", type: node.type, count: 1, params: n.params, params_non_trainable: n.pnt,
                  macs: n.macs, floats_out: n.floats, output_shape: n.shape, category: n.category, children: [], inputs };
    leaves.push(row);
    return row;
  }
  function group(kind, name, type, count, children) {
    const sum = (m) => children.reduce((a, c) => a + c[m], 0n);
    return { name, kind, type, count, params: sum("params"), params_non_trainable: sum("params_non_trainable"),
             macs: sum("macs"), floats_out: sum("floats_out"),
             output_shape: children[children.length - 1].output_shape, children };
  }
  function walk(node, ops) {
    if (node.k === "layer") return leaf(node, ops);
    if (node.k !== "repeat") {
      return group(node.k, nameUnder(node.name, ops), node.type, 1, node.children.map((c) => walk(c, ops)));
    }
    const n = counts.get(node);
    const naming = namingUnder(node.naming, ops);
    const copy2 = copyName(naming, 2);
    const firstOutput = nameUnder(node.firstOutput, ops), restOutput = nameUnder(node.restOutput, ops);
    const output = (k) => (k === 1 ? firstOutput : renameOne(restOutput, { old: copy2, now: copyName(naming, k) }));
    const iterations = [];
    if (node.iterations) {
      for (const it of node.iterations) iterations.push(walk(it, ops));
    } else {
      iterations.push(walk(node.first, ops));
      for (let k = 2; k <= n; k++) {
        const more = k === 2 ? ops : [...ops, { old: copy2, now: copyName(naming, k), key: firstOutput, value: output(k - 1) }];
        iterations.push(walk(node.rest, more));
      }
    }
    const written = nameUnder(node.output, ops), last = output(n);
    if (last !== written) alias.set(written, alias.has(last) ? alias.get(last) : last);
    return group("repeat", nameUnder(node.name, ops), node.type, n, iterations);
  }
  const top = MODEL.tree.map((node) => walk(node, []));
  const sum = (m) => leaves.reduce((a, r) => a + r[m], 0n);
  const totals = {
    params: sum("params"), params_non_trainable: sum("params_non_trainable"), macs: sum("macs"),
    floats_out: sum("floats_out"), peak_floats_out: leaves.reduce((a, r) => (r.floats_out > a ? r.floats_out : a), 0n),
    peak_live: peakLive(leaves, MODEL.input.shape.reduce((a, i) => a * F[i](v)[0], 1n)),
  };
  totals.params_with_statistics = totals.params + totals.params_non_trainable;
  totals.flops = 2n * totals.macs;
  return withTree ? { totals, leaves, tree: top } : { totals };
}

// metrics.Metrics._live: layers run in order; a tensor is held from the step that writes it (the network
// input: from the start) through its last reader, one nobody reads during its own step only; the peak
// is the largest sum held at one step. Exact, in O(layers): each tensor adds its size over its steps.
function peakLive(leaves, inputFloats) {
  const position = new Map([["input", 0]]);
  leaves.forEach((r, i) => position.set(r.name, i + 1));
  const last = new Map(position);
  leaves.forEach((r, i) => {
    for (const name of r.inputs) {
      if (!position.has(name)) throw new Error(`peak live memory: layer '${r.name}' reads '${name}', which is no tensor`);
      if (last.get(name) < i + 1) last.set(name, i + 1);
    }
  });
  const change = new Array(leaves.length + 2).fill(0n);  // held floats: + at the first step, - after the last
  const hold = (from, through, size) => { if (through >= from) { change[from] += size; change[through + 1] -= size; } };
  hold(1, last.get("input"), inputFloats);
  leaves.forEach((r, i) => hold(i + 1, Math.max(i + 1, last.get(r.name)), r.floats_out));
  let held = 0n, peak = 0n;
  for (let step = 1; step <= leaves.length; step++) {
    held += change[step];
    if (held > peak) peak = held;
  }
  return peak;
}

function breakdown(leaves, totals) {  // network.Evaluation.breakdown
  const groups = new Map();
  for (const r of leaves) {
    if (!groups.has(r.category)) groups.set(r.category, { category: r.category, layers: 0, macs: 0n, params: 0n });
    const entry = groups.get(r.category);
    entry.layers += 1; entry.macs += r.macs; entry.params += r.params;
  }
  const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  return [...groups.values()].sort((a, b) => cmp(b.macs, a.macs) || cmp(b.params, a.params) || cmp(a.category, b.category))
    .map((e) => ({ ...e, macsShare: share(e.macs, totals.macs), paramsShare: share(e.params, totals.params) }));
}

function share(part, whole) { return whole === 0n ? 0 : Number((part * 1000000n) / whole) / 10000; }

// --- the configuration: fragment, controls --------------------------------------------------------

function defaults() {
  const v = {};
  for (const s of MODEL.symbols) v[s.name] = R.parse(s.default);
  for (const [name, text] of Object.entries(MODEL.start || {})) v[name] = R.parse(text);
  return v;
}

function presetValues(preset) {  // network.values(preset=...): the symbols' defaults, then the preset's values
  const v = {};
  for (const s of MODEL.symbols) v[s.name] = R.parse(s.default);
  for (const [k, x] of Object.entries(preset.values)) v[k] = R.parse(x);
  return v;
}

function fromFragment(fragment) {  // "alpha=0.5&delta=2" -> values (unknown names and bad text refused)
  const v = defaults();
  const declared = MODEL.symbols.map((s) => s.name);
  for (const part of fragment.split("&").filter((p) => p)) {
    const [rawName, rawValue = ""] = part.split("=");
    const name = decodeURIComponent(rawName);
    const text = decodeURIComponent(rawValue);
    if (name === "preset") {
      const preset = MODEL.presets.find((p) => p.name === text);
      if (!preset) throw new Refused(`${MODEL.file}: unknown preset '${text}' (presets: ${MODEL.presets.map((p) => p.name).join(", ") || "none"})`);
      Object.assign(v, presetValues(preset));
      continue;
    }
    if (!declared.includes(name)) {
      throw new Refused(`${MODEL.file}: unknown symbol '${name}' (declared symbols: ${declared.join(", ") || "none"})`);
    }
    const value = R.parse(text);
    if (value === null) throw new Refused(`value of ${name}: expected a number such as 2, 0.5 or 1/3, got '${text}'`);
    v[name] = value;
  }
  return v;
}

function toFragment(v) {
  return MODEL.symbols.map((s) => `${encodeURIComponent(s.name)}=${encodeURIComponent(R.text(v[s.name]))}`).join("&");
}

function sliderValues(s) {  // the values a symbol's slider steps through
  const low = R.parse(s.min), high = R.parse(s.max);
  const out = [];
  if (s.integer) {
    const span = high[0] - low[0];
    const step = span > 400n ? span / 400n : 1n;
    for (let x = low[0]; x <= high[0]; x += step) out.push(R.int(x));
  } else {
    const step = R.parse(s.step);
    for (let x = low; R.cmp(x, high) <= 0; x = R.add(x, step)) out.push(x);
  }
  return out;
}

// --- drawing ----------------------------------------------------------------------------------------

const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, x] of Object.entries(attrs)) e.setAttribute(k, x);
  for (const c of children) e.append(c);
  return e;
};
const grouped = (n) => n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
const SVG = "http://www.w3.org/2000/svg";
const svg = (tag, attrs = {}, text = null) => {
  const e = document.createElementNS(SVG, tag);
  for (const [k, x] of Object.entries(attrs)) e.setAttribute(k, x);
  if (text !== null) e.textContent = text;
  return e;
};

const state = { v: null, moved: MODEL.symbols.length ? MODEL.symbols[0].name : null, open: new Set() };

function controls() {
  const box = el("section", { id: "controls" }, el("h2", {}, "Configuration"));
  if (MODEL.presets.length) {
    const select = el("select", { id: "preset" }, el("option", { value: "" }, "(preset)"));
    for (const p of MODEL.presets) select.append(el("option", { value: p.name, title: p.description }, p.name));
    select.addEventListener("change", () => {
      const p = MODEL.presets.find((x) => x.name === select.value);
      if (!p) return;
      state.v = presetValues(p);
      show();
    });
    box.append(el("label", {}, "preset ", select));
  }
  for (const s of MODEL.symbols) {
    const values = sliderValues(s);
    const range = el("input", { type: "range", min: 0, max: values.length - 1, step: 1, id: `slider-${s.name}` });
    const number = el("input", { type: "text", size: 8, id: `value-${s.name}` });
    range.addEventListener("input", () => { state.v[s.name] = values[Number(range.value)]; state.moved = s.name; show(); });
    number.addEventListener("change", () => {
      const x = R.parse(number.value);
      if (x !== null) { state.v[s.name] = x; state.moved = s.name; show(); }
    });
    box.append(el("div", { class: "symbol" }, el("label", { for: `slider-${s.name}`, title: s.description },
      s.name + (s.integer ? " (integer)" : "")), range, number, el("span", { class: "doc" }, s.description)));
  }
  return box;
}

function syncControls() {
  const select = document.getElementById("preset");
  if (select) {
    const same = MODEL.presets.find((p) => {
      const v = presetValues(p);
      return MODEL.symbols.every((s) => R.cmp(v[s.name], state.v[s.name]) === 0);
    });
    select.value = same ? same.name : "";
  }
  for (const s of MODEL.symbols) {
    const values = sliderValues(s);
    const x = state.v[s.name];
    let best = 0;
    values.forEach((y, i) => { if (R.cmp(y, x) <= 0) best = i; });
    document.getElementById(`slider-${s.name}`).value = best;
    document.getElementById(`value-${s.name}`).value = R.text(x);
  }
}

function totalsBox(result) {
  const list = el("dl", { id: "totals" });
  for (const [key, label, id] of TOTALS) {
    const value = result ? result.totals[key] : null;
    const dd = el("dd", { id }, value === null ? "-" : grouped(value));
    if (value !== null) dd.setAttribute("data-value", value.toString());
    list.append(el("dt", {}, label), dd);
  }
  return el("section", {}, el("h2", {}, "Totals"), list);
}

function breakdownBox(result) {
  const table = el("table", { id: "breakdown" });
  table.append(el("tr", {}, ...["type", "layers", "MACs", "MACs %", "params", "params %"].map((h) => el("th", {}, h))));
  for (const g of breakdown(result.leaves, result.totals)) {
    table.append(el("tr", {}, el("td", {}, g.category), el("td", { class: "n" }, String(g.layers)),
      el("td", { class: "n" }, grouped(g.macs)), el("td", { class: "n" }, g.macsShare.toFixed(2) + "%"),
      el("td", { class: "n" }, grouped(g.params)), el("td", { class: "n" }, g.paramsShare.toFixed(2) + "%")));
  }
  return el("section", {}, el("h2", {}, "Resource per layer type"), table);
}

function layerTable(result) {
  const table = el("table", { id: "layers" });
  table.append(el("tr", {}, ...["layer", "kind", "output HxWxC", "params", "MACs", "floats out"].map((h) => el("th", {}, h))));
  function add(node, level, path, visible) {
    const id = path.join("/");
    const group = node.children.length > 0;
    const open = state.open.has(id);
    const toggle = group ? el("button", { class: "toggle", "data-node": id }, open ? "\u25be" : "\u25b8") : "";
    const kind = node.kind === "layer" ? node.type : `${node.kind} ${node.type}${node.kind === "repeat" ? " x" + node.count : ""}`;
    const row = el("tr", { class: `level${Math.min(level, 6)} ${node.kind}`, "data-level": level },
      el("td", { style: `padding-left:${0.2 + 1.1 * level}em` }, toggle, " " + node.name), el("td", {}, kind),
      el("td", {}, node.output_shape.join("x")), el("td", { class: "n" }, grouped(node.params)),
      el("td", { class: "n" }, grouped(node.macs)), el("td", { class: "n" }, grouped(node.floats_out)));
    if (!visible) row.hidden = true;
    table.append(row);
    if (group) {
      if (toggle) toggle.addEventListener("click", () => { if (open) state.open.delete(id); else state.open.add(id); show(); });
      node.children.forEach((c, i) => add(c, level + 1, [...path, i], visible && open));
    }
  }
  result.tree.forEach((node, i) => add(node, 0, [i], true));
  return el("section", {}, el("h2", {}, "Layers (a block, repeat or stage row holds its layers' sums; \u25b8 opens it)"), table);
}

function millions(y) {  // a tick in millions: 5,990 rather than 5.99e+3
  const m = y / 1e6;
  return m >= 100 ? Math.round(m).toLocaleString("en-US") : String(+m.toPrecision(3));
}

function plot(metric, label, points, current, symbol) {
  const W = 420, H = 268, left = 64, right = 12, top = 46, bottom = 42;
  const box = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, class: "plot", "data-metric": metric });
  box.append(svg("text", { x: W / 2, y: 16, "text-anchor": "middle", class: "title" }, `${label} against ${symbol}`));
  // the legend, in a row of its own between the title and the axes: it covers nothing
  box.append(svg("line", { x1: left, y1: 31, x2: left + 22, y2: 31, class: "line" }));
  box.append(svg("text", { x: left + 27, y: 35, class: "tick" }, `total as ${symbol} varies, the others fixed`));
  box.append(svg("circle", { cx: W - right - 112, cy: 31, r: 4, class: "current" }));
  box.append(svg("text", { x: W - right - 104, y: 35, class: "tick" }, "this configuration"));
  const xs = points.map((p) => p.x), ys = points.map((p) => p.y);
  const x0 = Math.min(...xs), x1 = Math.max(...xs), y1 = Math.max(...ys, 1e-9);
  const X = (x) => left + (x1 === x0 ? 0.5 : (x - x0) / (x1 - x0)) * (W - left - right);
  const Y = (y) => H - bottom - (y / y1) * (H - top - bottom);
  box.append(svg("line", { x1: left, y1: H - bottom, x2: W - right, y2: H - bottom, class: "axis" }));
  box.append(svg("line", { x1: left, y1: top, x2: left, y2: H - bottom, class: "axis" }));
  for (const [x, anchor] of [[x0, "start"], [x1, "end"]]) {
    box.append(svg("text", { x: X(x), y: H - bottom + 14, "text-anchor": anchor, class: "tick" }, String(+x.toPrecision(4))));
  }
  box.append(svg("text", { x: left - 4, y: top + 4, "text-anchor": "end", class: "tick" }, millions(y1)));
  box.append(svg("text", { x: left - 4, y: H - bottom, "text-anchor": "end", class: "tick" }, "0"));
  box.append(svg("text", { x: (left + W - right) / 2, y: H - 6, "text-anchor": "middle", class: "label" }, `${symbol} (symbol value)`));
  box.append(svg("text", { x: 14, y: (top + H - bottom) / 2, "text-anchor": "middle", class: "label",
                           transform: `rotate(-90 14 ${(top + H - bottom) / 2})` }, `${label} (millions)`));
  if (points.length) {
    box.append(svg("polyline", { points: points.map((p) => `${X(p.x)},${Y(p.y)}`).join(" "), class: "line" }));
  }
  if (current) box.append(svg("circle", { cx: X(current.x), cy: Y(current.y), r: 5, class: "current" }));
  return box;
}

function plots(result) {
  const section = el("section", { id: "plots" }, el("h2", {}, "Against the symbol last moved"));
  const s = MODEL.symbols.find((x) => x.name === state.moved);
  if (!s) return section;
  const points = { macs: [], params: [] };
  for (const x of sliderSample(s)) {
    try {
      const r = evaluate({ ...state.v, [s.name]: x }, false);
      const at = Number(x[0]) / Number(x[1]);
      points.macs.push({ x: at, y: Number(r.totals.macs) });
      points.params.push({ x: at, y: Number(r.totals.params) });
    } catch (e) {
      if (!(e instanceof Refused)) throw e;  // a refused value is left out of the curve
    }
  }
  const at = Number(state.v[s.name][0]) / Number(state.v[s.name][1]);
  const current = (key) => (result ? { x: at, y: Number(result.totals[key]) } : null);
  section.append(plot("macs", "MACs", points.macs, current("macs"), s.name),
                 plot("params", "params", points.params, current("params"), s.name));
  return section;
}

function sliderSample(s) {  // at most 48 of the slider's values, evenly spread
  const values = sliderValues(s);
  const step = Math.max(1, Math.ceil(values.length / 48));
  return values.filter((_, i) => i % step === 0 || i === values.length - 1);
}

function show() {
  let result = null, error = null;
  try {
    result = evaluate(state.v);
  } catch (e) {
    if (!(e instanceof Refused)) throw e;
    error = e.message;
  }
  syncControls();
  if (location.hash.slice(1) !== toFragment(state.v) && !location.hash.startsWith("#test=")) {
    history.replaceState(null, "", "#" + toFragment(state.v));
  }
  const errorBox = document.getElementById("error");
  errorBox.textContent = error || "";
  errorBox.hidden = error === null;
  const out = document.getElementById("results");
  out.replaceChildren(totalsBox(result), plots(result), ...(result ? [breakdownBox(result), layerTable(result)] : []));
}

function start() {
  document.body.append(el("h1", {}, `${MODEL.name}: costs explorer`),
    el("p", { class: "doc" }, `${MODEL.description} (${MODEL.file}). Computed in this page from the closed forms; ` +
      "the configuration is in the address (#name=value&...): a link shares it."),
    controls(), el("pre", { id: "error", role: "alert", hidden: "" }), el("div", { id: "results" }));
  const hash = decodeURIComponent(location.hash.slice(1));
  if (hash.startsWith("test=")) return runTests(JSON.parse(hash.slice(5)));
  try {
    state.v = fromFragment(location.hash.slice(1));
  } catch (e) {
    if (!(e instanceof Refused)) throw e;
    state.v = defaults();
    show();
    document.getElementById("error").textContent = e.message;
    document.getElementById("error").hidden = false;
    return null;
  }
  show();
  return null;
}

function runTests(fragments) {  // the test hook: every fragment's totals (or refusal) in #test-results
  const results = fragments.map((fragment) => {
    try {
      const r = evaluate(fromFragment(fragment));
      return { totals: Object.fromEntries(Object.entries(r.totals).map(([k, x]) => [k, x.toString()])),
               tree: r.tree.length, leaves: r.leaves.map((l) => l.name) };
    } catch (e) {
      if (!(e instanceof Refused)) return { crash: String(e) };
      return { error: e.message };
    }
  });
  document.body.append(el("pre", { id: "test-results" }, JSON.stringify(results)));
  state.v = defaults();
  show();
}

start();
