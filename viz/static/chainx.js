// Draws every network whose data sits in an inert JSON block (script.chainx-network), and
// wires the controls every graph page shares: hover details with links to each node's ego view,
// search, facet filters, a legend that toggles its classes, expand-in-place and PNG / SVG
// download. Text from the data only ever goes into the page as text (textContent), never as
// markup. A page opts into a control by what its nodes carry (generic fields, so any page
// built by viz/pages.py reuses them):
//   facets  {kind, status, tier, region, gap: display text}  -> the filter selects
//   cls     a legend key (li[data-key])                       -> the legend toggles
//   shapeCls  a second key when the shape tells another class than the colour
//   search  extra text to match (aliases)                     -> the search box
//   links   [{name, kind, href | command}]                    -> the details panel
//   kind    the node label, to expand from the API when served
(function () {
  "use strict";
  var chainx = { networks: [], ready: false, off: {}, facets: {}, expanded: [] };
  window.chainx = chainx;
  var details = document.getElementById("details");
  var body = document.body;
  // served pages name the API root (relative); a page written to a file has none
  var api = body.getAttribute("data-api");
  var styleBlock = document.getElementById("chainx-styles");
  var styles = styleBlock ? JSON.parse(styleBlock.textContent) : { kinds: {} };
  var FACETS = [["kind", "Kind 类型"], ["status", "Status 状态"], ["tier", "Tier 层级"], ["region", "Region 地区"], ["gap", "Gap 缺口"]];

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (cls) { node.className = cls; }
    return node;
  }
  function relative(url) {
    return typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/";
  }

  var linkBox = document.getElementById("details-links");
  function show(item) {
    if (!details) { return; }
    details.textContent = (item && item.title) || "";
    var links = (item && item.links) || [];
    if (!linkBox) { return; }
    linkBox.textContent = "";
    if (!links.length) { return; }
    var list = el("ul", null, "ego-links");
    links.forEach(function (link) {
      var li = el("li");
      if (relative(link.href)) {
        var a = el("a", link.name);
        a.setAttribute("href", link.href);
        li.appendChild(a);
      } else {
        li.appendChild(el("span", link.name + " "));
        if (link.command) { li.appendChild(el("code", link.command)); }
      }
      if (link.kind) { li.appendChild(el("span", " " + link.kind, "kind")); }
      list.appendChild(li);
    });
    linkBox.appendChild(el("div", "Ego views 关系网络:", "muted"));
    linkBox.appendChild(list);
  }

  var pending = 0;
  function settled() {
    pending -= 1;
    if (pending <= 0) { chainx.ready = true; body.setAttribute("data-ready", "1"); }
  }

  // -- visibility: the filter (one institute), the facets and the legend, combined -------------
  function visible(entry, node) {
    if (entry.keep && !entry.keep[node.id] && !entry.pinned[node.id]) { return false; }
    if (entry.pinned[node.id]) { return true; }
    if (node.fold && chainx.folded[node.fold]) { return false; }
    if (node.cls && chainx.off[node.cls]) { return false; }
    if (node.shapeCls && chainx.off[node.shapeCls]) { return false; }
    if (chainx.top && node.rank && node.rank > chainx.top) { return false; }
    var facets = node.facets || {};
    for (var name in chainx.facets) {
      if (chainx.facets[name] && facets[name] !== chainx.facets[name]) { return false; }
    }
    return true;
  }
  function refresh() {
    var count = 0;
    chainx.networks.forEach(function (entry) {
      entry.nodes.update(entry.nodes.get().map(function (node) {
        var shown = visible(entry, node);
        if (shown) { count += 1; }
        return { id: node.id, hidden: !shown };
      }));
      if (entry.edgeView) { entry.edgeView.refresh(); }
    });
    chainx.visible = count;
  }
  chainx.refresh = refresh;

  // -- expand a node's neighbours in place -------------------------------------------------------
  function styled(node) {
    var style = styles.kinds[node.kind] || { color: "#90a4ae", shape: "dot" };
    return {
      id: node.id, label: node.name, kind: node.kind, title: node.name + " (" + node.id + ")\n" + node.kind,
      shape: style.shape, color: { background: style.color, border: style.color }, size: 12,
      cls: style.cls, facets: { kind: node.kind }, links: node.links || [],
    };
  }
  function expand(entry, id) {
    var node = entry.nodes.get(id);
    if (!node) { return Promise.resolve(0); }
    entry.pinned[id] = true;
    // the page's own data first: neighbours drawn but hidden by a filter come back
    // (from the data: a neighbour folded into a cluster is not in the network)
    entry.edges.get({ fields: ["from", "to"], filter: function (e) { return e.from === id || e.to === id; } }).forEach(function (e) {
      entry.pinned[e.from === id ? e.to : e.from] = true;
    });
    var done = Promise.resolve(0);
    if (api !== null && node.kind) {
      var url = api + "/nodes/" + encodeURIComponent(node.kind) + "/" + encodeURIComponent(id) + "/neighbors?limit=50";
      done = fetch(url, { headers: { Accept: "application/json" } }).then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      }).then(function (data) {
        var added = (data.nodes || []).filter(function (n) { return !entry.nodes.get(n.id); }).map(function (n) {
          var item = styled(n);
          var href = styles.ego && styles.ego.replace("{kind}", encodeURIComponent(n.kind.toLowerCase())).replace("{id}", encodeURIComponent(n.id));
          if (href) { item.links = [{ name: n.name, kind: n.kind, href: href }]; }
          return item;
        });
        var at = entry.network.getPosition(id);
        added.forEach(function (item, i) {
          var angle = 2 * Math.PI * i / Math.max(added.length, 1);
          item.x = at.x + 160 * Math.cos(angle); item.y = at.y + 160 * Math.sin(angle);
          entry.pinned[item.id] = true;
        });
        entry.nodes.add(added);
        var edges = (data.relationships || []).filter(function (r) {
          return entry.nodes.get(r.source) && entry.nodes.get(r.target);
        }).map(function (r) {
          return { id: r.type + "|" + r.source + "|" + r.target + "|" + (r.key || ""), from: r.source, to: r.target, title: r.type };
        }).filter(function (e) { return !entry.edges.get(e.id); });
        entry.edges.add(edges);
        return added.length;
      }).catch(function (error) { show({ title: "Could not expand 无法展开: " + error.message }); return 0; });
    }
    return done.then(function (added) {
      refresh();
      chainx.expanded.push({ id: id, added: added });
      body.setAttribute("data-expanded", String(chainx.expanded.length));
      return added;
    });
  }
  chainx.expand = function (id) {
    var entry = chainx.networks.filter(function (n) { return n.nodes.get(id); })[0];
    return entry ? expand(entry, id) : Promise.resolve(0);
  };

  // -- clusters: the page names which nodes fold into which cluster (graph/views_data.py) ----------
  // A folded group is drawn as one node tied to its hub, its members hidden (so a 2,000-node
  // page draws a few hundred); a click on it opens it. vis-network's own clustering gives each
  // clustered node and edge new options one by one, a second on a big page, so it is not used.
  // The page's data (entry.nodes, entry.edges) holds every node; the network is handed views
  // of it without the members of a folded cluster and their edges, so it builds, measures and
  // draws only what shows (a 2,000-node page: a few dozen), and a member joins it when its
  // cluster opens.
  chainx.folded = {};
  chainx.clusters = function () { return Object.keys(chainx.folded).filter(function (id) { return chainx.folded[id]; }); };
  function away(node) { return !!(node && node.fold && chainx.folded[node.fold]); }
  function drawable(entry) {
    if (!Object.keys(styles.clusters || {}).length) { return { nodes: entry.nodes, edges: entry.edges }; }
    var folded = {};  // member id -> its cluster, for the edge filter (no DataSet lookups per edge)
    entry.nodes.get({ fields: ["id", "fold"], filter: function (n) { return !!n.fold; } }).forEach(function (n) { folded[n.id] = n.fold; });
    // a member found by the search or pinned by an expand joins the network without its cluster opening
    function gone(id) { return !!(folded[id] && chainx.folded[folded[id]] && !entry.pinned[id]); }
    entry.edgeView = new vis.DataView(entry.edges, { filter: function (e) { return !gone(e.from) && !gone(e.to); } });
    return { nodes: new vis.DataView(entry.nodes, { filter: function (n) { return !away(n) || !!entry.pinned[n.id]; } }), edges: entry.edgeView };
  }
  function fold(entry) {
    var spec = styles.clusters || {};
    var ids = Object.keys(spec);
    if (!ids.length) { return; }
    var at = {};
    entry.nodes.get({ fields: ["id", "fold", "x", "y"] }).forEach(function (node) {
      if (!node.fold || !spec[node.fold]) { return; }
      var sum = at[node.fold] = at[node.fold] || { x: 0, y: 0, n: 0 };
      if (typeof node.x === "number") { sum.x += node.x; sum.y += node.y; sum.n += 1; }
    });
    var nodes = [], edges = [];
    ids.forEach(function (id) {
      var c = spec[id];
      if (!at[id]) { return; }
      chainx.folded[id] = true;
      var node = {
        id: id, label: c.label, title: c.label + "\nclick to open 点击展开", shape: "dot", size: 18 + Math.min(20, Math.sqrt(c.count)),
        color: { background: "#ffffff", border: c.color }, borderWidth: 3, font: { size: 15, strokeWidth: 3, strokeColor: "#ffffff" },
        kind: null, facets: { kind: c.kind }, cluster: true,
      };
      if (typeof c.x === "number") { node.x = c.x; node.y = c.y; } else if (at[id].n) { node.x = at[id].x / at[id].n; node.y = at[id].y / at[id].n; }
      nodes.push(node);
      edges.push({ id: id + "|hub", from: c.hub, to: id, dashes: true, width: 2 });
    });
    entry.nodes.add(nodes);
    entry.edges.add(edges);
  }
  function foldClicks(entry) {
    if (!Object.keys(styles.clusters || {}).length) { return; }
    entry.network.on("click", function (params) {
      var id = params.nodes.length === 1 ? params.nodes[0] : null;
      if (!id || !chainx.folded[id]) { return; }
      // after vis has finished with the click: the node it selected goes away
      window.setTimeout(function () {
        entry.network.unselectAll();
        chainx.folded[id] = false;
        // the members around where the cluster was, on a circle that holds them
        var at = entry.network.getPosition(id);
        var members = entry.nodes.get({ filter: function (n) { return n.fold === id; } });
        var radius = Math.max(120, members.length * 28 / (2 * Math.PI));
        // the update brings the members into the network's view (the filter is read again)
        entry.nodes.update(members.map(function (n, i) {
          var angle = 2 * Math.PI * i / members.length;
          return { id: n.id, x: at.x + radius * Math.cos(angle), y: at.y + radius * Math.sin(angle) };
        }));
        if (entry.edgeView) { entry.edgeView.refresh(); }
        entry.edges.remove(id + "|hub");
        entry.nodes.remove(id);
        refresh();
        body.setAttribute("data-opened", String((Number(body.getAttribute("data-opened")) || 0) + 1));
      }, 0);
    });
  }

  // -- draw ------------------------------------------------------------------------------------
  var blocks = document.querySelectorAll("script.chainx-network");
  pending = blocks.length;
  Array.prototype.forEach.call(blocks, function (block) {
    var data = JSON.parse(block.textContent);
    var options = typeof data.options === "string" ? JSON.parse(data.options) : data.options;
    var container = document.getElementById(block.getAttribute("data-panel"));
    var nodes = new vis.DataSet(data.nodes);
    var edges = new vis.DataSet(data.edges);
    var entry = { panel: container.id, network: null, nodes: nodes, edges: edges, keep: null, pinned: {} };
    fold(entry);
    var network = entry.network = new vis.Network(container, drawable(entry), options);
    chainx.networks.push(entry);
    foldClicks(entry);

    network.on("hoverNode", function (params) { show(nodes.get(params.node)); });
    network.on("click", function (params) {
      if (params.nodes.length) { show(nodes.get(params.nodes[0])); }
      else if (params.edges.length) { show(edges.get(params.edges[0])); }
    });
    network.on("doubleClick", function (params) {
      if (params.nodes.length) { expand(entry, params.nodes[0]); }
    });
    var physics = options && options.physics;
    if (physics && physics.enabled === false) {
      network.once("afterDrawing", settled);
    } else {
      network.once("stabilizationIterationsDone", function () {
        network.setOptions({ physics: { enabled: false } });
        network.fit();
        settled();
      });
    }
  });
  if (blocks.length) { window.network = chainx.networks[0].network; } else { pending = 1; settled(); }

  // -- "Only this one": keep a node and its direct neighbours ----------------------------------
  var filter = document.getElementById("chainx-filter");
  function applyFilter() {
    var entry = chainx.networks.filter(function (n) { return n.panel === filter.getAttribute("data-panel"); })[0];
    if (!entry) { return; }
    var chosen = filter.value;
    entry.keep = null;
    entry.pinned = {};
    if (chosen && entry.nodes.get(chosen)) {
      entry.keep = {};
      entry.keep[chosen] = true;
      entry.network.getConnectedNodes(chosen).forEach(function (id) { entry.keep[id] = true; });
    }
    refresh();
  }
  if (filter) {
    filter.addEventListener("change", applyFilter);
    if (filter.value) { applyFilter(); }
  }

  var controls = document.getElementById("controls");
  if (!controls || !chainx.networks.length) { return; }

  // -- "top N per kind": flagged nodes carry their rank within their kind ---------------------
  var top = document.getElementById("chainx-top");
  if (top) {
    chainx.top = Number(top.value);
    top.addEventListener("input", function () {
      chainx.top = Number(top.value);
      document.getElementById("chainx-top-value").textContent = top.value;
      refresh();
    });
    refresh();
  }

  // -- search: name, alias or id; jump, highlight, focus ----------------------------------------
  function find(text) {
    var query = text.trim().toLowerCase();
    if (!query) { return null; }
    var best = null;
    chainx.networks.forEach(function (entry) {
      entry.nodes.get().forEach(function (node) {
        var name = String(node.label || "").replace(/^★ /, "").toLowerCase();
        var id = String(node.id).toLowerCase();
        var rank = name === query || id === query ? 0 : name.indexOf(query) >= 0 ? 1
          : (id + " " + String(node.search || "")).toLowerCase().indexOf(query) >= 0 ? 2 : 9;
        if (rank < 9 && (!best || rank < best.rank)) { best = { rank: rank, entry: entry, node: node }; }
      });
    });
    return best;
  }
  var search = document.getElementById("chainx-search");
  var result = document.getElementById("chainx-search-result");
  function jump() {
    var hit = find(search.value);
    if (!hit) { result.textContent = "Not found 未找到"; chainx.found = null; return; }
    if (hit.node.hidden) { hit.entry.pinned[hit.node.id] = true; refresh(); }
    hit.entry.network.selectNodes([hit.node.id]);
    hit.entry.network.focus(hit.node.id, { scale: 1.3, animation: false });
    show(hit.entry.nodes.get(hit.node.id));
    result.textContent = hit.node.label;
    chainx.found = hit.node.id;
  }
  if (search) {
    search.addEventListener("keydown", function (event) { if (event.key === "Enter") { event.preventDefault(); jump(); } });
    document.getElementById("chainx-search-go").addEventListener("click", jump);
  }

  // -- facet filters: only the facets the page's nodes carry ------------------------------------
  var values = {};
  chainx.networks.forEach(function (entry) {
    entry.nodes.get().forEach(function (node) {
      var facets = node.facets || {};
      for (var name in facets) {
        if (facets[name] === null || facets[name] === undefined || facets[name] === "") { continue; }
        (values[name] = values[name] || {})[facets[name]] = true;
      }
    });
  });
  FACETS.forEach(function (facet) {
    var seen = Object.keys(values[facet[0]] || {}).sort();
    if (seen.length < 2) { return; }
    var label = el("label", facet[1] + " ", "facet");
    var select = el("select");
    select.id = "chainx-facet-" + facet[0];
    select.setAttribute("data-facet", facet[0]);
    select.appendChild(el("option", "all 全部")).value = "";
    seen.forEach(function (value) { select.appendChild(el("option", value)).value = value; });
    select.addEventListener("change", function () { chainx.facets[facet[0]] = select.value; refresh(); });
    label.appendChild(select);
    controls.appendChild(label);
  });

  // -- the legend toggles its classes ----------------------------------------------------------
  Array.prototype.forEach.call(document.querySelectorAll("#legend li[data-key]"), function (li) {
    li.setAttribute("role", "button");
    li.setAttribute("tabindex", "0");
    function toggle() {
      var key = li.getAttribute("data-key");
      chainx.off[key] = !chainx.off[key];
      li.classList.toggle("off", chainx.off[key]);
      refresh();
    }
    li.addEventListener("click", toggle);
    li.addEventListener("keydown", function (event) { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); toggle(); } });
  });

  // -- download the current drawing ------------------------------------------------------------
  function fileName(ext) {
    return (body.className.replace("view-", "") || "chainx") + "." + ext;
  }
  function save(href, name) {
    var a = el("a");
    a.setAttribute("href", href);
    a.setAttribute("download", name);
    body.appendChild(a);
    a.click();
    body.removeChild(a);
  }
  function png() {
    // every panel's canvas, one above the other (compared regions line up as on the page),
    // painted on white: the canvases are transparent, and the picture must paste anywhere
    var canvases = chainx.networks.map(function (entry) { return document.querySelector("#" + entry.panel + " canvas"); });
    var copy = document.createElement("canvas");
    copy.width = Math.max.apply(null, canvases.map(function (c) { return c.width; }));
    copy.height = canvases.reduce(function (sum, c) { return sum + c.height; }, 0);
    var context = copy.getContext("2d");
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, copy.width, copy.height);
    var y = 0;
    canvases.forEach(function (canvas) { context.drawImage(canvas, 0, y); y += canvas.height; });
    save(copy.toDataURL("image/png"), fileName("png"));
  }
  function svg() {
    // the visible nodes and edges at their drawn positions, as vector shapes and text
    var entry = chainx.networks[0];
    var shown = entry.nodes.get({ filter: function (n) { return !n.hidden; } });
    var at = entry.network.getPositions(shown.map(function (n) { return n.id; }));
    var xs = [], ys = [];
    shown.forEach(function (n) { xs.push(at[n.id].x); ys.push(at[n.id].y); });
    var pad = 80, minX = Math.min.apply(null, xs) - pad, minY = Math.min.apply(null, ys) - pad;
    var width = Math.max.apply(null, xs) - minX + pad, height = Math.max.apply(null, ys) - minY + pad;
    var ns = "http://www.w3.org/2000/svg";
    var root = document.createElementNS(ns, "svg");
    root.setAttribute("xmlns", ns);
    root.setAttribute("viewBox", [minX, minY, width, height].join(" "));
    root.setAttribute("font-family", "sans-serif");
    function add(tag, attrs, text) {
      var item = document.createElementNS(ns, tag);
      for (var key in attrs) { item.setAttribute(key, attrs[key]); }
      if (text) { item.textContent = text; }
      root.appendChild(item);
    }
    entry.edges.get().forEach(function (e) {
      if (at[e.from] && at[e.to]) { add("line", { x1: at[e.from].x, y1: at[e.from].y, x2: at[e.to].x, y2: at[e.to].y, stroke: "#9aa5b1" }); }
    });
    shown.forEach(function (n) {
      var colour = (n.color && n.color.background) || "#90a4ae";
      var border = (n.color && n.color.border) || colour;
      add("circle", { cx: at[n.id].x, cy: at[n.id].y, r: n.size || 12, fill: colour, stroke: border });
      add("text", { x: at[n.id].x, y: at[n.id].y + (n.size || 12) + 14, "text-anchor": "middle", "font-size": 13 }, String(n.label || ""));
    });
    var text = new XMLSerializer().serializeToString(root);
    save("data:image/svg+xml;charset=utf-8," + encodeURIComponent(text), fileName("svg"));
  }
  document.getElementById("chainx-png").addEventListener("click", png);
  document.getElementById("chainx-svg").addEventListener("click", svg);
})();
