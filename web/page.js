// The page: a pad to draw on, every model's answer as you draw, and the image the models received.
// What a test or a benchmark reads: document.body.dataset.state ("loading", "blank", "answered", "failed")
// and window.mnistPage.last ({image, models: {name: probabilities}, ensemble, ms, at}), "at" and readyAt in
// milliseconds since the navigation started.
"use strict";

const pad = document.getElementById("pad");
const seen = document.getElementById("seen");
const statusLine = document.getElementById("status");
const rows = document.querySelector("#answers tbody");
const PEN_WIDTH = 12; // pad pixels: what the pad shows; the models see MNIST's pen (drawing.js)

const page = { strokes: [], manifest: null, sessions: [], last: null, busy: false, again: false };
window.mnistPage = page;

function setState(state, text) {
  document.body.dataset.state = state;
  statusLine.textContent = text;
}

async function load() {
  ort.env.wasm.wasmPaths = new URL("ort/", location.href).href; // a module specifier must be a full URL
  ort.env.wasm.numThreads = 1; // threads need cross-origin isolation, which a plain static host lacks
  const manifest = await (await fetch("models.json")).json();
  page.manifest = manifest;
  for (const model of manifest.models) {
    const members = [];
    for (const m of model.members) {
      const bytes = await (await fetch(m.file)).arrayBuffer();
      members.push({ ...m, session: await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] }) });
    }
    page.sessions.push({ name: model.name, members });
  }
  const files = manifest.models.flatMap((m) => m.members.map((f) => `${m.name} seed ${f.seed} (${f.trained_from})`));
  document.getElementById("revision").textContent =
    `Built by the web stage at revision ${manifest.revision} from ${files.join(", ")} (the first digits of ` +
    `each checkpoint's sha256); ${manifest.weights} weights; ONNX Runtime Web ${manifest.onnxruntime_web}.`;
  page.readyAt = performance.now(); // milliseconds since the navigation started
  setState("blank", "draw a digit");
}

function softmax(logits, temperature) {
  const z = Array.from(logits, (v) => v / temperature);
  const top = Math.max(...z);
  const e = z.map((v) => Math.exp(v - top));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

const mean = (vectors) => vectors[0].map((_, i) => vectors.reduce((s, v) => s + v[i], 0) / vectors.length);

// Each model: the mean of its seeds' calibrated probabilities; the ensemble: the mean of the models'.
async function answer(image) {
  const started = performance.now();
  const models = {};
  for (const model of page.sessions) {
    const probs = [];
    for (const m of model.members) {
      const x = Float32Array.from(image, (v) => (v - m.normalization.mean) / m.normalization.std);
      const input = new ort.Tensor("float32", x, [1, 1, 28, 28]);
      const out = await m.session.run({ [m.session.inputNames[0]]: input });
      probs.push(softmax(out[m.session.outputNames[0]].data, m.temperature));
    }
    models[model.name] = mean(probs);
  }
  const names = Object.keys(models);
  const ensemble = names.length > 1 ? mean(names.map((n) => models[n])) : null;
  const at = performance.now();
  return { image: Array.from(image), models, ensemble, ms: at - started, at };
}

function showImage(image) {
  const context = seen.getContext("2d");
  const pixels = context.createImageData(28, 28);
  image.forEach((v, i) => {
    const g = Math.round(255 * v);
    pixels.data.set([g, g, g, 255], 4 * i);
  });
  context.putImageData(pixels, 0, 0);
}

function row(name, probs, css) {
  const order = probs.map((p, d) => [p, d]).sort((a, b) => b[0] - a[0]);
  const tr = document.createElement("tr");
  tr.className = css || "";
  const cells = [name, String(order[0][1]), order.slice(0, 3).map(([p, d]) => `${d}: ${(100 * p).toFixed(1)}%`).join(" · ")];
  cells.forEach((text, i) => {
    const td = document.createElement("td");
    td.textContent = text;
    if (i === 1) td.className = "digit";
    tr.appendChild(td);
  });
  tr.dataset.model = name;
  tr.dataset.digit = String(order[0][1]);
  return tr;
}

async function update() {
  if (page.busy) { page.again = true; return; }
  page.busy = true;
  try {
    do {
      page.again = false;
      const image = strokesToDigit(page.strokes, page.manifest.drawing);
      if (image === null) {
        page.last = null;
        rows.replaceChildren();
        showImage(new Float32Array(784));
        setState("blank", "draw a digit");
        continue;
      }
      const result = await answer(image);
      page.last = result;
      showImage(image);
      const shown = Object.entries(result.models).map(([name, p]) => row(name, p));
      if (result.ensemble) shown.push(row("ensemble", result.ensemble, "ensemble"));
      rows.replaceChildren(...shown);
      const best = result.ensemble || Object.values(result.models)[0];
      const digit = best.indexOf(Math.max(...best));
      setState("answered", `it reads ${digit} (${result.ms.toFixed(0)} ms for every model)`);
    } while (page.again);
  } finally {
    page.busy = false;
  }
}

function redrawPad() {
  const context = pad.getContext("2d");
  context.fillStyle = "#fff";
  context.fillRect(0, 0, pad.width, pad.height);
  context.strokeStyle = "#000";
  context.fillStyle = "#000";
  context.lineWidth = PEN_WIDTH;
  context.lineCap = "round";
  context.lineJoin = "round";
  for (const stroke of page.strokes) {
    context.beginPath();
    context.moveTo(stroke[0].x, stroke[0].y);
    if (stroke.length === 1) context.lineTo(stroke[0].x + 0.01, stroke[0].y);
    for (const p of stroke.slice(1)) context.lineTo(p.x, p.y);
    context.stroke();
  }
}

function at(event) {
  const box = pad.getBoundingClientRect();
  return { x: ((event.clientX - box.left) * pad.width) / box.width, y: ((event.clientY - box.top) * pad.height) / box.height };
}

let drawing = false;
pad.addEventListener("pointerdown", (event) => {
  if (!page.manifest) return;
  drawing = true;
  pad.setPointerCapture(event.pointerId);
  page.strokes.push([at(event)]);
  redrawPad();
  update();
});
pad.addEventListener("pointermove", (event) => {
  if (!drawing) return;
  page.strokes[page.strokes.length - 1].push(at(event));
  redrawPad();
  update();
});
const finish = () => {
  if (!drawing) return;
  drawing = false;
  update();
};
pad.addEventListener("pointerup", finish);
pad.addEventListener("pointercancel", finish);
document.getElementById("undo").addEventListener("click", () => { page.strokes.pop(); redrawPad(); update(); });
document.getElementById("clear").addEventListener("click", () => { page.strokes = []; redrawPad(); update(); });

redrawPad();
load().catch((error) => setState("failed", `could not load the models: ${error.message}`));
