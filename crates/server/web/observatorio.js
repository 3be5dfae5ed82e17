// paradero's observatory dashboard: charts of the public (suppressed) indicators drawn as
// plain SVG, an incident grid map over the network, and, with an official's token, the open
// reports with status changes. No chart library, no build step. Withheld cells are drawn
// hatched and labelled, never as zero.
(function () {
  'use strict';
  var S = JSON.parse(document.getElementById('strings').textContent);
  var LANG = document.documentElement.lang || 'es';
  var GENDERS = ['mujer', 'hombre', 'no_binario', 'prefiero_no_decir', 'sin_dato'];
  var COLORS = { mujer: '#7b2cbf', hombre: '#2a9d8f', no_binario: '#e9c46a', prefiero_no_decir: '#8d99ae', sin_dato: '#cfd8dc' };
  var SVGNS = 'http://www.w3.org/2000/svg';
  var K = 5;
  var routeNames = {};

  function t(key, args) {
    var s = S[key] || key;
    Object.keys(args || {}).forEach(function (k) { s = s.split('{' + k + '}').join(String(args[k])); });
    return s;
  }
  function $(id) { return document.getElementById(id); }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function svg(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }
  function status(text, err) { var s = $('status'); s.textContent = text || ''; s.className = err ? 'error' : ''; }
  function token() { return $('token').value.trim(); }
  function api(path, opts) {
    opts = opts || {};
    var headers = { Accept: 'application/json' };
    if (opts.auth && token()) headers.Authorization = 'Bearer ' + token();
    if (opts.body) headers['Content-Type'] = 'application/json';
    return fetch(path, { method: opts.method || 'GET', headers: headers, body: opts.body }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (b) {
        if (!r.ok) { var e = new Error(b.detail || r.statusText); e.status = r.status; throw e; }
        return b;
      });
    });
  }
  function label(prefix, key) { return S[prefix + key] || key; }
  function routeLabel(id) { return routeNames[id] || id.replace(/^[^:]*:/, ''); }

  // ---- filters ----
  function isoDay(d) { return d.toISOString().slice(0, 10); }
  var today = new Date();
  $('to').value = isoDay(today);
  $('from').value = isoDay(new Date(today.getTime() - 29 * 86400000));
  $('token').value = sessionStorage.getItem('paradero-token') || '';
  Object.keys(S).filter(function (k) { return k.indexOf('category.') === 0; }).forEach(function (k) {
    var o = el('option', S[k]);
    o.value = k.slice('category.'.length);
    $('category').appendChild(o);
  });
  function query() {
    var q = 'from=' + $('from').value + '&to=' + $('to').value + '&lang=' + LANG;
    if ($('route').value.trim()) q += '&route=' + encodeURIComponent($('route').value.trim());
    if ($('category').value) q += '&category=' + encodeURIComponent($('category').value);
    return q;
  }

  // ---- charts ----
  // groups: x labels; series: [{key, name, color}]; cell(g, s) -> {v, suppressed}
  function barChart(box, groups, series, cell, fmt) {
    box.innerHTML = '';
    if (!groups.length) { box.appendChild(el('p', t('dash.no_data'), 'hint')); return; }
    var W = 560, H = 220, L = 36, B = 60, T = 10;
    var max = 0;
    groups.forEach(function (g) { series.forEach(function (s) { var c = cell(g, s); if (c.v > max) max = c.v; }); });
    if (max <= 0) max = 1;
    var root = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img' });
    var defs = svg('defs');
    var pat = svg('pattern', { id: 'hatch-' + box.id, patternUnits: 'userSpaceOnUse', width: 6, height: 6, patternTransform: 'rotate(45)' });
    pat.appendChild(svg('rect', { width: 6, height: 6, fill: '#fff' }));
    pat.appendChild(svg('line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#4a5568', 'stroke-width': 2 }));
    defs.appendChild(pat);
    root.appendChild(defs);
    root.appendChild(svg('line', { x1: L, y1: H - B, x2: W, y2: H - B, stroke: '#4a5568' }));
    var top = svg('text', { x: 2, y: T + 8 }); top.textContent = fmt(max); root.appendChild(top);
    var gw = (W - L) / groups.length, bw = Math.max(2, (gw - 6) / series.length);
    groups.forEach(function (g, gi) {
      series.forEach(function (s, si) {
        var c = cell(g, s), x = L + gi * gw + 3 + si * bw;
        var r;
        if (c.suppressed) {
          var h = (H - B - T) * 0.12;
          r = svg('rect', { x: x, y: H - B - h, width: bw - 1, height: h, fill: 'url(#hatch-' + box.id + ')', stroke: '#4a5568', 'stroke-dasharray': '2 2', 'class': 'bar suppressed' });
          var tip = svg('title'); tip.textContent = s.name + ' · ' + g.name + ': ' + t('dash.suppressed', { k: K }); r.appendChild(tip);
        } else if (c.v !== null && c.v !== undefined) {
          var hh = (H - B - T) * c.v / max;
          r = svg('rect', { x: x, y: H - B - hh, width: bw - 1, height: hh, fill: s.color, 'class': 'bar' });
          var tip2 = svg('title'); tip2.textContent = s.name + ' · ' + g.name + ': ' + fmt(c.v); r.appendChild(tip2);
        }
        if (r) root.appendChild(r);
      });
      var lab = svg('text', { x: L + gi * gw + gw / 2, y: H - B + 12, 'text-anchor': 'end', transform: 'rotate(-35 ' + (L + gi * gw + gw / 2) + ' ' + (H - B + 12) + ')' });
      lab.textContent = g.name.length > 22 ? g.name.slice(0, 21) + '…' : g.name;
      root.appendChild(lab);
    });
    box.appendChild(root);
    var legend = el('div', null, 'legend');
    series.forEach(function (s) {
      if (series.length < 2) return;
      var item = el('span', s.name); var sw = el('i'); sw.style.background = s.color; item.prepend(sw); legend.appendChild(item);
    });
    var hidden = el('span', t('dash.suppressed', { k: K })); var hs = el('i'); hs.style.background = 'repeating-linear-gradient(45deg,#4a5568 0 2px,#fff 2px 5px)'; hidden.prepend(hs);
    legend.appendChild(hidden);
    box.appendChild(legend);
  }

  function rowsOf(ind) {
    var m = {};
    ind.rows.forEach(function (r) { m[r.key.join('|')] = r; });
    return m;
  }
  function cellOf(m, key, measure) {
    var r = m[key];
    if (!r) return { v: 0, suppressed: false };
    if (r.suppressed) return { v: null, suppressed: true };
    return { v: measure === undefined ? r.count : r.values[measure], suppressed: false };
  }
  var genderSeries = GENDERS.map(function (g) { return { key: g, name: label('gender.', g), color: COLORS[g] }; });
  function n0(v) { return String(Math.round(v)); }
  function n1(v) { return (Math.round(v * 10) / 10).toString(); }

  function draw(data) {
    K = data.k;
    var by = {};
    data.indicators.forEach(function (i) { by[i.id] = i; });
    // Trips by band × gender.
    var trips = by.trips, tm = rowsOf(trips);
    var bands = ['00-05', '06-08', '09-11', '12-14', '15-17', '18-20', '21-23'];
    var dims = trips.dimensions;
    if (dims.join() === 'gender,hour_band,purpose') {
      barChart($('chart-trips'), bands.map(function (b) { return { key: b, name: b }; }), genderSeries,
        function (g, s) { return cellOf(tm, [s.key, g.key, '*'].join('|')); }, n0);
    }
    // Incidents by category × gender.
    var inc = by.incidents, im = rowsOf(inc);
    var cats = inc.rows.filter(function (r) { return r.key[0] !== '*' && r.key[1] === '*' && r.key[2] === '*' && (r.suppressed || r.count > 0); })
      .map(function (r) { return { key: r.key[0], name: label('category.', r.key[0]) }; });
    barChart($('chart-incidents'), cats, genderSeries, function (g, s) { return cellOf(im, [g.key, s.key, '*'].join('|')); }, n0);
    // Perceived safety by band (all genders).
    var saf = rowsOf(by.perceived_safety);
    barChart($('chart-safety'), bands.map(function (b) { return { key: b, name: b }; }), [{ key: 'all', name: '', color: '#0b5563' }],
      function (g) { var c = cellOf(saf, ['*', g.key].join('|'), 0); return c.v === 0 ? { v: null } : c; }, n1);
    // Incidents per 10k trips by route.
    var rate = by.incidents_per_10k_trips, rm = rowsOf(rate);
    var rroutes = rate.rows.filter(function (r) { return r.key[0] !== '*' && (r.suppressed || r.count > 0); })
      .map(function (r) { return { key: r.key[0], name: routeLabel(r.key[0]) }; }).slice(0, 20);
    barChart($('chart-rate'), rroutes, [{ key: 'rate', name: '', color: '#c1121f' }], function (g) { return cellOf(rm, g.key, 1); }, n1);
    // Supply and demand by route (busiest 15 by supply).
    var sd = by.supply_demand, sm = rowsOf(sd);
    var sroutes = sd.rows.filter(function (r) { return r.key[0] !== '*'; })
      .sort(function (a, b) { return (b.values[0] || 0) - (a.values[0] || 0); }).slice(0, 15)
      .map(function (r) { return { key: r.key[0], name: routeLabel(r.key[0]) }; });
    barChart($('chart-supply'), sroutes,
      [{ key: 0, name: t('dash.supply'), color: '#0b5563' }, { key: 1, name: t('dash.demand'), color: '#f4a261' }],
      function (g, s) {
        var r = sm[g.key];
        if (!r) return { v: 0 };
        if (s.key === 1 && r.suppressed) return { v: null, suppressed: true };
        return { v: r.values[s.key] || 0 };
      }, n1);
    drawZones(by.incidents_by_zone, data.zone_cell_m);
    document.querySelectorAll('.chart').forEach(function (sec) {
      sec.querySelector('a.csv').href = '/v1/observatory/indicators?format=csv&indicator=' + sec.dataset.indicator + '&' + query();
    });
  }

  // ---- incident grid map ----
  var map = L.map('zone-map', { preferCanvas: true, attributionControl: false }).setView([-16.4, -71.535], 12);
  var zones = L.layerGroup().addTo(map);
  api('/v1/network').then(function (gj) {
    L.geoJSON(gj, { interactive: false, style: { color: '#8d99ae', weight: 1, opacity: 0.5 } }).addTo(map);
    if (gj.bbox) map.fitBounds([[gj.bbox[1], gj.bbox[0]], [gj.bbox[3], gj.bbox[2]]]);
  }).catch(function () {});
  function zoneBounds(z, cell) {
    var p = z.split(':'); var row = +p[1], col = +p[2], M = 111320;
    var south = row * cell / M, north = (row + 1) * cell / M, mid = (row + 0.5) * cell / M;
    var scale = M * Math.cos(mid * Math.PI / 180) / cell;
    return [[south, col / scale], [north, (col + 1) / scale]];
  }
  function drawZones(ind, cell) {
    zones.clearLayers();
    var max = 1;
    ind.rows.forEach(function (r) { if (r.key[0] !== '*' && r.count > max) max = r.count; });
    ind.rows.forEach(function (r) {
      if (r.key[0] === '*' || (!r.suppressed && !r.count)) return;
      var style = r.suppressed
        ? { color: '#4a5568', weight: 1, dashArray: '3 3', fillColor: '#cfd8dc', fillOpacity: 0.5 }
        : { color: '#9b1c1c', weight: 1, fillColor: '#c1121f', fillOpacity: 0.2 + 0.6 * r.count / max };
      L.rectangle(zoneBounds(r.key[0], cell), style)
        .bindTooltip(r.suppressed ? t('dash.suppressed', { k: K }) : String(r.count))
        .addTo(zones);
    });
  }

  // ---- reports (officials) ----
  var ORDER = ['open', 'acknowledged', 'in_progress', 'closed'];
  function loadReports() {
    var table = $('reports'), body = table.querySelector('tbody');
    if (!token()) { table.hidden = true; $('reports-hint').textContent = t('dash.reports_need_token'); return Promise.resolve(); }
    return api('/v1/reports?limit=500&' + query(), { auth: true }).then(function (r) {
      body.innerHTML = '';
      var open = r.reports.filter(function (x) { return x.status !== 'closed'; });
      $('reports-hint').textContent = open.length ? '' : t('dash.no_reports');
      table.hidden = !open.length;
      open.forEach(function (rep) {
        var tr = el('tr');
        tr.dataset.reference = rep.reference;
        tr.appendChild(el('td', rep.reference));
        tr.appendChild(el('td', label('category.', rep.category)));
        tr.appendChild(el('td', new Date(rep.occurred_at * 1000).toLocaleString(LANG)));
        tr.appendChild(el('td', rep.description || ''));
        var sel = el('select'); sel.setAttribute('aria-label', t('dash.col_status') + ' ' + rep.reference);
        ORDER.slice(ORDER.indexOf(rep.status)).forEach(function (st) {
          var o = el('option', label('status.', st)); o.value = st; sel.appendChild(o);
        });
        var note = el('input'); note.type = 'text'; note.setAttribute('aria-label', t('dash.col_note') + ' ' + rep.reference);
        var save = el('button', t('dash.save')); save.type = 'button';
        save.onclick = function () {
          api('/v1/reports/' + encodeURIComponent(rep.reference) + '/status?lang=' + LANG, {
            method: 'POST', auth: true, body: JSON.stringify({ status: sel.value, note: note.value })
          }).then(function (res) {
            status(t('dash.saved', { reference: rep.reference, status: label('status.', res.status) }));
            tr.dataset.status = res.status;
            return loadReports();
          }).catch(function (e) { status(e.message, true); });
        };
        [sel, note, save].forEach(function (c) { var td = el('td'); td.appendChild(c); tr.appendChild(td); });
        body.appendChild(tr);
      });
    }).catch(function (e) { table.hidden = true; $('reports-hint').textContent = e.message; });
  }

  function refresh() {
    status(t('dash.loading'));
    document.body.dataset.state = 'loading';
    sessionStorage.setItem('paradero-token', token());
    return Promise.all([
      api('/v1/routes').then(function (r) { r.routes.forEach(function (x) { routeNames[x.id] = x.short_name; }); }).catch(function () {}),
      api('/v1/observatory/indicators?' + query())
    ]).then(function (res) {
      draw(res[1]);
      status(t('dash.loaded', { from: $('from').value, to: $('to').value, k: res[1].k }));
      return loadReports();
    }).then(function () { document.body.dataset.state = 'ready'; })
      .catch(function (e) { status(e.message, true); document.body.dataset.state = 'error'; });
  }
  $('filters').addEventListener('submit', function (ev) { ev.preventDefault(); refresh(); });
  refresh();
})();
