// The hint brush (app.py, `hint_brush_html`): strokes painted over the photo in gray, published as the component's
// value, a JSON list of {"c": "#rrggbb", "r": radius, "p": [[x, y], ...]} in the photo's own pixels, which the server
// draws into a hint layer. Its value is a short string, so an event that takes it costs nothing to gather (Gradio's
// ImageEditor re-uploaded its images on every status update of every event, a third of a second per Colorize).
const SIZES = [0.006, 0.012, 0.025];  // brush radius S / M / L, as a share of the canvas's longer side
let strokes = [];  // in canvas pixels
let drawing = null;
let colour = element.querySelector(".hb-colour.hb-default")?.dataset.colour;
let size = 1;

function ink() { return element.querySelector("canvas.hb-ink"); }

function redraw() {
  const c = ink();
  if (!c) return;
  const g = c.getContext("2d");
  g.clearRect(0, 0, c.width, c.height);
  g.lineCap = "round";
  g.lineJoin = "round";
  for (const s of drawing ? [...strokes, drawing] : strokes) {
    g.strokeStyle = g.fillStyle = s.c;
    g.lineWidth = 2 * s.r + 1;
    g.beginPath();
    if (s.p.length == 1) {
      g.arc(s.p[0][0], s.p[0][1], s.r, 0, 2 * Math.PI);
      g.fill();
    } else {
      s.p.forEach(([x, y], i) => (i ? g.lineTo(x, y) : g.moveTo(x, y)));
      g.stroke();
    }
  }
  element.querySelectorAll(".hb-colour").forEach(b => b.classList.toggle("hb-on", b.dataset.colour == colour));
  const pick = element.querySelector(".hb-pick");
  const picked = !element.querySelector('.hb-colour[data-colour="' + colour + '"]');  // a colour of no swatch
  if (pick) {  // the rainbow until a colour is picked, then that colour
    pick.parentElement.classList.toggle("hb-on", picked);
    pick.parentElement.style.background = picked ? colour : "";
    if (picked) pick.value = colour;  // kept when the page draws the tools again
  }
  element.querySelectorAll(".hb-size").forEach(b => b.classList.toggle("hb-on", Number(b.dataset.size) == size));
}

let published = "";  // the value as this script last set it: any other came from the server (a new photo)
function publish() {  // the strokes in the photo's pixels
  const c = ink(), kx = c ? props.width / c.width : 1, ky = c ? props.height / c.height : 1;
  const scaled = strokes.map(s => ({c: s.c, r: Math.max(1, Math.round(s.r * kx)),
                                    p: s.p.map(([x, y]) => [Math.round(x * kx), Math.round(y * ky)])}));
  published = props.value = scaled.length ? JSON.stringify(scaled) : "";
}

function at(e) {
  const c = ink(), r = c.getBoundingClientRect();
  return [(e.clientX - r.left) * c.width / r.width, (e.clientY - r.top) * c.height / r.height];
}

element.addEventListener("click", e => {  // the tools: by mouse, touch or keyboard
  const t = e.target.closest("button");
  if (!t) return;
  if (t.classList.contains("hb-colour")) colour = t.dataset.colour;
  else if (t.classList.contains("hb-size")) size = Number(t.dataset.size);
  else if (t.classList.contains("hb-undo")) { strokes.pop(); publish(); }
  else if (t.classList.contains("hb-clear")) { strokes = []; publish(); }
  redraw();
});

element.addEventListener("input", e => {  // any colour, from the picker
  if (!e.target.classList.contains("hb-pick")) return;
  colour = e.target.value;
  redraw();
});

element.addEventListener("pointerdown", e => {  // a stroke begins on the canvas
  const t = e.target;
  if (!t.classList.contains("hb-ink")) return;
  t.setPointerCapture(e.pointerId);
  drawing = {c: colour, r: Math.max(1, SIZES[size] * Math.max(t.width, t.height)), p: [at(e)]};
  redraw();
});

element.addEventListener("pointermove", e => {
  if (!drawing) return;
  const [x, y] = at(e), [px, py] = drawing.p[drawing.p.length - 1];
  if (Math.hypot(x - px, y - py) >= Math.max(1, drawing.r / 2)) {  // a point each half radius: short values, smooth lines
    drawing.p.push([x, y]);
    redraw();
  }
});

function end() {
  if (!drawing) return;
  strokes.push(drawing);
  drawing = null;
  publish();
  redraw();
}
element.addEventListener("pointerup", end);
element.addEventListener("pointercancel", end);
function restart() { strokes = []; drawing = null; published = props.value; redraw(); }
watch("photo", restart);  // a new photo: a clean canvas
watch("value", () => (props.value === published ? redraw() : restart()));  // the same photo again: no strokes either
redraw();
