/* crystal-diffusion report: structure viewer, sortable table and self-test.
   Plain JavaScript, no libraries, nothing fetched. The structures come from the
   <script type="application/json" id="structure-data"> element. */
(function () {
  "use strict";

  var DATA = { elements: {}, structures: [], bond_tolerance: 0.2 };
  try {
    DATA = JSON.parse(document.getElementById("structure-data").textContent);
  } catch (e) {
    console.error("structure data: " + e);
  }

  /* ---------- 3D maths (row-major 3x3 matrices) ---------- */
  function matMul(a, b) {
    var r = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
    for (var i = 0; i < 3; i++) for (var j = 0; j < 3; j++)
      r[i][j] = a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j];
    return r;
  }
  function rotX(t) { var c = Math.cos(t), s = Math.sin(t); return [[1, 0, 0], [0, c, -s], [0, s, c]]; }
  function rotY(t) { var c = Math.cos(t), s = Math.sin(t); return [[c, 0, s], [0, 1, 0], [-s, 0, c]]; }
  function apply(m, p) {
    return [m[0][0] * p[0] + m[0][1] * p[1] + m[0][2] * p[2],
            m[1][0] * p[0] + m[1][1] * p[1] + m[1][2] * p[2],
            m[2][0] * p[0] + m[2][1] * p[1] + m[2][2] * p[2]];
  }
  function fracToCart(L, f) {
    return [f[0] * L[0][0] + f[1] * L[1][0] + f[2] * L[2][0],
            f[0] * L[0][1] + f[1] * L[1][1] + f[2] * L[2][1],
            f[0] * L[0][2] + f[1] * L[1][2] + f[2] * L[2][2]];
  }
  function wrap(x) { var w = x - Math.floor(x); return w >= 1 ? 0 : w; }
  /* The static plots' camera: yaw 0.45 about z, pitch 0.35; rows = screen right, up, towards viewer. */
  function initialRotation() {
    var a = 0.45, b = 0.35, ca = Math.cos(a), sa = Math.sin(a), cb = Math.cos(b), sb = Math.sin(b);
    return [[ca, -sa, 0], [sa * sb, ca * sb, cb], [-sa * cb, -ca * cb, sb]];
  }

  /* ---------- the viewer ---------- */
  var canvas = document.getElementById("viewer");
  var ctx = canvas ? canvas.getContext("2d") : null;
  var state = { index: -1, rot: initialRotation(), zoom: 1, images: false, bonds: true, cell: true, drawn: { atoms: 0, bonds: 0 } };
  var model = null; /* { s, atoms: [{p, el, image}], bonds: [[p, q, el]], corners, center, extent } */

  function elementInfo(sym) {
    return DATA.elements[sym] || { color: "#ff1493", radius: 1.5 };
  }

  /* Atoms (cell only, or with images within 0.3 of the cell) and bonds. Without images,
     a bond to a periodic image is drawn as a half stick towards it. */
  function buildModel(s) {
    var L = s.lattice, n = s.frac.length, tol = 1 + (DATA.bond_tolerance || 0.2);
    var base = [];
    for (var i = 0; i < n; i++) {
      var f = s.frac[i].map(wrap);
      base.push({ f: f, p: fracToCart(L, f), el: s.species[i] });
    }
    var atoms = [], bonds = [];
    var shifts = [];
    for (var a = -1; a <= 1; a++) for (var b = -1; b <= 1; b++) for (var c = -1; c <= 1; c++) shifts.push([a, b, c]);
    if (!state.images) {
      base.forEach(function (x) { atoms.push({ p: x.p, el: x.el, image: false }); });
      for (i = 0; i < n; i++) for (var j = 0; j < n; j++) {
        var ri = elementInfo(base[i].el).radius, rj = elementInfo(base[j].el).radius;
        var lim = (ri + rj) * tol;
        shifts.forEach(function (sh) {
          if (i === j && sh[0] === 0 && sh[1] === 0 && sh[2] === 0) return;
          var q = fracToCart(L, [base[j].f[0] + sh[0], base[j].f[1] + sh[1], base[j].f[2] + sh[2]]);
          var d = Math.hypot(q[0] - base[i].p[0], q[1] - base[i].p[1], q[2] - base[i].p[2]);
          if (d > 1e-6 && d <= lim) {
            var mid = [(q[0] + base[i].p[0]) / 2, (q[1] + base[i].p[1]) / 2, (q[2] + base[i].p[2]) / 2];
            bonds.push([base[i].p, mid, base[i].el]); /* i's half; j's half comes from (j, i, -shift) */
          }
        });
      }
    } else {
      var m = 0.3;
      base.forEach(function (x) {
        shifts.forEach(function (sh) {
          var f = [x.f[0] + sh[0], x.f[1] + sh[1], x.f[2] + sh[2]];
          if (f.every(function (v) { return v >= -m && v <= 1 + m; })) {
            var inCell = sh[0] === 0 && sh[1] === 0 && sh[2] === 0;
            atoms.push({ p: fracToCart(L, f), el: x.el, image: !inCell });
          }
        });
      });
      for (i = 0; i < atoms.length; i++) for (j = i + 1; j < atoms.length; j++) {
        var A = atoms[i], B = atoms[j];
        var lim2 = (elementInfo(A.el).radius + elementInfo(B.el).radius) * tol;
        var dd = Math.hypot(A.p[0] - B.p[0], A.p[1] - B.p[1], A.p[2] - B.p[2]);
        if (dd > 1e-6 && dd <= lim2) {
          var mid2 = [(A.p[0] + B.p[0]) / 2, (A.p[1] + B.p[1]) / 2, (A.p[2] + B.p[2]) / 2];
          bonds.push([A.p, mid2, A.el]);
          bonds.push([B.p, mid2, B.el]);
        }
      }
    }
    var corners = [];
    for (var k = 0; k < 8; k++) corners.push(fracToCart(L, [k & 1, (k >> 1) & 1, (k >> 2) & 1]));
    var center = fracToCart(L, [0.5, 0.5, 0.5]);
    var extent = 0;
    corners.forEach(function (p) { extent = Math.max(extent, Math.hypot(p[0] - center[0], p[1] - center[1], p[2] - center[2])); });
    return { s: s, atoms: atoms, bonds: bonds, corners: corners, center: center, extent: Math.max(extent, 1) };
  }

  function resize() {
    if (!canvas) return;
    var dpr = window.devicePixelRatio || 1;
    var w = canvas.clientWidth || 520, h = canvas.clientHeight || 520;
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }

  function shade(hex, f) {
    var n = parseInt(hex.slice(1), 16), r = (n >> 16) & 255, g = (n >> 8) & 255, b = n & 255;
    function c(v) { return Math.max(0, Math.min(255, Math.round(f >= 0 ? v + (255 - v) * f : v * (1 + f)))); }
    return "rgb(" + c(r) + "," + c(g) + "," + c(b) + ")";
  }

  function draw() {
    if (!ctx) return;
    var W = canvas.width, H = canvas.height;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, W, H);
    if (!model) {
      ctx.fillStyle = "#5b6675";
      ctx.font = Math.round(W / 30) + "px sans-serif";
      ctx.textAlign = "center";
      ctx.fillText("no structure to show", W / 2, H / 2);
      state.drawn = { atoms: 0, bonds: 0 };
      return;
    }
    var scale = state.zoom * Math.min(W, H) / (2.3 * model.extent);
    var cx = W / 2, cy = H / 2, R = state.rot, c0 = model.center;
    function proj(p) {
      var q = apply(R, [p[0] - c0[0], p[1] - c0[1], p[2] - c0[2]]);
      return [cx + q[0] * scale, cy - q[1] * scale, q[2]];
    }
    if (state.cell) {
      ctx.strokeStyle = "#3c3c3c";
      ctx.lineWidth = Math.max(1, W / 400);
      var pc = model.corners.map(proj);
      ctx.beginPath();
      for (var i = 0; i < 8; i++) [1, 2, 4].forEach(function (bit) {
        if (!(i & bit)) { ctx.moveTo(pc[i][0], pc[i][1]); ctx.lineTo(pc[i | bit][0], pc[i | bit][1]); }
      });
      ctx.stroke();
    }
    var items = [];
    model.atoms.forEach(function (a) { var p = proj(a.p); items.push({ z: p[2], atom: a, p: p }); });
    if (state.bonds) model.bonds.forEach(function (b) {
      var p = proj(b[0]), q = proj(b[1]);
      items.push({ z: Math.min(p[2], q[2]) + 1e-3, bond: b, p: p, q: q });
    });
    items.sort(function (x, y) { return x.z - y.z; }); /* far (small z) first */
    var bw = Math.max(2, 0.1 * scale);
    items.forEach(function (it) {
      if (it.bond) {
        ctx.strokeStyle = shade(elementInfo(it.bond[2]).color, -0.15);
        ctx.lineWidth = bw;
        ctx.lineCap = "round";
        ctx.beginPath(); ctx.moveTo(it.p[0], it.p[1]); ctx.lineTo(it.q[0], it.q[1]); ctx.stroke();
      } else {
        var info = elementInfo(it.atom.el), r = Math.max(2, 0.4 * info.radius * scale);
        var g = ctx.createRadialGradient(it.p[0] - r * 0.35, it.p[1] - r * 0.35, r * 0.1, it.p[0], it.p[1], r);
        g.addColorStop(0, shade(info.color, 0.6));
        g.addColorStop(1, shade(info.color, -0.25));
        ctx.globalAlpha = it.atom.image ? 0.55 : 1;
        ctx.fillStyle = g;
        ctx.beginPath(); ctx.arc(it.p[0], it.p[1], r, 0, 2 * Math.PI); ctx.fill();
        ctx.strokeStyle = "rgba(0,0,0,0.45)";
        ctx.lineWidth = 1;
        ctx.stroke();
        ctx.globalAlpha = 1;
      }
    });
    state.drawn = { atoms: model.atoms.length, bonds: state.bonds ? model.bonds.length : 0 };
  }

  function show(index) {
    var s = DATA.structures[index];
    if (!s) { model = null; state.index = -1; draw(); return false; }
    state.index = index;
    model = buildModel(s);
    var info = document.getElementById("viewer-info");
    if (info) {
      var v = s.valid === true ? "valid" : s.valid === false ? "invalid" : "validity unknown";
      info.textContent = s.name + " · " + s.formula + " · " + s.frac.length + " atoms · " + s.set + " · " + v;
    }
    var sel = document.getElementById("viewer-select");
    if (sel) sel.value = String(index);
    var legend = document.getElementById("viewer-legend");
    if (legend) {
      legend.textContent = "";
      var seen = {};
      s.species.forEach(function (el) {
        if (seen[el]) return;
        seen[el] = true;
        var span = document.createElement("span"), dot = document.createElement("i");
        dot.style.background = elementInfo(el).color;
        span.appendChild(dot);
        span.appendChild(document.createTextNode(el));
        legend.appendChild(span);
      });
    }
    document.querySelectorAll("#structure-table tbody tr.selected").forEach(function (tr) { tr.classList.remove("selected"); });
    var row = document.querySelector('#structure-table tbody tr[data-s="' + index + '"]');
    if (row) row.classList.add("selected");
    draw();
    return true;
  }

  function setupViewer() {
    if (!canvas) return;
    resize();
    var sel = document.getElementById("viewer-select");
    if (sel) {
      DATA.structures.forEach(function (s, i) {
        var o = document.createElement("option");
        o.value = String(i);
        o.textContent = s.name + " (" + s.formula + ", " + s.set + ")";
        sel.appendChild(o);
      });
      sel.addEventListener("change", function () { show(parseInt(sel.value, 10)); });
    }
    var drag = null;
    function down(x, y) { drag = [x, y]; }
    function move(x, y) {
      if (!drag) return;
      var dx = x - drag[0], dy = y - drag[1];
      drag = [x, y];
      state.rot = matMul(rotX(dy * 0.01), matMul(rotY(dx * 0.01), state.rot));
      draw();
    }
    canvas.addEventListener("mousedown", function (e) { down(e.clientX, e.clientY); e.preventDefault(); });
    window.addEventListener("mousemove", function (e) { move(e.clientX, e.clientY); });
    window.addEventListener("mouseup", function () { drag = null; });
    canvas.addEventListener("touchstart", function (e) { if (e.touches.length === 1) down(e.touches[0].clientX, e.touches[0].clientY); e.preventDefault(); }, { passive: false });
    canvas.addEventListener("touchmove", function (e) { if (e.touches.length === 1) move(e.touches[0].clientX, e.touches[0].clientY); e.preventDefault(); }, { passive: false });
    canvas.addEventListener("touchend", function () { drag = null; });
    canvas.addEventListener("wheel", function (e) {
      e.preventDefault();
      state.zoom = Math.max(0.2, Math.min(8, state.zoom * Math.exp(-e.deltaY * 0.0015)));
      draw();
    }, { passive: false });
    function toggle(id, key) {
      var el = document.getElementById(id);
      if (!el) return;
      state[key] = el.checked;
      el.addEventListener("change", function () {
        state[key] = el.checked;
        if (model) model = buildModel(model.s);
        draw();
      });
    }
    toggle("opt-images", "images");
    toggle("opt-bonds", "bonds");
    toggle("opt-cell", "cell");
    var reset = document.getElementById("opt-reset");
    if (reset) reset.addEventListener("click", function () { state.rot = initialRotation(); state.zoom = 1; draw(); });
    window.addEventListener("resize", function () { resize(); draw(); });
    show(DATA.structures.length ? 0 : -1);
  }

  /* ---------- the sortable table ---------- */
  function setupTable() {
    var table = document.getElementById("structure-table");
    if (!table) return;
    var tbody = table.tBodies[0];
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      th.addEventListener("click", function () {
        var asc = !th.classList.contains("asc");
        Array.prototype.forEach.call(heads, function (h) { h.classList.remove("asc", "desc"); });
        th.classList.add(asc ? "asc" : "desc");
        var num = th.getAttribute("data-type") === "num";
        var rows = Array.prototype.slice.call(tbody.rows);
        function key(tr) {
          var td = tr.cells[col];
          var v = td.hasAttribute("data-v") ? td.getAttribute("data-v") : td.textContent;
          if (!num) return v;
          var x = parseFloat(v);
          return isNaN(x) ? null : x;
        }
        var keyed = rows.map(function (tr, i) { return [key(tr), i, tr]; });
        keyed.sort(function (a, b) {
          if (a[0] === null || b[0] === null) {
            if (a[0] === b[0]) return a[1] - b[1];
            return a[0] === null ? 1 : -1; /* blanks last */
          }
          var c = num ? a[0] - b[0] : String(a[0]).localeCompare(String(b[0]), undefined, { numeric: true });
          if (!asc) c = -c;
          return c !== 0 ? c : a[1] - b[1];
        });
        var frag = document.createDocumentFragment();
        keyed.forEach(function (k) { frag.appendChild(k[2]); });
        tbody.appendChild(frag);
      });
    });
    tbody.addEventListener("click", function (e) {
      if (e.target.closest && e.target.closest("a")) return; /* links open the file */
      var tr = e.target.closest ? e.target.closest("tr") : null;
      if (!tr) return;
      var i = parseInt(tr.getAttribute("data-s"), 10);
      if (i >= 0) show(i);
    });
  }

  /* ---------- self-test (#selftest): writes a JSON verdict into #selftest ---------- */
  function pixels() {
    return ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  }
  function nonWhite(px) {
    var n = 0;
    for (var i = 0; i < px.length; i += 4) if (px[i] < 250 || px[i + 1] < 250 || px[i + 2] < 250) n++;
    return n;
  }
  function differing(a, b) {
    var n = 0;
    for (var i = 0; i < a.length; i += 4) if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2]) n++;
    return n;
  }
  function selftest() {
    var r = { ok: false, errors: [], checks: {} };
    try {
      var svgs = document.querySelectorAll("svg");
      var svgSizes = Array.prototype.map.call(svgs, function (s) { var b = s.getBoundingClientRect(); return [Math.round(b.width), Math.round(b.height)]; });
      r.checks.svg_count = svgs.length;
      r.checks.svg_all_sized = svgSizes.every(function (wh) { return wh[0] > 50 && wh[1] > 50; });
      r.checks.svg_all_have_content = Array.prototype.every.call(svgs, function (s) { return s.querySelectorAll("*").length > 10; });
      var imgs = document.querySelectorAll("img");
      r.checks.img_count = imgs.length;
      r.checks.img_all_loaded = Array.prototype.every.call(imgs, function (im) { return im.complete && im.naturalWidth > 0; });
      r.checks.resources_fetched = (performance.getEntriesByType ? performance.getEntriesByType("resource") : []).map(function (e) { return e.name; });
      r.checks.structures = DATA.structures.length;
      if (canvas && ctx && DATA.structures.length) {
        var total = canvas.width * canvas.height;
        var p0 = pixels();
        r.checks.canvas_size = [canvas.width, canvas.height];
        r.checks.canvas_nonwhite_after_load = nonWhite(p0);
        r.checks.canvas_not_blank = nonWhite(p0) > total * 0.005;
        var rect = canvas.getBoundingClientRect();
        var x = rect.left + rect.width / 2, y = rect.top + rect.height / 2;
        canvas.dispatchEvent(new MouseEvent("mousedown", { clientX: x, clientY: y, bubbles: true }));
        window.dispatchEvent(new MouseEvent("mousemove", { clientX: x + 90, clientY: y + 45, bubbles: true }));
        window.dispatchEvent(new MouseEvent("mouseup", { clientX: x + 90, clientY: y + 45, bubbles: true }));
        var p1 = pixels();
        r.checks.drag_changed_pixels = differing(p0, p1);
        r.checks.canvas_changed_after_drag = differing(p0, p1) > total * 0.002;
        canvas.dispatchEvent(new WheelEvent("wheel", { deltaY: -300, clientX: x, clientY: y, bubbles: true, cancelable: true }));
        var p2 = pixels();
        r.checks.canvas_changed_after_wheel = differing(p1, p2) > total * 0.002;
        var atomsBefore = state.drawn.atoms;
        var box = document.getElementById("opt-images");
        box.click();
        r.checks.images_toggle_adds_atoms = state.drawn.atoms > atomsBefore;
        box.click();
        r.checks.images_toggle_back = state.drawn.atoms === atomsBefore;
        var rows = document.querySelectorAll("#structure-table tbody tr");
        if (rows.length > 1) {
          var target = rows[rows.length - 1];
          target.cells[0].click();
          var want = parseInt(target.getAttribute("data-s"), 10);
          r.checks.row_click_loads_structure = want < 0 || state.index === want;
        }
        var th = document.querySelectorAll("#structure-table thead th")[5];
        if (th && rows.length > 1) {
          th.click();
          var vals = Array.prototype.map.call(document.querySelectorAll("#structure-table tbody tr"), function (tr) { return parseFloat(tr.cells[5].getAttribute("data-v")); }).filter(function (v) { return !isNaN(v); });
          var sorted = true;
          for (var i = 1; i < vals.length; i++) if (vals[i] < vals[i - 1]) sorted = false;
          th.click();
          var vals2 = Array.prototype.map.call(document.querySelectorAll("#structure-table tbody tr"), function (tr) { return parseFloat(tr.cells[5].getAttribute("data-v")); }).filter(function (v) { return !isNaN(v); });
          for (i = 1; i < vals2.length; i++) if (vals2[i] > vals2[i - 1]) sorted = false;
          r.checks.table_sorts = sorted;
        }
      }
    } catch (e) {
      window.__errors.push("selftest: " + e);
    }
    r.errors = window.__errors.slice();
    var c = r.checks;
    r.ok = r.errors.length === 0 && c.svg_all_sized && c.svg_all_have_content && c.img_all_loaded &&
      c.resources_fetched.length === 0 &&
      (c.structures === 0 || (c.canvas_not_blank && c.canvas_changed_after_drag && c.canvas_changed_after_wheel &&
        c.images_toggle_adds_atoms && c.images_toggle_back && c.row_click_loads_structure !== false && c.table_sorts !== false));
    var out = document.getElementById("selftest");
    out.textContent = JSON.stringify(r);
    out.hidden = false;
    document.title = "SELFTEST " + (r.ok ? "PASS" : "FAIL");
  }

  function start() {
    try {
      setupTable();
      setupViewer();
    } catch (e) {
      console.error("viewer: " + e);
    }
    if (location.hash === "#selftest") setTimeout(selftest, 0);
    /* #viewer-shot-{hidden,load,drag}: the canvas alone in the top-left corner, for screenshots. */
    var m = /^#viewer-shot-(hidden|load|drag)$/.exec(location.hash);
    if (m && canvas) {
      document.body.classList.add("shot");
      if (m[1] === "hidden") document.body.classList.add("shot-hidden");
      resize();
      draw();
      if (m[1] === "drag") {
        var rect = canvas.getBoundingClientRect();
        var x = rect.left + rect.width / 2, y = rect.top + rect.height / 2;
        canvas.dispatchEvent(new MouseEvent("mousedown", { clientX: x, clientY: y, bubbles: true }));
        window.dispatchEvent(new MouseEvent("mousemove", { clientX: x + 90, clientY: y + 45, bubbles: true }));
        window.dispatchEvent(new MouseEvent("mouseup", { clientX: x + 90, clientY: y + 45, bubbles: true }));
      }
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
