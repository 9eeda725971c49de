/* ecograph map page: the Sankey view of one currency's flows, beside the map view.
 *
 * The views themselves (columns, bars, bands, return loops, folded "+N others") are
 * computed in Python (ecograph/render/sankey.py) and embedded in the page's data; this
 * script only places them in pixels, with the same rules as sankey_layout() there and
 * the same constants (data.sankey.geometry), and draws them as SVG.
 *
 * Every user string reaches the DOM through textContent: nothing from the map is ever
 * parsed as HTML. Ids are only compared, kept in Maps, or set as attribute values.
 */
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("ecograph-data").textContent);
  var S = data.sankey;
  var G = S.geometry;
  var SVGNS = "http://www.w3.org/2000/svg";
  var views = new Map();
  S.views.forEach(function (v) { views.set(v.currency, v); });

  function byIdEl(id) { return document.getElementById(id); }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function svg(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    return e;
  }

  var box = byIdEl("eg-sankey");
  var mapButton = byIdEl("eg-view-map"), sankeyButton = byIdEl("eg-view-sankey");
  var select = byIdEl("eg-sankey-currency");
  var state = { view: "map", currency: views.has(S.currency) ? S.currency : (S.views.length ? S.views[0].currency : null) };
  S.views.forEach(function (v) {
    var o = el("option", v.unit === v.currency ? v.currency : v.currency + " (" + v.unit + ")");
    o.value = v.currency;
    select.appendChild(o);
  });
  if (state.currency !== null) select.value = state.currency;
  if (!S.views.length) {
    sankeyButton.disabled = true;
    sankeyButton.title = "No pipe has a volume: there are no flows to draw";
    select.disabled = true;
  }

  // ---- pixels: the rules of ecograph.render.sankey.sankey_layout ---------------------------
  function layout(v, width, height) {
    var perColumn = new Map();
    v.nodes.forEach(function (n) {
      if (!perColumn.has(n.column)) perColumn.set(n.column, []);
      perColumn.get(n.column).push(n);
    });
    var loops = v.bands.filter(function (b) { return b.lane >= 0; }).sort(function (a, b) { return a.lane - b.lane; });
    var loopTotal = 0;
    loops.forEach(function (b) { loopTotal += b.volume; });
    var lanesFixed = G.lane_gap * loops.length;
    var fullest = 1;
    perColumn.forEach(function (c) { fullest = Math.max(fullest, c.length); });
    height = Math.max(height, G.top + G.bottom + lanesFixed + (fullest - 1) * G.gap + (fullest + loops.length) * G.min_bar);
    width = Math.max(width, 2 * G.left + G.label_room + G.bar + G.min_column * (v.columns - 1));
    var room = height - G.top - G.bottom - lanesFixed;
    var scale = Infinity;
    perColumn.forEach(function (c) {
      var total = 0;
      c.forEach(function (n) { total += n.value; });
      scale = Math.min(scale, (room - (c.length - 1) * G.gap) / (total + loopTotal));
    });
    if (!isFinite(scale)) scale = 1;
    var reach = 0;
    loops.forEach(function (b) {
      reach = Math.max(reach, 0.75 * Math.max(G.loop, b.volume * scale) + b.volume * scale / 2);
    });
    var left = G.left + reach;
    var step = (width - left - G.label_room - G.bar) / Math.max(1, v.columns - 1);
    var bottom = height - G.bottom - lanesFixed - loopTotal * scale;
    var bars = new Map();
    perColumn.forEach(function (members, c) {
      var total = (members.length - 1) * G.gap;
      members.forEach(function (n) { total += n.value * scale; });
      var top = G.top + (bottom - G.top - total) / 2;
      members.forEach(function (n) {
        bars.set(n.id, { x: left + c * step, y: top + n.above * scale + n.index * G.gap, w: G.bar, h: n.value * scale });
      });
    });
    var bands = new Map(), below = 0;
    v.bands.forEach(function (b) {
      var s = bars.get(b.source), t = bars.get(b.target), w = b.volume * scale, laneY = null;
      if (b.lane >= 0) {
        laneY = bottom + G.lane_gap * (b.lane + 1) + below + w / 2;
        below += w;
      }
      bands.set(b.id, { x0: s.x + s.w, y0: s.y + (b.source_offset + b.volume / 2) * scale,
                        x1: t.x, y1: t.y + (b.target_offset + b.volume / 2) * scale, w: w, laneY: laneY });
    });
    return { width: width, height: height, scale: scale, step: step, bars: bars, bands: bands };
  }

  function bandPath(g) {
    if (g.laneY === null) {
      var xm = (g.x0 + g.x1) / 2;
      return "M" + g.x0 + "," + g.y0 + "C" + xm + "," + g.y0 + " " + xm + "," + g.y1 + " " + g.x1 + "," + g.y1;
    }
    // a return loop: out to the right, down to its lane, back left, up into its target
    var R = Math.max(G.loop, g.w);
    return "M" + g.x0 + "," + g.y0 +
      "C" + (g.x0 + R) + "," + g.y0 + " " + (g.x0 + R) + "," + g.laneY + " " + g.x0 + "," + g.laneY +
      "L" + g.x1 + "," + g.laneY +
      "C" + (g.x1 - R) + "," + g.laneY + " " + (g.x1 - R) + "," + g.y1 + " " + g.x1 + "," + g.y1;
  }

  // ---- tooltips: DOM text, built when hovered ----------------------------------------------
  var tip = el("div", null, "eg-tip");
  tip.id = "eg-sankey-tip";
  tip.hidden = true;
  document.body.appendChild(tip);
  function showTip(heading, rows, ev) {
    while (tip.firstChild) tip.removeChild(tip.firstChild);
    tip.appendChild(el("h3", heading));
    var table = el("table");
    rows.forEach(function (row) {
      var tr = el("tr");
      tr.appendChild(el("th", row[0]));
      tr.appendChild(el("td", row[1]));
      table.appendChild(tr);
    });
    tip.appendChild(table);
    tip.hidden = false;
    var x = ev.clientX + 14, y = ev.clientY + 14;
    if (x + tip.offsetWidth > window.innerWidth) x = Math.max(0, ev.clientX - tip.offsetWidth - 14);
    if (y + tip.offsetHeight > window.innerHeight) y = Math.max(0, ev.clientY - tip.offsetHeight - 14);
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  }
  function hideTip() { tip.hidden = true; }

  // ---- drawing -----------------------------------------------------------------------------
  var drawn = null;  // {view, layout, labels: [{id, text, full, x, y, w, h, px}], nodes: Map}
  function cut(text, chars) {
    var cps = Array.from(text);
    return cps.length <= chars ? text : cps.slice(0, chars - 1).join("").replace(/\s+$/, "") + "\u2026";
  }
  function draw() {
    while (box.firstChild) box.removeChild(box.firstChild);
    drawn = null;
    var v = views.get(state.currency);
    if (!v) return;
    var L = layout(v, box.clientWidth, box.clientHeight);
    var nodes = new Map();
    v.nodes.forEach(function (n) { nodes.set(n.id, n); });
    var root = svg("svg", { width: L.width, height: L.height, viewBox: "0 0 " + L.width + " " + L.height,
                            "class": "eg-sankey-svg", role: "img" });
    root.appendChild(svg("title", {})).textContent =
      "Sankey view of the " + v.currency + " flows: band width is volume per " + v.period;
    var bandLayer = svg("g", { "class": "eg-bands" });
    v.bands.forEach(function (b) {
      var g = L.bands.get(b.id);
      var back = b.lane >= 0;
      var path = svg("path", {
        d: bandPath(g), fill: "none", "stroke-width": g.w,
        stroke: back ? S.return_color : nodes.get(b.source).color,
        "class": back ? "eg-band eg-return" : "eg-band"
      });
      path.dataset.id = b.id;
      bandLayer.appendChild(path);
      if (back) {  // a dashed centre line: a return loop reads as one even where it is thin
        var line = svg("path", { d: bandPath(g), fill: "none", stroke: S.return_color, "stroke-width": 1.2,
                                 "stroke-dasharray": "5 4", "class": "eg-return-line" });
        bandLayer.appendChild(line);
      }
    });
    root.appendChild(bandLayer);
    var barLayer = svg("g", { "class": "eg-bars" });
    v.nodes.forEach(function (n) {
      var b = L.bars.get(n.id);
      var rect = svg("rect", { x: b.x, y: b.y, width: b.w, height: Math.max(b.h, 0), fill: n.color, "class": "eg-bar" });
      rect.dataset.id = n.id;
      barLayer.appendChild(rect);
    });
    root.appendChild(barLayer);
    var labelLayer = svg("g", { "class": "eg-sankey-labels" });
    root.appendChild(labelLayer);
    box.appendChild(root);
    // labels right of their bar, shortened to the room before the next column
    var last = v.columns - 1;
    var labels = [];
    v.nodes.forEach(function (n) {
      var b = L.bars.get(n.id);
      var room = (n.column === last ? G.label_room : L.step - G.bar) - 10;
      var t = svg("text", { x: b.x + b.w + 4, y: b.y + b.h / 2, "dominant-baseline": "central", "class": "eg-sankey-label" });
      t.dataset.id = n.id;
      t.textContent = n.label;
      labelLayer.appendChild(t);
      if (t.getComputedTextLength() > room) {  // the longest cut that fits: a binary search
        var lo = 1, hi = Array.from(n.label).length - 1;
        while (lo < hi) {
          var mid = Math.ceil((lo + hi) / 2);
          t.textContent = cut(n.label, mid);
          if (t.getComputedTextLength() <= room) lo = mid; else hi = mid - 1;
        }
        t.textContent = cut(n.label, lo);
      }
      labels.push({ node: n, el: t });
    });
    var origin = box.getBoundingClientRect();
    var bandById = new Map();
    v.bands.forEach(function (b) { bandById.set(b.id, b); });
    litBar = null;
    drawn = {
      view: v, layout: L, nodes: nodes, bands: bandById,
      labels: labels.map(function (l) {
        var r = l.el.getBoundingClientRect();
        return { id: l.node.id, text: l.el.textContent, full: l.node.label,
                 x: r.left - origin.left + box.scrollLeft, y: r.top - origin.top + box.scrollTop, w: r.width, h: r.height,
                 px: parseFloat(getComputedStyle(l.el).fontSize) };
      })
    };
    // legend: the kinds of the bars drawn, the folded bars, the return loops
    var legend = byIdEl("eg-sankey-legend");
    while (legend.firstChild) legend.removeChild(legend.firstChild);
    var kinds = new Map();
    v.nodes.forEach(function (n) {
      var key = n.members.length ? "+N others (folded)" : n.kind;
      if (!kinds.has(key)) kinds.set(key, { color: n.color, count: 0 });
      kinds.get(key).count += 1;
    });
    function entry(swatch, text, count) {
      var li = el("li");
      li.appendChild(swatch);
      li.appendChild(el("span", text));
      if (count !== null) li.appendChild(el("span", count.toLocaleString(), "eg-count"));
      legend.appendChild(li);
    }
    kinds.forEach(function (k, name) {
      var sw = svg("svg", { width: 34, height: 16, viewBox: "0 0 34 16", "aria-hidden": "true" });
      sw.appendChild(svg("rect", { x: 14, y: 1, width: 7, height: 14, fill: k.color }));
      entry(sw, name, k.count);
    });
    var loops = v.bands.filter(function (b) { return b.lane >= 0; }).length;
    if (loops) {
      var sw = svg("svg", { width: 34, height: 16, viewBox: "0 0 34 16", "aria-hidden": "true" });
      sw.appendChild(svg("path", { d: "M4,8 H30", stroke: S.return_color, "stroke-width": 8, "stroke-opacity": 0.3 }));
      sw.appendChild(svg("path", { d: "M4,8 H30", stroke: S.return_color, "stroke-width": 1.2, "stroke-dasharray": "5 4" }));
      entry(sw, "loop: a flow closing a cycle", loops);
    }
    var notes = byIdEl("eg-sankey-notes");
    while (notes.firstChild) notes.removeChild(notes.firstChild);
    v.notes.forEach(function (t) { notes.appendChild(el("li", t)); });
    byIdEl("eg-sankey-text").textContent =
      "Band width: " + v.currency + " per " + v.period + (v.unit !== v.currency ? " (" + v.unit + ")" : "") +
      ", one scale for the whole view; bar height: what flows through the node (the larger of in and out). " +
      "Columns run from sources (left) to sinks (right); purple loops under the columns are flows that " +
      "close a cycle. Hover a band or a bar for its figures (a bar lights up its bands).";
  }
  // hovering a bar (or its label) lights up its bands and veils the others
  var litBar = null;
  function light(id) {
    if (id === litBar) return;
    litBar = id;
    var root = box.querySelector("svg");
    if (!root) return;
    root.classList.toggle("eg-veiled", id !== null);
    box.querySelectorAll("path.eg-band").forEach(function (p) {
      var b = drawn.bands.get(p.dataset.id);
      p.classList.toggle("eg-lit", id !== null && (b.source === id || b.target === id));
    });
  }
  box.addEventListener("mousemove", function (ev) {
    var t = ev.target;
    var id = t && t.dataset ? t.dataset.id : undefined;
    if (!drawn || id === undefined) { hideTip(); light(null); return; }
    var v = drawn.view;
    if (t.classList.contains("eg-band")) {
      var band = drawn.bands.get(id);
      showTip(drawn.nodes.get(band.source).label + " \u2192 " + drawn.nodes.get(band.target).label, band.tooltip, ev);
      tip.dataset.kind = "band";
      light(null);
    } else {
      var n = drawn.nodes.get(id);
      showTip(n.label, n.tooltip, ev);
      tip.dataset.kind = "bar";
      light(id);
    }
    tip.dataset.id = id;
  });
  box.addEventListener("mouseleave", function () { hideTip(); light(null); });
  box.addEventListener("scroll", hideTip);

  // ---- switching views -------------------------------------------------------------------------
  function show(which) {
    if (which === "sankey" && !S.views.length) return;
    state.view = which;
    document.body.classList.toggle("eg-view-sankey", which === "sankey");
    box.hidden = which !== "sankey";
    mapButton.setAttribute("aria-pressed", String(which === "map"));
    sankeyButton.setAttribute("aria-pressed", String(which === "sankey"));
    hideTip();
    if (which === "sankey") draw();
    else window.dispatchEvent(new Event("resize"));  // the map fits its area again
  }
  function setCurrency(c) {
    if (!views.has(c)) return;
    state.currency = c;
    select.value = c;
    if (state.view === "sankey") draw();
  }
  mapButton.addEventListener("click", function () { show("map"); });
  sankeyButton.addEventListener("click", function () { show("sankey"); });
  select.addEventListener("change", function () {
    setCurrency(select.value);
    if (state.view !== "sankey") show("sankey");
  });
  window.addEventListener("resize", function () { if (state.view === "sankey") draw(); });
  show(S.view === "sankey" && S.views.length ? "sankey" : "map");

  var api = {
    show: show, setCurrency: setCurrency,
    view: function () { return state.view; },
    currency: function () { return state.currency; },
    // what is drawn now, in pixels of the Sankey's area (its scrolled content)
    scale: function () { return drawn ? drawn.layout.scale : null; },
    bars: function () {
      if (!drawn) return [];
      return Array.from(box.querySelectorAll("rect.eg-bar")).map(function (r) {
        return { id: r.dataset.id, x: +r.getAttribute("x"), y: +r.getAttribute("y"),
                 w: +r.getAttribute("width"), h: +r.getAttribute("height") };
      });
    },
    bands: function () {
      if (!drawn) return [];
      return Array.from(box.querySelectorAll("path.eg-band")).map(function (p) {
        var b = drawn.bands.get(p.dataset.id);
        return { id: b.id, source: b.source, target: b.target, volume: b.volume, back: b.lane >= 0,
                 width: +p.getAttribute("stroke-width"), d: p.getAttribute("d"),
                 lit: p.classList.contains("eg-lit") };
      });
    },
    labels: function () { return drawn ? drawn.labels : []; }
  };
  if (window.ecograph) window.ecograph.sankey = api;
  else window.ecographSankey = api;
})();
