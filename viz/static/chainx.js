// Draws every network whose data sits in an inert JSON block (script.chainx-network), and
// wires hover details and the filter. Text from the data only ever goes into the
// page as text (textContent), never as markup.
(function () {
  "use strict";
  var chainx = { networks: [], ready: false };
  window.chainx = chainx;
  var details = document.getElementById("details");

  function show(text) {
    if (details) { details.textContent = text || ""; }
  }

  var pending = 0;
  function settled() {
    pending -= 1;
    if (pending <= 0) { chainx.ready = true; document.body.setAttribute("data-ready", "1"); }
  }

  var blocks = document.querySelectorAll("script.chainx-network");
  pending = blocks.length;
  Array.prototype.forEach.call(blocks, function (block) {
    var data = JSON.parse(block.textContent);
    var options = typeof data.options === "string" ? JSON.parse(data.options) : data.options;
    var container = document.getElementById(block.getAttribute("data-panel"));
    var nodes = new vis.DataSet(data.nodes);
    var edges = new vis.DataSet(data.edges);
    var network = new vis.Network(container, { nodes: nodes, edges: edges }, options);
    var entry = { panel: container.id, network: network, nodes: nodes, edges: edges };
    chainx.networks.push(entry);

    network.on("hoverNode", function (params) { show((nodes.get(params.node) || {}).title); });
    network.on("click", function (params) {
      if (params.nodes.length) { show((nodes.get(params.nodes[0]) || {}).title); }
      else if (params.edges.length) { show((edges.get(params.edges[0]) || {}).title); }
    });
    network.on("doubleClick", function (params) {
      var node = params.nodes.length ? nodes.get(params.nodes[0]) : null;
      // urls are built by chainx as relative paths; anything else is ignored
      if (node && typeof node.url === "string" && node.url.charAt(0) === "/" && node.url.charAt(1) !== "/") {
        window.location.href = node.url;
      }
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

  // "Only this one": keep a node and its direct neighbours, hide the rest.
  var filter = document.getElementById("chainx-filter");
  function applyFilter() {
    var entry = chainx.networks.filter(function (n) { return n.panel === filter.getAttribute("data-panel"); })[0];
    if (!entry) { return; }
    var chosen = filter.value;
    var keep = null;
    if (chosen && entry.nodes.get(chosen)) {
      keep = {};
      keep[chosen] = true;
      entry.network.getConnectedNodes(chosen).forEach(function (id) { keep[id] = true; });
    }
    entry.nodes.update(entry.nodes.getIds().map(function (id) {
      return { id: id, hidden: keep !== null && !keep[id] };
    }));
    chainx.visible = entry.nodes.get({ filter: function (n) { return !n.hidden; } }).length;
  }
  if (filter) {
    filter.addEventListener("change", applyFilter);
    if (filter.value) { applyFilter(); }
  }
})();
