/*
 * Station Planner: the what-if map. Click a candidate to make it a station, a station to remove it; the panel,
 * the homes' colours and the walking areas follow at once. No framework, no network: Leaflet and this file.
 *
 * window.StationPlannerWhatIf(map, data, groups) returns the page's API (window.stationPlanner):
 *   toggle(site_id) -> state()   add the site as a station, or remove it
 *   reset()         -> state()   back to the proposed plan
 *   state()         -> {stations, population_covered, covered_share, assigned, newly_covered, newly_uncovered,
 *                       areas: [{name, population, population_covered, covered_share}, ...]}
 *   marginal(site_id) -> residents the click would cover (+) or leave uncovered (-) right now
 *   status(site_id)   -> candidate | proposed | added | existing | removed | dropped
 *   sites(), where(site_id) -> every site_id; where a site is drawn ({x, y}, page coordinates)
 * The figures are those of planner.evaluate(coverage, stations) for the same stations; with --areas, each area's
 * those of areas.csv (its homes, covered within the walk), and the map's areas layer is recoloured to match.
 * data: see planner/maps/whatif.py (whatif_payload): typed arrays as base64 of little-endian bytes.
 */
(function () {
  "use strict";

  var SIZES = {u8: 1, u16: 2, i32: 4, f32: 4, f64: 8};

  /* base64 of little-endian bytes -> a typed array (read through a DataView: the same on any platform) */
  function decode(b64, kind) {
    var s = atob(b64), n = s.length, raw = new Uint8Array(n), i;
    for (i = 0; i < n; i++) { raw[i] = s.charCodeAt(i); }
    if (kind === "u8") { return raw; }
    var view = new DataView(raw.buffer), m = n / SIZES[kind], out;
    if (kind === "u16") { out = new Uint16Array(m); for (i = 0; i < m; i++) { out[i] = view.getUint16(2 * i, true); } }
    else if (kind === "i32") { out = new Int32Array(m); for (i = 0; i < m; i++) { out[i] = view.getInt32(4 * i, true); } }
    else if (kind === "f32") { out = new Float32Array(m); for (i = 0; i < m; i++) { out[i] = view.getFloat32(4 * i, true); } }
    else { out = new Float64Array(m); for (i = 0; i < m; i++) { out[i] = view.getFloat64(8 * i, true); } }
    return out;
  }

  function esc(text) {
    return String(text).replace(/[&<>"'`]/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; });
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) { return key in values ? values[key] : all; });
  }

  var whole = new Intl.NumberFormat("en-US", {maximumFractionDigits: 0});
  function people(v) { return whole.format(Math.round(v)); }
  function percent(v) { return (100 * v).toFixed(1) + "%"; }

  /* a CSV field, quoted when it must be */
  function field(value) {
    var s = String(value);
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }

  function download(name, text, type) {
    var a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([text], {type: type}));
    a.download = name;
    a.style.display = "none";
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 2000);
  }

  /* the coverage: rows (homes, nearest first) as given, and columns (sites) built from them */
  function Coverage(data) {
    this.nH = data.n_homes;
    this.nS = data.n_sites;
    this.indptr = decode(data.indptr, "i32");
    this.indices = decode(data.indices, data.index_type);
    this.pop = decode(data.home_pop, "f64");
    var nnz = this.indices.length, ptr = new Int32Array(this.nS + 1), home = new Int32Array(nnz), h, k;
    for (k = 0; k < nnz; k++) { ptr[this.indices[k] + 1]++; }
    for (k = 0; k < this.nS; k++) { ptr[k + 1] += ptr[k]; }
    var next = ptr.slice(0, this.nS);
    for (h = 0; h < this.nH; h++) {
      for (k = this.indptr[h]; k < this.indptr[h + 1]; k++) { home[next[this.indices[k]]++] = h; }
    }
    this.colPtr = ptr;
    this.colHome = home;
    this.total = 0;
    for (h = 0; h < this.nH; h++) { this.total += this.pop[h]; }
  }

  /* which sites are stations, and what follows: per home the stations within the walk and the nearest one */
  function Choice(cov) {
    this.cov = cov;
    this.chosen = new Uint8Array(cov.nS);
    this.count = new Int32Array(cov.nH);
    this.nearest = new Int32Array(cov.nH).fill(-1);
  }
  Choice.prototype.first = function (h) {
    var c = this.cov;
    for (var k = c.indptr[h]; k < c.indptr[h + 1]; k++) {
      if (this.chosen[c.indices[k]]) { return c.indices[k]; }
    }
    return -1;
  };
  /* flip site s; returns the homes whose coverage changed */
  Choice.prototype.flip = function (s) {
    var c = this.cov, on = this.chosen[s] ^= 1, step = on ? 1 : -1, changed = [];
    for (var k = c.colPtr[s]; k < c.colPtr[s + 1]; k++) {
      var h = c.colHome[k];
      this.count[h] += step;
      this.nearest[h] = this.first(h);
      if (this.count[h] === (on ? 1 : 0)) { changed.push(h); }
    }
    return changed;
  };
  /* residents site s would cover (not a station) or leave uncovered (a station) if clicked now */
  Choice.prototype.marginal = function (s) {
    var c = this.cov, want = this.chosen[s] ? 1 : 0, sum = 0;
    for (var k = c.colPtr[s]; k < c.colPtr[s + 1]; k++) {
      if (this.count[c.colHome[k]] === want) { sum += c.pop[c.colHome[k]]; }
    }
    return sum;
  };

  function create(map, data, groups) {
    var L = window.L, words = data.labels, cov = new Coverage(data), choice = new Choice(cov);
    var nS = cov.nS, nH = cov.nH, ids = data.site_id, names = data.name;
    var existing = decode(data.existing, "u8"), proposed = decode(data.proposed, "u8");
    var column = {};
    ids.forEach(function (id, s) { column[id] = s; });
    var siteLat = decode(data.site_lat, "i32"), siteLon = decode(data.site_lon, "i32");
    var mapLat = decode(data.map_lat, "i32"), mapLon = decode(data.map_lon, "i32");
    var base = new Uint8Array(nH), shown = new Uint8Array(nH), s, h;

    /* ---- homes: one canvas for them all; only the homes whose coverage changes are recoloured */
    var renderer = L.canvas({padding: 0.1});
    var homeLat = decode(data.home_lat, "i32"), homeLon = decode(data.home_lon, "i32"), homes = new Array(nH);
    for (h = 0; h < nH; h++) {
      var p = cov.pop[h];
      homes[h] = L.circleMarker([homeLat[h] / 1e6, homeLon[h] / 1e6], {
        renderer: renderer, interactive: false, color: "#ffffff", weight: 1, fillOpacity: 0.9,
        fillColor: data.colours.uncovered, radius: Math.round(Math.min(3 + Math.sqrt(Math.max(p, 0)) / 4, 9) * 100) / 100
      });
    }
    function paint(list) {
      for (var i = 0; i < list.length; i++) {
        var k = list[i], on = choice.count[k] > 0 ? 1 : 0;
        if (shown[k] !== on) {
          shown[k] = on;
          homes[k].setStyle({fillColor: on ? data.colours.covered : data.colours.uncovered});
        }
      }
      /* draw now rather than at the next animation frame, so that an update is complete when toggle() returns */
      flush(renderer);
    }
    function flush(r) {
      if (r._redrawRequest && typeof r._redraw === "function") {
        L.Util.cancelAnimFrame(r._redrawRequest);
        r._redraw();
      }
    }

    /* ---- walking areas, built when a site first becomes a station */
    var areaSite = decode(data.area_site_ptr, "i32"), areaRing = decode(data.area_ring_ptr, "i32");
    var areaHole = decode(data.area_hole, "u8"), areaLat = decode(data.area_lat, "i32"), areaLon = decode(data.area_lon, "i32");
    var areas = new Array(nS);
    function area(s) {
      if (!areas[s]) {
        var polygons = [], r, k;
        for (r = areaSite[s]; r < areaSite[s + 1]; r++) {
          var ring = [];
          for (k = areaRing[r]; k < areaRing[r + 1]; k++) { ring.push([areaLat[k] / 1e6, areaLon[k] / 1e6]); }
          if (!areaHole[r] || !polygons.length) { polygons.push([ring]); } else { polygons[polygons.length - 1].push(ring); }
        }
        areas[s] = L.polygon(polygons, {
          color: data.colours.area, weight: 1, opacity: 0.6, fillColor: data.colours.area, fillOpacity: 0.12,
          interactive: false, pane: "planner-areas", className: "planner-wi-area"
        });
      }
      return areas[s];
    }

    /* ---- sites: one marker each, styled by status */
    function status(s) {
      if (existing[s]) { return choice.chosen[s] ? "existing" : "removed"; }
      if (choice.chosen[s]) { return proposed[s] ? "proposed" : "added"; }
      return proposed[s] ? "dropped" : "candidate";
    }
    /* drawn on a canvas of their own, over the homes: a thousand DOM markers cost the browser more on
       every frame than the whole update */
    map.createPane("planner-sites").style.zIndex = 610;
    var siteRenderer = L.canvas({pane: "planner-sites", padding: 0.1}), c = data.colours;
    var looks = {
      proposed: {radius: 7, color: "#ffffff", weight: 2, fillColor: c.proposed, dashArray: null},
      added: {radius: 7, color: "#ffffff", weight: 2, fillColor: c.added, dashArray: null},
      existing: {radius: 7, color: "#ffffff", weight: 2, fillColor: c.existing, dashArray: null},
      removed: {radius: 6, color: c.existing, weight: 2, fillColor: "#ffffff", dashArray: "3 3"},
      dropped: {radius: 6, color: c.proposed, weight: 2, fillColor: "#ffffff", dashArray: "3 3"},
      candidate: {radius: 5, color: c.candidate, weight: 2, fillColor: "#ffffff", dashArray: null}
    };
    var markers = new Array(nS), drawn = new Array(nS);
    for (s = 0; s < nS; s++) {
      markers[s] = L.circleMarker([mapLat[s] / 1e6, mapLon[s] / 1e6], Object.assign(
        {renderer: siteRenderer, pane: "planner-sites", fillOpacity: 1, opacity: 1, bubblingMouseEvents: false},
        looks.candidate));
      markers[s].on("click", (function (s) { return function () { toggleColumn(s); }; })(s));
      markers[s].on("mouseover", function () { overSite = true; hoverArea(null); });
      markers[s].on("mouseout", function () { overSite = false; });
      /* the tooltip's text is made each time it is shown or updated: what a click would do now */
      markers[s].bindTooltip((function (s) { return function () { return tip(s); }; })(s), {direction: "top"});
    }
    /* what a click on site s does now, by its status (tip_candidate, tip_proposed, tip_added, tip_existing,
       tip_removed, tip_dropped), as text: a name is never read as markup */
    function tip(s) {
      var box = document.createElement("span");
      box.textContent = fill(words["tip_" + status(s)], {name: names[s], n: people(choice.marginal(s))});
      return box;
    }
    function restyle(s) {
      var m = markers[s], st = status(s), station = choice.chosen[s] === 1;
      if (drawn[s] !== st) {
        drawn[s] = st;
        m.setStyle(looks[st]);
        m.setRadius(looks[st].radius);
        if (station && m._map) { m.bringToFront(); }
      }
      if (m.isTooltipOpen()) { m.getTooltip().update(); }
      if (station) { groups.walk.addLayer(area(s)); } else if (areas[s]) { groups.walk.removeLayer(areas[s]); }
    }

    /* ---- the areas of --areas: residents and residents covered per area, the map's areas layer recoloured with
       the scale it was drawn with (a share rounded to 4 decimals, as in areas.csv, takes the last step it reaches) */
    var areaNames = data.area_name, nA = areaNames.length, homeArea = decode(data.home_area, "i32");
    var areaPop = new Float64Array(nA), areaLayers = new Array(nA), areaLook = new Array(nA);
    for (h = 0; h < nH && nA; h++) { if (homeArea[h] >= 0) { areaPop[homeArea[h]] += cov.pop[h]; } }
    if (groups.areas && nA) {
      var polygons = [];
      groups.areas.eachLayer(function (g) { polygons = polygons.concat(g.getLayers ? g.getLayers() : [g]); });
      data.area_polygon.forEach(function (k, a) { if (k >= 0) { areaLayers[a] = polygons[k]; } });
    }
    /* the sites' canvas lies over the areas and takes the pointer everywhere: where no site is under it, the area
       there shows its tooltip (sticky, as on the plan map) and a click opens its popup */
    function areaAt(e) {
      var o = e.originalEvent, found = o ? document.elementsFromPoint(o.clientX, o.clientY) : [];
      for (var i = 0; i < found.length; i++) {
        for (var a = 0; a < nA; a++) {
          /* an area's path is made again when its layer is shown again: asked each time */
          if (areaLayers[a] && areaLayers[a].getElement() === found[i]) { return areaLayers[a]; }
        }
      }
      return null;
    }
    var hoveredArea = null, overSite = false;
    function hoverArea(layer, latlng) {
      if (hoveredArea && hoveredArea !== layer) { hoveredArea.closeTooltip(); }
      hoveredArea = layer;
      if (layer) { layer.openTooltip(latlng); }
    }
    if (nA) {
      map.on("mousemove", function (e) { hoverArea(overSite ? null : areaAt(e), e.latlng); });
      map.on("mouseout", function () { hoverArea(null); });
      map.on("click", function (e) {
        var layer = areaAt(e);
        if (layer) { layer.openPopup(e.latlng); }
      });
    }
    function share(a, inArea) { return areaPop[a] > 0 ? inArea[a] / areaPop[a] : 0; }
    function areaColour(rounded) {
      var colour = data.colours.area_missing;
      data.area_steps.forEach(function (step) { if (rounded >= step[0]) { colour = step[1]; } });
      return colour;
    }
    /* "label: value" lines, the label in bold, as text */
    function areaLines(lines) {
      var box = document.createElement("div");
      lines.forEach(function (line, i) {
        if (i) { box.appendChild(document.createElement("br")); }
        box.appendChild(document.createElement("b")).textContent = line[0];
        box.appendChild(document.createTextNode(": " + line[1]));
      });
      return box;
    }
    function paintAreas(inArea) {
      for (var a = 0; a < nA; a++) {
        var layer = areaLayers[a];
        if (!layer) { continue; }
        var rounded = Math.round(share(a, inArea) * 1e4) / 1e4, shown = (100 * rounded).toFixed(1) + "%";
        var colour = areaColour(rounded), look = colour + " " + people(inArea[a]) + " " + shown;
        if (areaLook[a] === look) { continue; }
        areaLook[a] = look;
        layer.setStyle({fillColor: colour});
        var tipText = document.createElement("span");
        tipText.textContent = areaNames[a] + ": " + shown;
        layer.setTooltipContent(tipText);
        layer.setPopupContent(areaLines([
          [words.area_name, areaNames[a]], [words.area_population, people(areaPop[a])],
          [words.area_covered, people(inArea[a])], [words.area_share, shown]
        ]));
      }
    }

    /* ---- the panel */
    var panel = document.getElementById("planner-whatif");
    panel.innerHTML =
      "<b>" + esc(words.title) + "</b><div>" + esc(words.hint) + "</div><table>" +
      ["stations", "covered", "share", "gained", "lost"].map(function (k) {
        return "<tr><td><b>" + esc(words[k]) + '</b></td><td data-figure="' + k + '"></td></tr>';
      }).join("") + '</table><div class="planner-wi-list"></div><div>' +
      '<button type="button" data-action="reset">' + esc(words.reset) + "</button>" +
      '<button type="button" data-action="csv">' + esc(words.csv) + "</button>" +
      '<button type="button" data-action="geojson">' + esc(words.geojson) + "</button></div>";
    L.DomEvent.disableClickPropagation(panel);
    L.DomEvent.disableScrollPropagation(panel);
    var cells = {};
    Array.prototype.forEach.call(panel.querySelectorAll("[data-figure]"), function (td) { cells[td.getAttribute("data-figure")] = td; });
    var list = panel.querySelector(".planner-wi-list");
    list.innerHTML = "<table><tbody><tr><th>" + esc(words.station) + "</th><th>" + esc(words.assigned) + "</th></tr></tbody></table>";
    var table = list.querySelector("tbody"), rows = new Array(nS);

    /* the figures of the stations chosen now (each a sum over the homes in order, as in Python) */
    function figures() {
      var covered = 0, gained = 0, lost = 0, assigned = new Float64Array(nS), inArea = new Float64Array(nA), k;
      for (k = 0; k < nH; k++) {
        var on = choice.nearest[k] >= 0;
        if (on) { covered += cov.pop[k]; assigned[choice.nearest[k]] += cov.pop[k]; }
        if (on && nA && homeArea[k] >= 0) { inArea[homeArea[k]] += cov.pop[k]; }
        if (on && !base[k]) { gained += cov.pop[k]; }
        if (!on && base[k]) { lost += cov.pop[k]; }
      }
      var stations = [], per = {};
      for (k = 0; k < nS; k++) {
        if (choice.chosen[k]) { stations.push(k); per[ids[k]] = assigned[k]; }
      }
      return {stations: stations, covered: covered, gained: gained, lost: lost, assigned: per, areas: inArea};
    }
    var current = null;
    function render() {
      var f = current = figures(), added = 0, removed = 0;
      for (var k = 0; k < nS; k++) {
        if (choice.chosen[k] && !proposed[k]) { added++; }
        if (!choice.chosen[k] && proposed[k]) { removed++; }
      }
      cells.stations.textContent = fill(words.stations_value, {n: f.stations.length, added: added, removed: removed});
      cells.covered.textContent = fill(words.covered_value, {covered: people(f.covered), total: people(cov.total)});
      cells.share.textContent = percent(cov.total > 0 ? f.covered / cov.total : 0);
      cells.gained.textContent = "+" + people(f.gained);
      cells.lost.textContent = "\u2212" + people(f.lost);
      paintAreas(f.areas);
      /* the list of stations: rows added and removed one at a time, figures rewritten where they changed */
      var after = null;
      for (var i = f.stations.length - 1, j = nS - 1; j >= 0; j--) {
        if (i >= 0 && f.stations[i] === j) {
          var text = people(f.assigned[ids[j]]);
          if (!rows[j]) {
            rows[j] = document.createElement("tr");
            rows[j].setAttribute("data-site-id", ids[j]);
            rows[j].appendChild(document.createElement("td")).textContent = names[j];
            rows[j].appendChild(document.createElement("td")).className = "planner-wi-num";
            table.insertBefore(rows[j], after);
          }
          if (rows[j].lastChild.textContent !== text) { rows[j].lastChild.textContent = text; }
          after = rows[j];
          i--;
        } else if (rows[j]) {
          table.removeChild(rows[j]);
          rows[j] = null;
        }
      }
    }

    function toggleColumn(s) {
      paint(choice.flip(s));
      restyle(s);
      flush(siteRenderer);
      render();
      return state();
    }
    function column_of(siteId) {
      var key = String(siteId);
      if (!Object.prototype.hasOwnProperty.call(column, key)) {
        throw new Error("site_id " + JSON.stringify(key) + ": not a site of this plan");
      }
      return column[key];
    }
    function reset() {
      var changed = [];
      for (var k = 0; k < nS; k++) {
        if (choice.chosen[k] !== proposed[k]) { changed = changed.concat(choice.flip(k)); restyle(k); }
      }
      flush(siteRenderer);
      paint(changed);
      render();
      return state();
    }
    function state() {
      var f = current;
      return {
        stations: f.stations.map(function (s) { return ids[s]; }),
        population_covered: f.covered,
        covered_share: cov.total > 0 ? f.covered / cov.total : 0,
        assigned: Object.assign({}, f.assigned),
        newly_covered: f.gained,
        newly_uncovered: f.lost,
        areas: areaNames.map(function (name, a) {
          return {name: name, population: areaPop[a], population_covered: f.areas[a], covered_share: share(a, f.areas)};
        })
      };
    }
    function plan() {
      return current.stations.map(function (s) {
        return {
          site_id: ids[s], name: names[s], status: existing[s] ? "existing" : "new",
          lon: siteLon[s] / 1e7, lat: siteLat[s] / 1e7, population_assigned: Math.round(current.assigned[ids[s]] * 10) / 10
        };
      });
    }
    function csv() {
      var keys = ["site_id", "name", "status", "lon", "lat", "population_assigned"];
      var lines = [keys.join(",")].concat(plan().map(function (r) {
        return keys.map(function (k) { return field(r[k]); }).join(",");
      }));
      return "\ufeff" + lines.join("\r\n") + "\r\n";  /* a BOM, as the planner's own CSV files: Excel reads UTF-8 */
    }
    function geojson() {
      return JSON.stringify({type: "FeatureCollection", features: plan().map(function (r) {
        return {type: "Feature", properties: {site_id: r.site_id, name: r.name, status: r.status,
          population_assigned: r.population_assigned}, geometry: {type: "Point", coordinates: [r.lon, r.lat]}};
      })});
    }
    panel.addEventListener("click", function (e) {
      var action = e.target && e.target.getAttribute && e.target.getAttribute("data-action");
      if (action === "reset") { reset(); }
      if (action === "csv") { download("whatif_stations.csv", csv(), "text/csv;charset=utf-8"); }
      if (action === "geojson") { download("whatif_stations.geojson", geojson(), "application/geo+json"); }
    });

    /* ---- start from the proposed plan */
    for (s = 0; s < nS; s++) {
      if (proposed[s]) { choice.flip(s); }
    }
    for (h = 0; h < nH; h++) {
      base[h] = choice.count[h] > 0 ? 1 : 0;
      if (base[h]) { shown[h] = 1; homes[h].setStyle({fillColor: data.colours.covered}); }
      groups.homes.addLayer(homes[h]);
    }
    for (s = 0; s < nS; s++) { restyle(s); }
    for (s = 0; s < nS; s++) { if (!choice.chosen[s]) { groups.sites.addLayer(markers[s]); } }
    for (s = 0; s < nS; s++) { if (choice.chosen[s]) { groups.sites.addLayer(markers[s]); } }  /* stations on top */
    render();

    return {
      toggle: function (siteId) { return toggleColumn(column_of(siteId)); },
      reset: reset,
      state: state,
      marginal: function (siteId) {
        var s = column_of(siteId);
        return (choice.chosen[s] ? -1 : 1) * choice.marginal(s);
      },
      /* where a site is drawn, in the page's coordinates (for a script that clicks it) */
      where: function (siteId) {
        var s = column_of(siteId), p = map.latLngToContainerPoint(markers[s].getLatLng());
        var box = map.getContainer().getBoundingClientRect();
        return {x: box.left + p.x, y: box.top + p.y};
      },
      status: function (siteId) { return status(column_of(siteId)); },
      sites: function () { return ids.slice(); },
      csv: csv,
      geojson: geojson
    };
  }

  window.StationPlannerWhatIf = create;
})();
