/* ecograph map page: draws the embedded Drawing with vis-network.
 *
 * Every user string reaches the DOM through textContent (or as canvas text drawn
 * by vis-network): nothing from the map is ever parsed as HTML.
 *
 * Ids are prototype-safe: every lookup keyed by an id is a Map (or an object
 * without a prototype), and vis-network, which keeps its items in plain objects
 * keyed by id, only ever sees ids with a prefix ("n:" for nodes, "e:" for pipes,
 * "r:" for rolled-up pipes, "s:" for membership springs), so a node named
 * "constructor", "__proto__" or "toString" is drawn like any other.
 *
 * Large drawings stay quick: the first state (collapsed groups) is computed before
 * vis-network sees any item, tooltips are built only when hovered, collapse and
 * filters update only the items that change, and the neighbourhood highlight is
 * painted over the canvas instead of restyling every item.
 */
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("ecograph-data").textContent);
  var FONT = getComputedStyle(document.body).getPropertyValue("--eg-font").trim() || "sans-serif";
  var PREFIX_ROLLED = "\u0000collapsed:";
  // the ids vis-network sees: "n:" node, "e:" pipe, "r:" rolled-up pipes, "s:" spring
  function NID(id) { return "n:" + id; }
  function EID(id) { return "e:" + id; }
  function RID(key) { return "r:" + key; }
  function SID(id) { return "s:" + id; }
  function nodeOf(vid) { return String(vid).slice(2); }

  // ---- small DOM helpers (text only) ----------------------------------------------------
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function byIdEl(id) { return document.getElementById(id); }
  var SVGNS = "http://www.w3.org/2000/svg";
  function svg(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    return e;
  }
  function fmt(x) {
    if (x === null || x === undefined) return "-";
    var a = Math.abs(x);
    var units = [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "k"]];
    for (var i = 0; i < units.length; i++) {
      if (a >= units[i][0]) return +(x / units[i][0]).toPrecision(3) + units[i][1];
    }
    return String(+x.toPrecision(3));
  }

  // ---- the model of the page -----------------------------------------------------------
  var nodeById = new Map();
  data.nodes.forEach(function (n) { nodeById.set(n.id, n); });
  var edgeById = new Map();
  data.edges.forEach(function (e) { edgeById.set(e.id, e); });
  var groupById = new Map();
  data.groups.forEach(function (g) { groupById.set(g.id, g); });
  var MARK_OF = Object.assign(Object.create(null), { bottlenecks: "bottleneck", blocked: "blocked", empty: "empty" });
  var kindsPresent = data.legend.filter(function (e) { return e.section === "kind"; });
  var currenciesPresent = data.legend.filter(function (e) { return e.section === "currency"; });
  var currencyStyle = new Map();
  currenciesPresent.forEach(function (e) { currencyStyle.set(e.key, e); });
  var state = {
    collapsed: new Set(data.groups.filter(function (g) { return g.collapsed; }).map(function (g) { return g.id; })),
    kinds: new Set(kindsPresent.map(function (e) { return e.key; })),
    currencies: new Set(currenciesPresent.map(function (e) { return e.key; })),
    focus: null,
    // the mark of the drawing's highlight starts ticked
    marks: new Set(data.legend.filter(function (e) { return e.section === "mark" && e.key === MARK_OF[data.highlight]; })
      .map(function (e) { return e.key; })),
    physics: !!data.physics,
    avoidPipes: true  // in the flow view, labels keep off the pipes where they can
  };
  var widthTop = new Map();
  data.edges.forEach(function (e) {
    if (e.volume !== null && e.volume > (widthTop.get(e.currency) || 0)) widthTop.set(e.currency, e.volume);
  });
  var rolledTop = new Map();  // the largest rolled-up volume per currency in the view
  function widthOf(currency, volume) {
    var top = Math.max(widthTop.get(currency) || 0, rolledTop.get(currency) || 0);
    if (volume === null || volume <= 0 || top <= 0) return 1;
    return Math.min(14, 1 + 11 * Math.sqrt(volume / top));
  }

  // ---- what is shown: collapse and filters -------------------------------------------------
  function rep(id) {
    var r = id;
    var p = nodeById.get(id).parent;
    while (p !== null) {
      if (state.collapsed.has(p)) r = p;
      p = nodeById.get(p).parent;
    }
    return r;
  }
  // the view: node and edge visibility, plus the rolled-up pipes of collapsed groups
  function computeView() {
    var reps = new Map();
    var nodesShown = new Set();
    data.nodes.forEach(function (n) {
      var r = rep(n.id);
      reps.set(n.id, r);
      if (r === n.id && state.kinds.has(n.kind)) nodesShown.add(n.id);
    });
    var edgesShown = new Set();
    var rolled = new Map();
    data.edges.forEach(function (e) {
      var rf = reps.get(e.from), rt = reps.get(e.to);
      if (rf === e.from && rt === e.to) {
        if (nodesShown.has(rf) && nodesShown.has(rt) && state.currencies.has(e.currency)) edgesShown.add(e.id);
        return;
      }
      if (rf === rt || !nodesShown.has(rf) || !nodesShown.has(rt) || !state.currencies.has(e.currency)) return;
      var key = PREFIX_ROLLED + rf + "\u0001" + rt + "\u0001" + e.currency + "\u0001" + (e.blocked ? 1 : 0);
      var acc = rolled.get(key);
      if (!acc) {
        acc = { id: key, from: rf, to: rt, currency: e.currency, blocked: e.blocked, volume: null,
                pipes: 0, bottleneck: false, empty: true, curve: 0 };
        rolled.set(key, acc);
      }
      if (e.volume !== null && !e.blocked) acc.volume = (acc.volume || 0) + e.volume;
      acc.pipes += e.pipes;
      acc.bottleneck = acc.bottleneck || e.bottleneck;
      acc.empty = acc.empty && !!e.empty;
    });
    rolledTop = new Map();
    rolled.forEach(function (acc) {
      if (acc.volume !== null && acc.volume > (rolledTop.get(acc.currency) || 0)) rolledTop.set(acc.currency, acc.volume);
    });
    // parallel rolled-up pipes between the same two nodes bend apart (as in Python's curves_apart)
    var pairs = new Map();
    rolled.forEach(function (acc) {
      var pair = acc.from < acc.to ? acc.from + "\u0001" + acc.to : acc.to + "\u0001" + acc.from;
      if (!pairs.has(pair)) pairs.set(pair, []);
      pairs.get(pair).push(acc);
    });
    pairs.forEach(function (list) {
      if (list.length < 2) return;
      var odd = list.length % 2;
      list.forEach(function (acc, slot) {
        var step = odd ? Math.floor((slot + 1) / 2) : Math.floor(slot / 2) + 1;
        var sign = odd ? (slot % 2 ? 1 : -1) : (slot % 2 ? -1 : 1);
        var low = acc.from < acc.to ? acc.from : acc.to;
        if (acc.from !== low) sign = -sign;
        acc.curve = step ? sign * Math.min(0.9, 0.18 * step) : 0;
      });
    });
    return { nodes: nodesShown, edges: edgesShown, rolled: rolled };
  }

  // ---- vis items ---------------------------------------------------------------------------
  function smoothOf(curve) {
    if (!curve) return { enabled: false };
    return { enabled: true, type: curve > 0 ? "curvedCW" : "curvedCCW", roundness: Math.abs(curve) };
  }
  function nodeLabel(n) {
    if (!state.collapsed.has(n.id) || !groupById.has(n.id)) return n.label;
    return n.label + " (+" + groupById.get(n.id).members.length.toLocaleString() + ")";
  }
  // a collapsed group is drawn as big as what it carries: its area is the sum of its
  // members' areas (each sized by the map's size metric), up to five times its own size
  var carried = new Map();
  data.groups.forEach(function (g) {
    var area = Math.pow(nodeById.get(g.id).size, 2);
    g.members.forEach(function (m) { area += Math.pow(nodeById.get(m).size, 2); });
    carried.set(g.id, Math.min(Math.sqrt(area), 5 * nodeById.get(g.id).size, 80));
  });
  function sizeNow(n) {
    return state.collapsed.has(n.id) && carried.has(n.id) ? carried.get(n.id) : n.size;
  }
  function nodeLook(n, shownNow) {
    var collapsed = state.collapsed.has(n.id) && groupById.has(n.id);
    // no vis-network label: the label layer below draws them (placed, never overlapping)
    return { id: NID(n.id), hidden: !shownNow, physics: shownNow, size: sizeNow(n),
             borderWidth: collapsed ? 4 : 1, shapeProperties: { borderDashes: collapsed ? [5, 3] : false } };
  }
  function visNode(n, shownNow) {
    var item = nodeLook(n, shownNow);
    item.x = n.x;
    item.y = n.y;
    item.shape = n.shape;
    item.color = { background: n.color, border: "#3d444d",
                   highlight: { background: n.color, border: "#000" }, hover: { background: n.color, border: "#000" } };
    return item;
  }
  function visEdge(e, shownNow, vid) {
    return {
      id: vid, from: NID(e.from), to: NID(e.to), width: e.bottleneck ? Math.max(e.width, 4) : e.width, hidden: !shownNow, physics: shownNow,
      color: { color: e.color, highlight: e.color, hover: e.color, inherit: false },
      dashes: e.dashes.length ? e.dashes : false,
      arrows: { to: { enabled: true, scaleFactor: 0.7 },
                middle: { enabled: e.blocked, type: "bar", scaleFactor: 1.4 } },
      smooth: smoothOf(e.curve),
      shadow: e.bottleneck ? { enabled: true, color: "rgba(255,31,142,0.6)", size: 12, x: 0, y: 0 } : false
    };
  }
  function rolledEdge(acc) {
    var style = currencyStyle.get(acc.currency);
    acc.width = widthOf(acc.currency, acc.volume);
    var color = acc.bottleneck ? data.colors.bottleneck : acc.blocked ? data.colors.blocked : style.color;
    return visEdge({ id: acc.id, from: acc.from, to: acc.to, width: widthOf(acc.currency, acc.volume),
                     color: color, dashes: style.dashes, blocked: acc.blocked, bottleneck: acc.bottleneck,
                     empty: acc.empty, curve: acc.curve }, true, RID(acc.id));
  }

  // ---- marks: a ticked mark makes its pipes (and their ends) stand out, the rest dimmed --------
  // Written into the data sets (node opacity, edge colour and width), so it shows at any zoom
  // and reads back from vis-network; only the items whose look changes are updated.
  function marked(e) {
    return (e.bottleneck && state.marks.has("bottleneck")) || (e.blocked && state.marks.has("blocked")) ||
      (e.empty && state.marks.has("empty"));
  }
  var nodeDimmed = new Set();
  var edgeLook = new Map();  // vis id -> "dim" | "lit" (absent: as drawn)
  function edgeStyle(e, vid, look) {
    var color = e.color;
    var width = e.bottleneck ? Math.max(e.width, 4) : e.width;
    if (look === "lit") {
      if (e.empty && state.marks.has("empty") && !e.blocked && !e.bottleneck) color = data.colors.empty;
      width = Math.max(width, 4);
    }
    var c = { color: color, highlight: color, hover: color, inherit: false };
    if (look === "dim") c.opacity = data.colors.dimmed;
    return { id: vid, color: c, width: width };
  }
  function applyMarks() {
    var lit = markedLit();
    var nodeUpdates = [];
    data.nodes.forEach(function (n) {
      var dim = lit !== null && !lit.nodes.has(n.id);
      if (dim === nodeDimmed.has(n.id)) return;
      if (dim) nodeDimmed.add(n.id); else nodeDimmed.delete(n.id);
      nodeUpdates.push({ id: NID(n.id), opacity: dim ? data.colors.dimmed : 1 });
    });
    if (nodeUpdates.length) nodes.update(nodeUpdates);
    var litEdges = new Set(lit === null ? [] : lit.edges);
    var edgeUpdates = [];
    function restyle(e, vid) {
      var look = lit === null ? "" : litEdges.has(vid) ? "lit" : "dim";
      if ((edgeLook.get(vid) || "") === look) return;
      if (look) edgeLook.set(vid, look); else edgeLook.delete(vid);
      edgeUpdates.push(edgeStyle(e, vid, look));
    }
    data.edges.forEach(function (e) { restyle(e, EID(e.id)); });
    view.rolled.forEach(function (acc) {
      var style = currencyStyle.get(acc.currency);
      restyle({ color: acc.bottleneck ? data.colors.bottleneck : acc.blocked ? data.colors.blocked : style.color,
                width: acc.width, bottleneck: acc.bottleneck, blocked: acc.blocked, empty: acc.empty }, RID(acc.id));
    });
    if (edgeUpdates.length) edges.update(edgeUpdates);
  }

  var view = computeView();
  var nodes = new vis.DataSet(data.nodes.map(function (n) { return visNode(n, view.nodes.has(n.id)); }));
  var edges = new vis.DataSet(data.edges.map(function (e) { return visEdge(e, view.edges.has(e.id), EID(e.id)); }));
  edges.add(Array.from(view.rolled.values()).map(rolledEdge));
  applyMarks();  // the highlight's mark starts ticked: the rest starts dimmed
  // membership springs: invisible edges that keep groups together once the user starts the
  // physics (the page opens on the drawing's positions, physics off)
  var springs = [];
  if (data.nodes.length <= 2000) {
    data.nodes.forEach(function (n) {
      if (n.parent === null) return;
      var p = nodeById.get(n.parent);
      var on = view.nodes.has(n.id) && view.nodes.has(n.parent);
      springs.push({ id: SID(n.id), from: NID(n.id), to: NID(n.parent), hidden: true, physics: on,
                     length: Math.max(60, Math.hypot(n.x - p.x, n.y - p.y)), member: n.id, group: n.parent });
    });
    edges.add(springs);
  }

  var container = byIdEl("eg-network");
  var big = data.nodes.length > 800 || data.edges.length > 3000;
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, {
    autoResize: true,
    interaction: { hover: true, hideEdgesOnDrag: big, hideEdgesOnZoom: big, multiselect: false,
                   navigationButtons: false },
    layout: { randomSeed: 1, improvedLayout: false, hierarchical: { enabled: false } },
    physics: {
      enabled: state.physics,
      solver: "forceAtlas2Based",
      forceAtlas2Based: { gravitationalConstant: -40, centralGravity: 0.004, springLength: 80,
                          springConstant: 0.06, damping: 0.6, avoidOverlap: 0.5 },
      stabilization: { enabled: true, iterations: 120, updateInterval: 40, fit: true },
      minVelocity: 1.5, maxVelocity: 40, timestep: 0.4
    },
    nodes: { font: { face: FONT, size: 13, color: "#1f2328", strokeWidth: 3, strokeColor: "#ffffff" },
             borderWidthSelected: 3 },
    edges: { selectionWidth: 2, hoverWidth: 0.5 }
  });

  function refresh() {
    var next = computeView();
    var nodeUpdates = [];
    data.nodes.forEach(function (n) {
      var was = view.nodes.has(n.id), now = next.nodes.has(n.id);
      var item = nodeLook(n, now);
      var current = nodes.get(NID(n.id));
      if (was !== now || current.borderWidth !== item.borderWidth) nodeUpdates.push(item);
    });
    if (nodeUpdates.length) nodes.update(nodeUpdates);
    var edgeUpdates = [];
    data.edges.forEach(function (e) {
      var was = view.edges.has(e.id), now = next.edges.has(e.id);
      if (was !== now) edgeUpdates.push({ id: EID(e.id), hidden: !now, physics: now });
    });
    springs.forEach(function (s) {
      var on = next.nodes.has(s.member) && next.nodes.has(s.group);
      if (on !== s.physics) { s.physics = on; edgeUpdates.push({ id: s.id, physics: on }); }
    });
    if (edgeUpdates.length) edges.update(edgeUpdates);
    var gone = [];
    view.rolled.forEach(function (acc, key) { if (!next.rolled.has(key)) gone.push(key); });
    var added = [];
    next.rolled.forEach(function (acc, key) {
      var old = view.rolled.get(key);
      if (!old || old.volume !== acc.volume || old.pipes !== acc.pipes || old.curve !== acc.curve ||
          old.width !== widthOf(acc.currency, acc.volume)) {
        if (old) gone.push(key);
        added.push(rolledEdge(acc));
      } else {
        acc.width = old.width;
      }
    });
    if (gone.length) edges.remove(gone.map(RID));
    if (added.length) edges.add(added);
    added.forEach(function (item) { edgeLook.delete(item.id); });
    view = next;
    applyMarks();
    rank();
    if (state.focus !== null && !view.nodes.has(state.focus)) state.focus = null;
    renderGroups();
    network.redraw();
  }

  // ---- tooltips: built when hovered, as DOM text ------------------------------------------------
  var tip = el("div", null, "eg-tip");
  tip.id = "eg-tip";
  tip.hidden = true;
  container.appendChild(tip);
  var mouse = { x: 0, y: 0 };
  container.addEventListener("mousemove", function (ev) {
    var box = container.getBoundingClientRect();
    mouse.x = ev.clientX - box.left;
    mouse.y = ev.clientY - box.top;
  });
  // what a tooltip shows for a vis-network id; null for a spring
  function rowsOf(vid) {
    var kind = vid.slice(0, 2), id = vid.slice(2);
    if (kind === "n:") {
      var n = nodeById.get(id);
      return { heading: nodeLabel(n), rows: n.tooltip };
    }
    var e = kind === "e:" ? edgeById.get(id) : null;
    var acc = kind === "r:" ? view.rolled.get(id) : null;
    if (!e && !acc) return null;
    var from = nodeById.get(e ? e.from : acc.from).label, to = nodeById.get(e ? e.to : acc.to).label;
    if (e) return { heading: from + " \u2192 " + to, rows: e.tooltip };
    return { heading: from + " \u2192 " + to, rows: [
      ["pipes", acc.pipes.toLocaleString() + " pipes rolled up (collapsed group)"],
      ["currency", acc.currency],
      ["volume per " + data.period, acc.volume === null ? "not given" : acc.volume.toLocaleString()]
    ] };
  }
  function showTip(vid) {
    vid = String(vid);
    var content = rowsOf(vid);
    if (content === null) return;
    tip.dataset.from = "map";
    while (tip.firstChild) tip.removeChild(tip.firstChild);
    tip.dataset.kind = vid.slice(0, 2) === "n:" ? "node" : "edge";
    tip.dataset.id = vid.slice(2);
    tip.appendChild(el("h3", content.heading));
    var table = el("table");
    content.rows.forEach(function (row) {
      var tr = el("tr");
      tr.appendChild(el("th", row[0]));
      tr.appendChild(el("td", row[1]));
      table.appendChild(tr);
    });
    tip.appendChild(table);
    tip.hidden = false;
    var x = mouse.x + 14, y = mouse.y + 14;
    var w = tip.offsetWidth, h = tip.offsetHeight;
    if (x + w > container.clientWidth) x = Math.max(0, mouse.x - w - 14);
    if (y + h > container.clientHeight) y = Math.max(0, mouse.y - h - 14);
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  }
  function hideTip() { tip.hidden = true; }
  network.on("hoverNode", function (p) { showTip(p.node); });
  network.on("hoverEdge", function (p) { showTip(p.edge); });
  network.on("blurNode", hideTip);
  network.on("blurEdge", hideTip);
  network.on("dragStart", hideTip);
  network.on("zoom", hideTip);
  container.addEventListener("mouseleave", hideTip);

  // ---- neighbourhood highlight: a veil over the map, the neighbourhood redrawn on top ------
  function neighbourhood(id) {
    var near = new Set([id]), lit = [];
    view.edges.forEach(function (eid) {
      var e = edgeById.get(eid);
      if (e.from === id || e.to === id) { near.add(e.from); near.add(e.to); lit.push(EID(eid)); }
    });
    view.rolled.forEach(function (acc, key) {
      if (acc.from === id || acc.to === id) { near.add(acc.from); near.add(acc.to); lit.push(RID(key)); }
    });
    return { nodes: near, edges: lit };
  }
  function highlight(id) {
    state.focus = id !== null && view.nodes.has(id) ? id : null;
    network.redraw();
  }
  // the marked pipes (bottleneck, blocked, empty) whose mark is ticked, with their ends
  function markedLit() {
    if (!state.marks.size) return null;
    var near = new Set(), lit = [];
    var on = marked;
    view.edges.forEach(function (eid) {
      var e = edgeById.get(eid);
      if (on(e)) { near.add(e.from); near.add(e.to); lit.push(EID(eid)); }
    });
    view.rolled.forEach(function (acc, key) {
      if (on(acc)) { near.add(acc.from); near.add(acc.to); lit.push(RID(key)); }
    });
    return { nodes: near, edges: lit };
  }
  // what stands out now: the clicked node's neighbourhood, else the marked pipes; null: all
  function litNow() {
    if (state.focus !== null) return neighbourhood(state.focus);
    return markedLit();
  }
  // a veil over the map, then the clicked node's neighbourhood drawn again on top of it
  // (ticked marks dim through the data sets instead: see applyMarks)
  network.on("afterDrawing", function (ctx) {
    if (state.focus === null) return;
    var lit = neighbourhood(state.focus);
    var body = network.body;
    var a = network.DOMtoCanvas({ x: 0, y: 0 });
    var b = network.DOMtoCanvas({ x: container.clientWidth, y: container.clientHeight });
    ctx.save();
    ctx.fillStyle = "rgba(255,255,255,0.78)";
    ctx.fillRect(a.x, a.y, b.x - a.x, b.y - a.y);
    ctx.restore();
    lit.edges.forEach(function (vid) { var e = body.edges[vid]; if (e) e.draw(ctx); });
    lit.edges.forEach(function (vid) { var e = body.edges[vid]; if (e) e.drawArrows(ctx); });
    lit.nodes.forEach(function (nid) {
      var n = body.nodes[NID(nid)];
      if (n) n.draw(ctx);
    });
  });

  // ---- header -------------------------------------------------------------------------
  byIdEl("eg-title").textContent = data.title;
  // inside a report the report's own header names the map: no second title block
  if (data.embedded) byIdEl("eg-header").hidden = true;
  var meta = byIdEl("eg-meta");
  meta.appendChild(el("span", "volumes per " + data.period));
  meta.appendChild(el("span", data.map_nodes.toLocaleString() + " nodes, " + data.map_pipes.toLocaleString() + " pipes"));
  if (data.files.length) {
    var files = el("span", "source" + (data.files.length > 1 ? "s: " : ": ") + data.files.join(", "));
    files.id = "eg-files";
    meta.appendChild(files);
  }
  if (data.description) {
    var d = byIdEl("eg-description");
    d.textContent = data.description;
    d.hidden = false;
  }
  data.notes.forEach(function (t) { byIdEl("eg-notes").appendChild(el("li", t)); });
  byIdEl("eg-size-text").textContent = data.size_text;
  byIdEl("eg-width-text").textContent = data.width_text;

  // ---- legend, doubling as filters ---------------------------------------------------------
  function swatch(entry) {
    var s = svg("svg", { width: 34, height: 16, viewBox: "0 0 34 16", "aria-hidden": "true" });
    if (entry.shape === "line") {
      var line = svg("line", { x1: 2, y1: 8, x2: 32, y2: 8, stroke: entry.color, "stroke-width": 3 });
      if (entry.dashes.length) line.setAttribute("stroke-dasharray", entry.dashes.map(function (x) { return x / 2; }).join(" "));
      s.appendChild(line);
      if (entry.key === "blocked") s.appendChild(svg("line", { x1: 17, y1: 2, x2: 17, y2: 14, stroke: entry.color, "stroke-width": 3 }));
      return s;
    }
    var c = { fill: entry.color, stroke: "#3d444d", "stroke-width": 1 };
    var shapes = Object.assign(Object.create(null), {
      dot: function () { return svg("circle", Object.assign({ cx: 17, cy: 8, r: 6 }, c)); },
      square: function () { return svg("rect", Object.assign({ x: 11, y: 2, width: 12, height: 12 }, c)); },
      hexagon: function () { return svg("polygon", Object.assign({ points: "11,8 14,2.8 20,2.8 23,8 20,13.2 14,13.2" }, c)); },
      triangle: function () { return svg("polygon", Object.assign({ points: "17,1.5 24,14 10,14" }, c)); },
      triangleDown: function () { return svg("polygon", Object.assign({ points: "10,2 24,2 17,14.5" }, c)); },
      diamond: function () { return svg("polygon", Object.assign({ points: "17,1 24,8 17,15 10,8" }, c)); },
      star: function () { return svg("polygon", Object.assign({ points: "17,1 19,6 24,6 20,9.5 21.5,15 17,11.5 12.5,15 14,9.5 10,6 15,6" }, c)); }
    });
    s.appendChild((shapes[entry.shape] || shapes.dot)());
    return s;
  }
  function legendList(listId, entries, set) {
    var list = byIdEl(listId);
    entries.forEach(function (entry) {
      var li = el("li");
      li.dataset.key = entry.key;
      var label = el("label");
      if (set) {
        var box = el("input");
        box.type = "checkbox";
        box.checked = set.has(entry.key);
        box.dataset.key = entry.key;
        box.addEventListener("change", function () {
          if (box.checked) set.add(entry.key); else set.delete(entry.key);
          refresh();
        });
        label.appendChild(box);
      }
      label.appendChild(swatch(entry));
      label.appendChild(el("span", entry.text));
      label.appendChild(el("span", entry.count.toLocaleString(), "eg-count"));
      li.appendChild(label);
      list.appendChild(li);
    });
  }
  legendList("eg-legend-kinds", kindsPresent, state.kinds);
  legendList("eg-legend-currencies", currenciesPresent, state.currencies);
  // ticking a mark makes its pipes stand out, everything else dimmed; a bottleneck
  // highlight starts ticked
  legendList("eg-legend-marks", data.legend.filter(function (e) { return e.section === "mark"; }), state.marks);

  // ---- groups panel ---------------------------------------------------------------------
  function toggle(id) {
    if (!groupById.has(id)) return false;
    if (state.collapsed.has(id)) state.collapsed.delete(id); else state.collapsed.add(id);
    refresh();
    return true;
  }
  var GROUPS_LISTED = 300;
  // the groups as the map's tree: each group followed by its subgroups, in map order
  var treeOrder = (function () {
    var sub = new Map(), roots = [];
    data.nodes.forEach(function (n) {
      if (!groupById.has(n.id)) return;
      var p = n.parent;
      while (p !== null && !groupById.has(p)) p = nodeById.get(p).parent;
      if (p === null) roots.push(n.id);
      else { if (!sub.has(p)) sub.set(p, []); sub.get(p).push(n.id); }
    });
    var out = [], stack = roots.slice().reverse().map(function (id) { return [id, 0]; });
    while (stack.length) {
      var top = stack.pop();
      out.push({ group: groupById.get(top[0]), level: top[1] });
      (sub.get(top[0]) || []).slice().reverse().forEach(function (c) { stack.push([c, top[1] + 1]); });
    }
    return out;
  })();
  function renderGroups() {
    byIdEl("eg-groups-section").hidden = !data.groups.length;
    var list = byIdEl("eg-groups");
    while (list.firstChild) list.removeChild(list.firstChild);
    treeOrder.slice(0, GROUPS_LISTED).forEach(function (t) {
      var g = t.group;
      var li = el("li");
      li.dataset.group = g.id;
      li.dataset.level = t.level;
      li.style.paddingLeft = (t.level * 14) + "px";
      var name = el("span", (t.level ? "\u2514 " : "") + g.label, "eg-name");
      name.title = g.label + " (" + g.id + ") \u2014 " + g.kind + ", " + g.members.length.toLocaleString() +
        " members, members of members included";
      name.addEventListener("click", function () { focusNode(g.id); });
      li.appendChild(name);
      li.appendChild(el("span", g.members.length.toLocaleString(), "eg-small"));
      var b = el("button", state.collapsed.has(g.id) ? "expand" : "collapse");
      b.type = "button";
      b.addEventListener("click", function () { toggle(g.id); });
      li.appendChild(b);
      list.appendChild(li);
    });
    if (treeOrder.length > GROUPS_LISTED) {
      list.appendChild(el("li", "\u2026 and " + (treeOrder.length - GROUPS_LISTED).toLocaleString() +
        " more groups (double-click one on the map)", "eg-small"));
    }
  }
  byIdEl("eg-collapse-all").addEventListener("click", function () {
    data.groups.forEach(function (g) { state.collapsed.add(g.id); });
    refresh();
  });
  byIdEl("eg-expand-all").addEventListener("click", function () {
    state.collapsed.clear();
    refresh();
  });

  // ---- folded long tail ---------------------------------------------------------------
  var foldedIndex = new Map();
  if (data.folds.length) {
    byIdEl("eg-folds-section").hidden = false;
    data.folds.forEach(function (f) {
      var li = el("li");
      var group = f.group === null ? "top level" : nodeById.get(f.group).label;
      var vol = Object.keys(f.volume).map(function (c) { return fmt(f.volume[c]) + " " + c; }).join(", ");
      var kinds = Object.keys(f.kinds).map(function (k) { return f.kinds[k].toLocaleString() + " " + k + "s"; }).join(", ");
      li.appendChild(el("span", kinds + " of " + group + (vol ? " (" + vol + ")" : ""), "eg-name"));
      var b = el("button", "show");
      b.type = "button";
      b.addEventListener("click", function () { focusNode(f.node); });
      li.appendChild(b);
      byIdEl("eg-folds").appendChild(li);
      f.ids.forEach(function (id) { foldedIndex.set(id, f.node); });
    });
  }

  // ---- search -------------------------------------------------------------------------
  function reveal(id) {
    var p = nodeById.get(id).parent;
    var changed = false;
    while (p !== null) {
      if (state.collapsed.delete(p)) changed = true;
      p = nodeById.get(p).parent;
    }
    var kind = nodeById.get(id).kind;
    if (!state.kinds.has(kind)) {
      state.kinds.add(kind);
      var boxes = document.querySelectorAll("#eg-legend-kinds input");
      boxes.forEach(function (box) { if (box.dataset.key === kind) box.checked = true; });
      changed = true;
    }
    if (changed) refresh();
  }
  function focusNode(id) {
    reveal(id);
    network.selectNodes([NID(id)]);
    highlight(id);
    network.focus(NID(id), { scale: Math.max(network.getScale(), 0.9), animation: false });
  }
  function search(query) {
    var q = query.trim().toLowerCase();
    var out = [];
    if (!q) return out;
    data.nodes.forEach(function (n) {
      if (n.kind !== "fold" && (n.id.toLowerCase().indexOf(q) >= 0 || n.label.toLowerCase().indexOf(q) >= 0)) {
        out.push({ id: n.id, node: n.id });
      }
    });
    foldedIndex.forEach(function (node, id) {
      if (id.toLowerCase().indexOf(q) >= 0) out.push({ id: id, node: node, folded: true });
    });
    return out;
  }
  var input = byIdEl("eg-search");
  var results = byIdEl("eg-results");
  var current = [];
  var SHOWN_RESULTS = 50;
  function showResults() {
    current = search(input.value);
    while (results.firstChild) results.removeChild(results.firstChild);
    current.slice(0, SHOWN_RESULTS).forEach(function (r, i) {
      var n = nodeById.get(r.node);
      var li = el("li");
      li.dataset.node = r.node;
      if (r.folded) li.dataset.folded = r.id;
      if (i === 0) li.className = "eg-active";
      li.appendChild(el("span", r.folded ? r.id : n.label));
      var where = r.folded ? "folded into " + n.label : (n.label === r.id ? "" : r.id + " \u00b7 ") + n.kind;
      li.appendChild(el("span", "  " + where, "eg-id"));
      li.addEventListener("click", function () { focusNode(r.node); });
      results.appendChild(li);
    });
    if (current.length > SHOWN_RESULTS) {
      results.appendChild(el("li", "\u2026 " + (current.length - SHOWN_RESULTS).toLocaleString() + " more", "eg-small"));
    }
    if (input.value.trim() && !current.length) results.appendChild(el("li", "no node matches", "eg-small"));
  }
  input.addEventListener("input", function () {
    showResults();
    // clearing the search clears what it lit up
    if (!input.value.trim()) { highlight(null); network.unselectAll(); }
  });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && current.length) focusNode(current[0].node);
    if (ev.key === "Escape") { input.value = ""; showResults(); highlight(null); network.unselectAll(); }
  });

  // ---- network events ---------------------------------------------------------------------
  network.on("click", function (params) {
    highlight(params.nodes.length ? nodeOf(params.nodes[0]) : null);
  });
  // the browser's own double-click (vis-network's double-tap timing misses slow pairs)
  container.addEventListener("dblclick", function (ev) {
    var box = container.getBoundingClientRect();
    var hit = network.getNodeAt({ x: ev.clientX - box.left, y: ev.clientY - box.top });
    if (hit !== undefined) toggle(nodeOf(hit));
  });
  var physicsButton = byIdEl("eg-physics");
  function setPhysics(on) {
    state.physics = on;
    network.setOptions({ physics: { enabled: on } });
    physicsButton.textContent = on ? "Freeze" : "Unfreeze";
    physicsButton.title = on ? "Stop the physics: nodes stay where they are" : "Let the physics move nodes again";
  }
  physicsButton.addEventListener("click", function () { setPhysics(!state.physics); });
  physicsButton.textContent = state.physics ? "Freeze" : "Unfreeze";
  // fit the visible map with its outlines and room for the labels at its edges
  function fitView() {
    var pos = network.getPositions();
    var maxHeight = 0;
    height.forEach(function (h) { maxHeight = Math.max(maxHeight, h); });
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    view.nodes.forEach(function (id) {
      var p = pos[NID(id)];
      if (!p) return;
      var n = nodeById.get(id);
      var r = sizeNow(n) + (n.parent !== null || groupById.has(id) ? 16 + 14 * maxHeight : 0);
      x0 = Math.min(x0, p.x - r); x1 = Math.max(x1, p.x + r);
      y0 = Math.min(y0, p.y - r); y1 = Math.max(y1, p.y + r);
    });
    if (!isFinite(x0)) { network.fit({ animation: false }); return; }
    var W = container.clientWidth, H = container.clientHeight;
    var mx = Math.min(110, W * 0.15), my = Math.min(26, H * 0.05);
    var scale = Math.min((W - 2 * mx) / Math.max(1, x1 - x0), (H - 2 * my) / Math.max(1, y1 - y0), 1.5);
    if (!(scale > 0) || !isFinite(scale)) { network.fit({ animation: false }); return; }
    network.moveTo({ position: { x: (x0 + x1) / 2, y: (y0 + y1) / 2 }, scale: scale, animation: false });
  }
  byIdEl("eg-fit").addEventListener("click", fitView);
  // until the user zooms or pans, the map keeps fitting its area (a page embedded in a report
  // or a notebook may get its size only after it has drawn)
  var autoFit = true;
  network.on("zoom", function () { autoFit = false; });
  network.on("dragEnd", function (p) { if (!p.nodes.length) autoFit = false; });
  window.addEventListener("resize", function () {
    if (!autoFit || document.body.dataset.ready !== "true") return;
    fitView();
    network.redraw();
  });

  // ---- group outlines: a soft hull around the visible members of each expanded group ---
  function hull(points) {
    points.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
    function cross(o, a, b) { return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]); }
    var lower = [], upper = [];
    points.forEach(function (p) {
      while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], p) <= 0) lower.pop();
      lower.push(p);
    });
    for (var i = points.length - 1; i >= 0; i--) {
      var p = points[i];
      while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], p) <= 0) upper.pop();
      upper.push(p);
    }
    upper.pop(); lower.pop();
    return lower.concat(upper);
  }
  function rgba(hex, a) {
    var v = parseInt(hex.slice(1), 16);
    return "rgba(" + (v >> 16 & 255) + "," + (v >> 8 & 255) + "," + (v & 255) + "," + a + ")";
  }
  var height = new Map();
  data.groups.slice().reverse().forEach(function (g) {
    var h = 0;
    g.members.forEach(function (m) { if (groupById.has(m)) h = Math.max(h, (height.get(m) || 0) + 1); });
    height.set(g.id, h);
  });
  var SPOKES = data.nodes.length > 800 ? 6 : 12;
  var outlines = new Map();  // group id -> its hull as drawn (canvas coordinates)
  network.on("beforeDrawing", function (ctx) {
    var body = network.body.nodes;
    outlines.clear();
    if (data.layout === "flow") return;  // a flow view places members by flow, not by group
    data.groups.forEach(function (g) {
      if (state.collapsed.has(g.id) || !view.nodes.has(g.id)) return;
      var pad = 16 + 14 * height.get(g.id);
      var pts = [];
      [g.id].concat(g.members).forEach(function (m) {
        if (!view.nodes.has(m)) return;
        var p = body[NID(m)];
        var r = sizeNow(nodeById.get(m)) + pad;
        for (var k = 0; k < SPOKES; k++) {
          pts.push([p.x + r * Math.cos(k * 2 * Math.PI / SPOKES), p.y + r * Math.sin(k * 2 * Math.PI / SPOKES)]);
        }
      });
      if (pts.length < 3) return;
      var h = hull(pts);
      outlines.set(g.id, h);
      ctx.beginPath();
      ctx.moveTo(h[0][0], h[0][1]);
      for (var i = 1; i < h.length; i++) ctx.lineTo(h[i][0], h[i][1]);
      ctx.closePath();
      ctx.fillStyle = rgba(nodeById.get(g.id).color, 0.07);
      ctx.strokeStyle = rgba(nodeById.get(g.id).color, 0.45);
      ctx.lineWidth = 1.5;
      ctx.fill();
      ctx.stroke();
    });
  });


  // ---- the label layer: names drawn at a readable size, placed so that none overlap -------
  // Drawn in screen pixels after vis-network has drawn the map. Group outlines are named
  // first (top level first), then nodes from the most important (the size metric) down;
  // a label that would overlap one already placed tries another side, then a shorter
  // text with an ellipsis (the full text is in the tooltip), and is otherwise left out.
  var LABEL_CHARS = 24, SHORT_CHARS = 10;
  var importance = [];
  function rank() {  // by the size drawn now (a collapsed group by what it carries)
    var order = data.nodes.map(function (n, i) { return { n: n, i: i, s: sizeNow(n) }; });
    order.sort(function (a, b) { return b.s - a.s || a.n.depth - b.n.depth || a.i - b.i; });
    importance = order.map(function (x) { return x.n; });
  }
  rank();
  var groupsByDepth = data.groups.slice().sort(function (a, b) { return a.depth - b.depth; });
  var drawn = [];  // what the last frame drew: {id, kind, text, full, x, y, w, h} in container pixels
  var widthCache = new Map();
  function cut(text, chars) {
    var cps = Array.from(text);
    return cps.length <= chars ? text : cps.slice(0, chars - 1).join("").replace(/\s+$/, "") + "\u2026";
  }
  function textWidth(ctx, font, text) {
    var key = font + "\u0001" + text;
    var w = widthCache.get(key);
    if (w === undefined) {
      ctx.font = font;
      w = ctx.measureText(text).width;
      if (widthCache.size > 50000) widthCache.clear();
      widthCache.set(key, w);
    }
    return w;
  }
  // a grid of placed boxes, so each test looks only at its neighbours
  function Placed(cell) { this.cell = cell; this.grid = new Map(); }
  Placed.prototype.keys = function (b, f) {
    for (var gx = Math.floor(b.x / this.cell); gx <= Math.floor((b.x + b.w) / this.cell); gx++) {
      for (var gy = Math.floor(b.y / this.cell); gy <= Math.floor((b.y + b.h) / this.cell); gy++) f(gx + "," + gy);
    }
  };
  Placed.prototype.free = function (b) {
    var grid = this.grid, ok = true;
    this.keys(b, function (k) {
      if (!ok) return;
      var list = grid.get(k);
      if (!list) return;
      for (var i = 0; i < list.length; i++) {
        var o = list[i];
        if (b.x < o.x + o.w && o.x < b.x + b.w && b.y < o.y + o.h && o.y < b.y + b.h) { ok = false; return; }
      }
    });
    return ok;
  };
  Placed.prototype.add = function (b) {
    var grid = this.grid;
    this.keys(b, function (k) { if (!grid.has(k)) grid.set(k, []); grid.get(k).push(b); });
  };
  // the pipes drawn now as short straight pieces in container pixels (arcs as their
  // quadratic curve, bent as the page bends them), in a grid of cells, with a test for
  // whether a box crosses any of them
  function pipeLines(body) {
    var cell = 48, grid = new Map(), lines = [];
    function add(a, b) {
      var k = lines.length;
      lines.push([a.x, a.y, b.x, b.y]);
      var steps = Math.max(1, Math.ceil(Math.hypot(b.x - a.x, b.y - a.y) / (cell / 2)));
      var seen = new Set();
      for (var i = 0; i <= steps; i++) {
        var key = Math.floor((a.x + (b.x - a.x) * i / steps) / cell) + "," +
          Math.floor((a.y + (b.y - a.y) * i / steps) / cell);
        if (seen.has(key)) continue;
        seen.add(key);
        if (!grid.has(key)) grid.set(key, []);
        grid.get(key).push(k);
      }
    }
    function pipe(from, to, curve) {
      var p = body[NID(from)], q = body[NID(to)];
      if (!p || !q) return;
      var A = network.canvasToDOM({ x: p.x, y: p.y }), B = network.canvasToDOM({ x: q.x, y: q.y });
      if (!curve) { add(A, B); return; }
      var cx = (A.x + B.x) / 2 + curve * (B.y - A.y), cy = (A.y + B.y) / 2 - curve * (B.x - A.x);
      var prev = A;
      for (var i = 1; i <= 8; i++) {
        var t = i / 8;
        var next = { x: (1 - t) * (1 - t) * A.x + 2 * (1 - t) * t * cx + t * t * B.x,
                     y: (1 - t) * (1 - t) * A.y + 2 * (1 - t) * t * cy + t * t * B.y };
        add(prev, next);
        prev = next;
      }
    }
    view.edges.forEach(function (id) { var e = edgeById.get(id); pipe(e.from, e.to, e.curve); });
    view.rolled.forEach(function (acc) { pipe(acc.from, acc.to, acc.curve); });
    function hits(l, b) {  // does the piece l cross (or lie in) the box b?
      var x0 = b.x, y0 = b.y, x1 = b.x + b.w, y1 = b.y + b.h;
      var t0 = 0, t1 = 1, dx = l[2] - l[0], dy = l[3] - l[1];
      var ps = [-dx, dx, -dy, dy], qs = [l[0] - x0, x1 - l[0], l[1] - y0, y1 - l[1]];
      for (var i = 0; i < 4; i++) {  // Liang-Barsky clipping
        if (ps[i] === 0) { if (qs[i] < 0) return false; continue; }
        var r = qs[i] / ps[i];
        if (ps[i] < 0) { if (r > t1) return false; if (r > t0) t0 = r; }
        else { if (r < t0) return false; if (r < t1) t1 = r; }
      }
      return true;
    }
    return {
      lines: lines,
      crosses: function (b) {
        for (var gx = Math.floor(b.x / cell); gx <= Math.floor((b.x + b.w) / cell); gx++) {
          for (var gy = Math.floor(b.y / cell); gy <= Math.floor((b.y + b.h) / cell); gy++) {
            var list = grid.get(gx + "," + gy);
            if (!list) continue;
            for (var i = 0; i < list.length; i++) if (hits(lines[list[i]], b)) return true;
          }
        }
        return false;
      }
    };
  }
  function labelPx() { return Math.max(12, Math.min(16, 13 * network.getScale())); }
  function drawLabels(ctx) {
    var W = container.clientWidth, H = container.clientHeight;
    var scale = network.getScale();
    var px = labelPx(), gap = 2, pad = 1;
    var nodeFont = px + "px " + FONT, groupFont = "600 " + (px + 1) + "px " + FONT;
    var placed = new Placed(64);
    var out = [];
    var lit = litNow();
    var hood = lit === null ? null : lit.nodes;
    // in the flow view, the pipes as drawn (screen pixels): a label keeps off them where it can
    var pipes = state.avoidPipes && data.layout === "flow" ? pipeLines(network.body.nodes) : null;
    // try the candidate spots (left-top corners) with the full text, then with a short one;
    // in the flow view first only spots that cross no pipe, then any free spot
    function place(id, kind, full, font, h, spots) {
      var texts = [cut(full, LABEL_CHARS)];
      var short = cut(full, SHORT_CHARS);
      if (short !== texts[0]) texts.push(short);
      for (var pass = pipes === null ? 1 : 0; pass < 2; pass++) {
        for (var t = 0; t < texts.length; t++) {
          var w = textWidth(ctx, font, texts[t]);
          for (var s = 0; s < spots.length; s++) {
            var c = spots[s](w);
            var b = { id: id, kind: kind, text: texts[t], full: full, font: font,
                      x: c[0] - pad, y: c[1] - pad, w: w + 2 * pad, h: h + 2 * pad };
            if (b.x + b.w < 0 || b.y + b.h < 0 || b.x > W || b.y > H) return null;  // off screen
            if (b.x < 0 || b.y < 0 || b.x + b.w > W || b.y + b.h > H) continue;  // would be clipped
            if (pass === 0 && pipes.crosses(b)) continue;
            if (placed.free(b)) { placed.add(b); out.push(b); return b; }
          }
        }
      }
      return null;
    }
    ctx.save();
    var ratio = network.canvas.pixelRatio || window.devicePixelRatio || 1;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.textBaseline = "top";
    ctx.lineJoin = "round";
    // group outlines: the name just above the outline's top, else below its bottom,
    // else inside its top, else beside it
    var gh = px + 3;
    groupsByDepth.forEach(function (g) {
      var h = outlines.get(g.id);
      if (!h) return;
      var top = h[0], bottom = h[0], left = h[0], right = h[0];
      h.forEach(function (p) {
        if (p[1] < top[1]) top = p;
        if (p[1] > bottom[1]) bottom = p;
        if (p[0] < left[0]) left = p;
        if (p[0] > right[0]) right = p;
      });
      var T = network.canvasToDOM({ x: top[0], y: top[1] }), B = network.canvasToDOM({ x: bottom[0], y: bottom[1] });
      var L = network.canvasToDOM({ x: left[0], y: left[1] }), R = network.canvasToDOM({ x: right[0], y: right[1] });
      place(g.id, "group", nodeById.get(g.id).label, groupFont, gh, [
        function (w) { return [T.x - w / 2, T.y - gh - gap]; },
        function (w) { return [B.x - w / 2, B.y + gap]; },
        function (w) { return [T.x - w / 2, T.y + gap]; },
        function (w) { return [L.x - w - gap, L.y - gh / 2]; },
        function (w) { return [R.x + gap, R.y - gh / 2]; },
        function (w) { return [B.x - w / 2, B.y - gh - gap]; }
      ]);
    });
    // nodes: the neighbourhood of the focus first, then by importance
    var order = hood === null ? importance : importance.filter(function (n) { return hood.has(n.id); })
      .concat(importance.filter(function (n) { return !hood.has(n.id); }));
    var nh = px + 2;
    var body = network.body.nodes;
    var named = new Set(out.map(function (b) { return b.id; }));
    // the nodes themselves are obstacles: a label never covers another node
    var spots = [];
    for (var j = 0; j < order.length; j++) {
      var m = order[j];
      if (!view.nodes.has(m.id) || !body[NID(m.id)]) continue;
      var Q = network.canvasToDOM({ x: body[NID(m.id)].x, y: body[NID(m.id)].y });
      var q = sizeNow(m) * scale;
      if (Q.x + q + 400 < 0 || Q.y + q + 40 < 0 || Q.x - q - 400 > W || Q.y - q - 40 > H) continue;
      spots.push({ n: m, P: Q, r: q });
      if (q >= 2) placed.add({ x: Q.x - q * 0.8, y: Q.y - q * 0.8, w: q * 1.6, h: q * 1.6 });
    }
    for (var i = 0; i < spots.length; i++) {
      var n = spots[i].n, P = spots[i].P, r = spots[i].r;
      if (named.has(n.id)) continue;  // an expanded group: its outline carries the name
      // below, right, above, left; then the four corners (diagonally off the node)
      var d = r * 0.72 + gap;
      place(n.id, "node", nodeLabel(n), nodeFont, nh, [
        function (w) { return [P.x - w / 2, P.y + r + gap]; },
        function (w) { return [P.x + r + gap + 1, P.y - nh / 2]; },
        function (w) { return [P.x - w / 2, P.y - r - gap - nh]; },
        function (w) { return [P.x - r - gap - 1 - w, P.y - nh / 2]; },
        function () { return [P.x + d, P.y + d]; },
        function (w) { return [P.x - d - w, P.y + d]; },
        function () { return [P.x + d, P.y - d - nh]; },
        function (w) { return [P.x - d - w, P.y - d - nh]; }
      ]);
    }
    out.forEach(function (b) {
      var dim = hood !== null && !(b.kind === "node" && hood.has(b.id));
      ctx.globalAlpha = dim ? 0.3 : 1;
      ctx.font = b.font;
      ctx.strokeStyle = "rgba(255,255,255,0.92)";
      ctx.lineWidth = 3;
      ctx.strokeText(b.text, b.x + pad, b.y + pad);
      ctx.fillStyle = b.kind === "group" ? shade(nodeById.get(b.id).color) : "#1f2328";
      ctx.fillText(b.text, b.x + pad, b.y + pad);
    });
    ctx.restore();
    drawn = out;
  }
  // a group's colour made dark enough to read as text on white
  function shade(hex) {
    var v = parseInt(hex.slice(1), 16);
    var k = 0.55;
    return "rgb(" + Math.round((v >> 16 & 255) * k) + "," + Math.round((v >> 8 & 255) * k) + "," + Math.round((v & 255) * k) + ")";
  }
  network.on("afterDrawing", drawLabels);
  function labelAt(x, y) {
    for (var i = drawn.length - 1; i >= 0; i--) {
      var b = drawn[i];
      if (x >= b.x && x <= b.x + b.w && y >= b.y && y <= b.y + b.h) return b;
    }
    return null;
  }
  // hovering a label shows the tooltip of its node or group: the full name and more
  var overLabel = null;
  container.addEventListener("mousemove", function () {
    var b = labelAt(mouse.x, mouse.y);
    if (b === overLabel) return;
    overLabel = b;
    if (b) showTip(NID(b.id)); else if (tip.dataset.from === "label") hideTip();
    if (b) tip.dataset.from = "label";
  });

  // ---- start ------------------------------------------------------------------------
  var api = {
    ready: false, network: network, nodes: nodes, edges: edges, data: data,
    counts: function () {
      return { nodes: network.body.nodeIndices.length, edges: network.body.edgeIndices.length };
    },
    shown: function () {
      return { nodes: Array.from(view.nodes).sort(),
               edges: Array.from(view.edges).concat(Array.from(view.rolled.keys())).sort() };
    },
    rolled: function () {
      return Array.from(view.rolled.values()).map(function (a) {
        return { from: a.from, to: a.to, currency: a.currency, volume: a.volume, pipes: a.pipes, blocked: a.blocked,
                 width: a.width };
      });
    },
    collapsed: function () { return Array.from(state.collapsed).sort(); },
    // the labels drawn in the last frame, boxes in pixels of the map's area
    labels: function () {
      network.redraw();  // synchronous: the labels of the view as it is now
      return drawn.map(function (b) {
        return { id: b.id, kind: b.kind, text: b.text, full: b.full, x: b.x, y: b.y, w: b.w, h: b.h,
                 px: parseFloat(b.font.replace(/^600 /, "")) };
      });
    },
    // the group outlines drawn in the last frame: [id, bounding box in pixels of the map's area]
    outlines: function () {
      return Array.from(outlines.entries()).map(function (entry) {
        var xs = [], ys = [];
        entry[1].forEach(function (p) {
          var d = network.canvasToDOM({ x: p[0], y: p[1] });
          xs.push(d.x); ys.push(d.y);
        });
        var x = Math.min.apply(null, xs), y = Math.min.apply(null, ys);
        return [entry[0], { x: x, y: y, w: Math.max.apply(null, xs) - x, h: Math.max.apply(null, ys) - y }];
      });
    },
    focused: function () { return state.focus; },
    // the pipes standing out (vis ids without prefix) and the nodes with them; null: none
    lit: function () {
      var l = litNow();
      return l === null ? null : { nodes: Array.from(l.nodes).sort(),
                                   edges: l.edges.map(function (v) { return v.slice(2); }).sort() };
    },
    neighbourhood: function () { return state.focus === null ? [] : Array.from(neighbourhood(state.focus).nodes).sort(); },
    // positions and selection by node id (vis-network's own are by its prefixed ids)
    visId: NID,
    positions: function () {  // [[id, {x, y}], ...]: pairs, since "__proto__" can be an id
      var pos = network.getPositions();
      return Object.keys(pos).map(function (vid) { return [nodeOf(vid), pos[vid]]; });
    },
    selected: function () { return network.getSelectedNodes().map(nodeOf); },
    // labels keeping off the pipes in the flow view (on by default), and the pipes as the
    // straight pieces they are tested against: [x0, y0, x1, y1] in pixels of the map's area
    avoidPipes: function (on) { state.avoidPipes = !!on; network.redraw(); },
    pipeLines: function () { return pipeLines(network.body.nodes).lines; },
    toggle: toggle, search: search, focus: focusNode, setPhysics: setPhysics,
    physics: function () { return state.physics; }
  };
  window.ecograph = api;
  // served by `ecograph render --watch`: reload when the map has been rendered again
  if (data.live !== null && data.live !== undefined && /^https?:$/.test(location.protocol)) {
    setInterval(function () {
      fetch("/__ecograph/generation", { cache: "no-store" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (t) { if (t !== null && +t !== data.live) location.reload(); })
        .catch(function () { /* the watcher stopped: keep the page as it is */ });
    }, 1000);
  }
  renderGroups();
  function done() {
    if (api.ready) return;
    fitView();
    network.redraw();  // synchronous: the labels of the first view are placed before "ready"
    api.ready = true;
    document.body.dataset.ready = "true";
  }
  if (state.physics) {
    // the same fixed number of steps from the same positions: the same picture every time;
    // then rest until the user drags a node (physics stays on) or freezes it
    network.once("stabilizationIterationsDone", function () {
      network.stopSimulation();
      done();
    });
    setTimeout(done, 20000);
  } else {
    network.once("afterDrawing", done);
    setTimeout(done, 3000);
  }
})();
