// The strokes drawn on the pad -> the 28x28 image the models receive, made as mnist_style.redraw makes it
// from a picture (mnist_dvc/reading/mnist_style.py): the strokes' centre lines (which the page knows, and
// the Python path finds as the ink's skeleton) scaled so that, drawn with MNIST's pen, they fit the 20x20
// box, drawn OVERSAMPLE times larger with a disk of PEN_RADIUS, averaged back, and centred by mass in
// 28x28. The constants come from models.json, which the web stage writes from the Python module.
"use strict";

// Python's round() and NumPy's rint: halves go to the even neighbour.
function roundHalfEven(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : r;
}

// strokes: [[{x, y}, ...], ...] in pad pixels; c: {box, side, oversample, pen_radius}.
// Returns a Float32Array of side*side pixels in [0, 1] (ink 1), or null when nothing is drawn.
function strokesToDigit(strokes, c) {
  const points = strokes.flat();
  if (points.length === 0) return null;
  const xs = points.map((p) => p.x), ys = points.map((p) => p.y);
  const left = Math.min(...xs), top = Math.min(...ys);
  const extent = Math.max(Math.max(...xs) - left, Math.max(...ys) - top);
  const inner = c.box * c.oversample - 2 * c.pen_radius; // the centre lines' box, so the pen fits BOX
  const factor = extent > 0 ? (inner - 1) / extent : 1;
  const margin = c.pen_radius + 1;
  const h = roundHalfEven((Math.max(...ys) - top) * factor) + 1 + 2 * margin;
  const w = roundHalfEven((Math.max(...xs) - left) * factor) + 1 + 2 * margin;
  const lines = new Uint8Array(h * w);
  const mark = (x, y) => {
    lines[(roundHalfEven((y - top) * factor) + margin) * w + roundHalfEven((x - left) * factor) + margin] = 1;
  };
  for (const stroke of strokes) {
    mark(stroke[0].x, stroke[0].y);
    for (let i = 1; i < stroke.length; i++) {
      const a = stroke[i - 1], b = stroke[i];
      const steps = Math.ceil(Math.hypot(b.x - a.x, b.y - a.y) * factor * 2) + 1; // half-pixel steps
      for (let s = 1; s <= steps; s++) mark(a.x + ((b.x - a.x) * s) / steps, a.y + ((b.y - a.y) * s) / steps);
    }
  }
  // The pen: a disk of pen_radius (skimage.morphology.disk), on every centre-line pixel.
  const r = c.pen_radius, disk = [];
  for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) if (dx * dx + dy * dy <= r * r) disk.push([dy, dx]);
  const stroke = new Uint8Array(h * w);
  let y0 = h, y1 = -1, x0 = w, x1 = -1;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    if (!lines[y * w + x]) continue;
    for (const [dy, dx] of disk) {
      const yy = y + dy, xx = x + dx;
      if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
      stroke[yy * w + xx] = 1;
      if (yy < y0) y0 = yy; if (yy > y1) y1 = yy; if (xx < x0) x0 = xx; if (xx > x1) x1 = xx;
    }
  }
  // Cropped to the stroke, padded to whole blocks, averaged over oversample x oversample blocks.
  const k = c.oversample;
  const hb = Math.ceil((y1 - y0 + 1) / k), wb = Math.ceil((x1 - x0 + 1) / k);
  const small = new Float32Array(hb * wb);
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) {
    if (stroke[y * w + x]) small[Math.floor((y - y0) / k) * wb + Math.floor((x - x0) / k)] += 1 / (k * k);
  }
  return centreByMass(small, hb, wb, c.side);
}

// mnist_style.centre_by_mass: the block placed so its centre of mass lands on the image's centre.
function centreByMass(box, hb, wb, side) {
  let total = 0, cy = 0, cx = 0;
  for (let y = 0; y < hb; y++) for (let x = 0; x < wb; x++) {
    const v = box[y * wb + x];
    total += v; cy += v * y; cx += v * x;
  }
  cy /= total; cx /= total;
  const clip = (v, lo, hi) => Math.min(Math.max(v, lo), hi);
  const top = clip(roundHalfEven(side / 2 - 0.5 - cy), 0, side - hb);
  const left = clip(roundHalfEven(side / 2 - 0.5 - cx), 0, side - wb);
  const digit = new Float32Array(side * side);
  for (let y = 0; y < hb; y++) for (let x = 0; x < wb; x++) digit[(top + y) * side + left + x] = box[y * wb + x];
  return digit;
}
