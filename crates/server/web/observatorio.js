// paradero's observatory dashboard: charts of the public statistics (released once per
// closed period, protected with differential privacy) drawn as plain SVG with each number's
// 95 % margin of error, an incident grid map over the network, and, with an official's token,
// the open reports with status changes. No chart library, no build step. A value within its
// margin of zero is drawn pale and dashed: it cannot be told apart from none.
(function () {
  'use strict';
  var S = JSON.parse(document.getElementById('strings').textContent);
  var LANG = document.documentElement.lang || 'es';
  var GENDERS = ['mujer', 'hombre', 'no_binario', 'prefiero_no_decir', 'sin_dato'];
  var COLORS = { mujer: '#7b2cbf', hombre: '#2a9d8f', no_binario: '#e9c46a', prefiero_no_decir: '#8d99ae', sin_dato: '#cfd8dc' };
  var SVGNS = 'http://www.w3.org/2000/svg';
  var PRIVACY = null;
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
  $('token').value = sessionStorage.getItem('paradero-token') || '';
  // ---- categories: the live tree (officials edit it below), for the filter and labels ----
  var categoryNames = {};
  function catStatus(text, err) { var s = $('category-status'); s.textContent = text || ''; s.className = err ? 'error' : ''; }
  function loadCategories() {
    return api('/v1/categories?lang=' + LANG).then(function (tree) {
      var filter = $('category'), keep = filter.value;
      while (filter.options.length > 1) filter.remove(1);
      var groupSel = $('cat-group');
      groupSel.textContent = '';
      var none = el('option', t('dash.cat_new_group')); none.value = ''; groupSel.appendChild(none);
      var box = $('category-tree');
      box.textContent = '';
      tree.groups.forEach(function (g) {
        var og = document.createElement('optgroup'); og.label = g.label;
        var gopt = el('option', g.label); gopt.value = g.code; groupSel.appendChild(gopt);
        var section = el('details', null, 'category-group');
        section.dataset.group = g.code;
        section.appendChild(el('summary', g.label + ' (' + g.categories.length + ')'));
        var list = el('ol');
        g.categories.forEach(function (c, i) {
          categoryNames[c.code] = c.label;
          var o = el('option', c.label); o.value = c.code; og.appendChild(o);
          var li = el('li');
          li.dataset.code = c.code;
          var name = el('input'); name.type = 'text'; name.value = c.label;
          name.setAttribute('aria-label', t('dash.cat_es') + ' ' + c.code);
          var save = el('button', t('dash.cat_save')); save.type = 'button';
          save.onclick = function () {
            putCategory(c.code, { group: g.code, es: name.value });
          };
          var up = el('button', '↑'); up.type = 'button'; up.disabled = i === 0;
          up.setAttribute('aria-label', t('dash.cat_up') + ' ' + c.code);
          up.onclick = function () { reorder(g, i, i - 1); };
          var down = el('button', '↓'); down.type = 'button'; down.disabled = i === g.categories.length - 1;
          down.setAttribute('aria-label', t('dash.cat_down') + ' ' + c.code);
          down.onclick = function () { reorder(g, i, i + 1); };
          var retire = el('button', t('dash.cat_retire'), 'secondary'); retire.type = 'button';
          retire.onclick = function () {
            api('/v1/categories/' + encodeURIComponent(c.code) + '?lang=' + LANG, { method: 'DELETE', auth: true })
              .then(function () { catStatus(t('dash.cat_retired', { code: c.code })); return loadCategories(); })
              .catch(function (e) { catStatus(e.message, true); });
          };
          li.appendChild(el('code', c.code));
          [name, save, up, down, retire].forEach(function (x) { li.appendChild(document.createTextNode(' ')); li.appendChild(x); });
          list.appendChild(li);
        });
        section.appendChild(list);
        box.appendChild(section);
        filter.appendChild(og);
      });
      filter.value = keep;
      document.body.dataset.categories = 'ready';
    });
  }
  function putCategory(code, body) {
    return api('/v1/categories/' + encodeURIComponent(code) + '?lang=' + LANG, {
      method: 'PUT', auth: true, body: JSON.stringify(body)
    }).then(function () { catStatus(t('dash.cat_saved', { code: code })); return loadCategories(); })
      .catch(function (e) { catStatus(e.message, true); });
  }
  // A new order for a group: every category gets its place (positions are small integers).
  function reorder(g, from, to) {
    var order = g.categories.slice();
    var moved = order.splice(from, 1)[0];
    order.splice(to, 0, moved);
    var chain = Promise.resolve();
    order.forEach(function (c, i) {
      chain = chain.then(function () {
        return api('/v1/categories/' + encodeURIComponent(c.code) + '?lang=' + LANG, {
          method: 'PUT', auth: true, body: JSON.stringify({ group: g.code, es: c.label, position: i })
        });
      });
    });
    return chain.then(function () { catStatus(t('dash.cat_saved', { code: moved.code })); return loadCategories(); })
      .catch(function (e) { catStatus(e.message, true); });
  }
  $('category-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    sessionStorage.setItem('paradero-token', token());
    var group = $('cat-group').value;
    var body = { es: $('cat-es').value };
    if (group) { body.group = group; body.family = $('cat-family').value; }
    if ($('cat-en').value.trim()) body.en = $('cat-en').value;
    if ($('cat-qu').value.trim()) body.qu = $('cat-qu').value;
    putCategory($('cat-code').value.trim(), body);
  });
  function filters() {
    var q = 'lang=' + LANG;
    if ($('route').value.trim()) q += '&route=' + encodeURIComponent($('route').value.trim());
    if ($('category').value) q += '&category=' + encodeURIComponent($('category').value);
    return q;
  }
  // The statistics: a released month (empty: the latest); the reports: the last 30 days.
  function query() { return ($('month').value ? 'month=' + $('month').value + '&' : '') + filters(); }
  function reportsQuery() {
    return 'from=' + isoDay(new Date(today.getTime() - 29 * 86400000)) + '&to=' + isoDay(today) + '&' + filters();
  }

  // ---- charts ----
  // groups: x labels; series: [{key, name, color}]; cell(g, s) -> {v, margin, faint}
  function barChart(box, groups, series, cell, fmt) {
    box.innerHTML = '';
    if (!groups.length) { box.appendChild(el('p', t('dash.no_data'), 'hint')); return; }
    var W = 560, H = 220, L = 36, B = 60, T = 10;
    var max = 0;
    groups.forEach(function (g) { series.forEach(function (s) { var c = cell(g, s); if (c.v + (c.margin || 0) > max) max = c.v + (c.margin || 0); }); });
    if (max <= 0) max = 1;
    var root = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img' });
    root.appendChild(svg('line', { x1: L, y1: H - B, x2: W, y2: H - B, stroke: '#4a5568' }));
    var top = svg('text', { x: 2, y: T + 8 }); top.textContent = fmt(max); root.appendChild(top);
    var gw = (W - L) / groups.length, bw = Math.max(2, (gw - 6) / series.length);
    var y = function (v) { return H - B - (H - B - T) * Math.max(0, v) / max; };
    groups.forEach(function (g, gi) {
      series.forEach(function (s, si) {
        var c = cell(g, s), x = L + gi * gw + 3 + si * bw;
        if (c.v === null || c.v === undefined) return;
        var r = svg('rect', { x: x, y: y(c.v), width: bw - 1, height: H - B - y(c.v), fill: s.color,
          'fill-opacity': c.faint ? 0.3 : 1, stroke: c.faint ? s.color : 'none', 'stroke-dasharray': '2 2',
          'class': 'bar' + (c.faint ? ' faint' : '') });
        var tip = svg('title');
        tip.textContent = s.name + ' · ' + g.name + ': ' + fmt(c.v) + (c.margin ? ' ± ' + fmt(c.margin) : '') +
          (c.faint ? ' — ' + t('dash.within_margin') : '');
        r.appendChild(tip);
        root.appendChild(r);
        if (c.margin && c.v > 0) {
          // The 95 % margin of error, as an error bar.
          var cx = x + (bw - 1) / 2;
          root.appendChild(svg('line', { x1: cx, x2: cx, y1: y(c.v + c.margin), y2: y(c.v - c.margin), stroke: '#1a202c', 'stroke-width': 1, 'class': 'margin' }));
          [c.v + c.margin, c.v - c.margin].forEach(function (v) {
            root.appendChild(svg('line', { x1: cx - 3, x2: cx + 3, y1: y(v), y2: y(v), stroke: '#1a202c', 'stroke-width': 1 }));
          });
        }
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
    legend.appendChild(el('span', t('dash.margin_legend'), 'margin-legend'));
    box.appendChild(legend);
  }

  function rowsOf(ind) {
    var m = {};
    (ind ? ind.rows : []).forEach(function (r) { m[r.key.join('|')] = r; });
    return m;
  }
  // A count, or a derived value (measure index), with its margin.
  function cellOf(m, key, measure) {
    var r = m[key];
    if (!r) return { v: null };
    if (measure === undefined) return { v: r.count, margin: r.margin, faint: r.within_margin };
    var v = r.values ? r.values[measure] : null;
    var e = r.value_margins ? r.value_margins[measure] : null;
    return { v: v === null || v === undefined ? null : v, margin: e || 0, faint: false };
  }
  var genderSeries = GENDERS.map(function (g) { return { key: g, name: label('gender.', g), color: COLORS[g] }; });
  function n0(v) { return String(Math.round(v)); }
  function n1(v) { return (Math.round(v * 10) / 10).toString(); }
  var BANDS = ['00-05', '06-08', '09-11', '12-14', '15-17', '18-20', '21-23'];
  function bandGroups() { return BANDS.map(function (b) { return { key: b, name: b }; }); }

  function draw(data) {
    PRIVACY = data.privacy;
    var by = {};
    data.indicators.forEach(function (i) { by[i.id] = i; });
    var tm = rowsOf(by.trips);
    barChart($('chart-trips'), bandGroups(), genderSeries,
      function (g, s) { return cellOf(tm, [s.key, g.key].join('|')); }, n0);
    // Incidents by category × gender: categories with anything clear of the noise first.
    var im = rowsOf(by.incidents);
    var seen = {};
    (by.incidents ? by.incidents.rows : []).forEach(function (r) {
      if (r.count > 0) seen[r.key[0]] = (seen[r.key[0]] || 0) + r.count;
    });
    var cats = Object.keys(seen).sort(function (a, b) { return seen[b] - seen[a]; }).slice(0, 12)
      .map(function (c) { return { key: c, name: label('category.', c) }; });
    barChart($('chart-incidents'), cats, genderSeries, function (g, s) { return cellOf(im, [g.key, s.key].join('|')); }, n0);
    // Perceived safety (1–5) by band, women and men.
    var saf = rowsOf(by.perceived_safety);
    barChart($('chart-safety'), bandGroups(), genderSeries.slice(0, 2),
      function (g, s) { return cellOf(saf, [s.key, g.key].join('|'), 0); }, n1);
    // Incidents per 10k trips by route.
    var rm = rowsOf(by.incidents_per_10k_trips);
    var rroutes = (by.incidents_per_10k_trips ? by.incidents_per_10k_trips.rows : [])
      .filter(function (r) { return r.values && r.values[1] !== null && r.key[0] !== 'sin_dato'; })
      .sort(function (a, b) { return b.values[1] - a.values[1]; }).slice(0, 20)
      .map(function (r) { return { key: r.key[0], name: routeLabel(r.key[0]) }; });
    barChart($('chart-rate'), rroutes, [{ key: 'rate', name: '', color: '#c1121f' }], function (g) { return cellOf(rm, g.key, 1); }, n1);
    // Supply (runs per service hour, timetable) and demand (planned trips per day and
    // service hour, from the released counts) by route.
    var sm = rowsOf(by.supply), dm = rowsOf(by.demand);
    var days = Math.max(1, Math.round((Date.parse(data.to) - Date.parse(data.from)) / 86400000) + 1);
    var sroutes = (by.supply ? by.supply.rows : [])
      .sort(function (a, b) { return (b.values[0] || 0) - (a.values[0] || 0); }).slice(0, 15)
      .map(function (r) { return { key: r.key[0], name: routeLabel(r.key[0]) }; });
    barChart($('chart-supply'), sroutes,
      [{ key: 0, name: t('dash.supply'), color: '#0b5563' }, { key: 1, name: t('dash.demand'), color: '#f4a261' }],
      function (g, s) {
        var r = sm[g.key];
        if (s.key === 0) return { v: r ? r.values[0] : null };
        var hours = r && r.values[0] ? r.count / r.values[0] : 1;
        var c = cellOf(dm, g.key);
        if (c.v === null) return c;
        var per = days * Math.max(1, hours);
        return { v: c.v / per, margin: (c.margin || 0) / per, faint: c.faint };
      }, n1);
    drawZones(by.incidents_by_zone, data.zone_cell_m);
    $('privacy').textContent = data.privacy.explanation;
    document.querySelectorAll('.chart').forEach(function (sec) {
      var id = sec.dataset.indicator;
      sec.querySelector('a.csv').href = '/v1/observatory/indicators?format=csv&indicator=' + id + '&' + query();
      var ind = by[id];
      var m = sec.querySelector('.margin-note');
      if (m && ind && ind.margin !== undefined) m.textContent = t('dash.margin_note', { margin: n0(ind.margin) });
    });
  }

  // ---- incident grid map ----
  var map = L.map('zone-map', { preferCanvas: true, attributionControl: false }).setView([-16.4, -71.535], 12);
  var zones = L.layerGroup().addTo(map);
  // Feeds that end within 30 days (or have ended): a new one is due.
  api('/v1/feeds').then(function (r) {
    var box = $('feed-alerts');
    (r.feeds || []).filter(function (f) { return f.expiring; }).forEach(function (f) {
      var until = f.feed_end_date || f.valid_to;
      var p = el('p', t(f.days_left < 0 ? 'dash.feed_expired' : 'dash.feed_expiring',
        { feed: f.id, date: until, days: f.days_left }), 'alert');
      p.dataset.feed = f.id;
      box.appendChild(p);
    });
    document.body.dataset.feeds = 'checked';
  }).catch(function () { /* the figures do not depend on it */ });
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
    if (!ind) return;
    var max = 1;
    ind.rows.forEach(function (r) { if (r.count > max) max = r.count; });
    // Only zones clearly above the noise are drawn: over two thousand zones, a count just
    // past its 95 % margin happens by chance in dozens of them, and drawing those would brand
    // neighbourhoods by noise. Twice the margin (about four standard deviations) keeps the
    // expected number of such false zones well under one.
    ind.rows.forEach(function (r) {
      if (!r.count || r.count < 2 * r.margin) return;
      L.rectangle(zoneBounds(r.key[0], cell), { color: '#9b1c1c', weight: 1, fillColor: '#c1121f', fillOpacity: 0.2 + 0.6 * r.count / max })
        .bindTooltip(t('dash.zone_tip', { count: r.count, margin: Math.round(r.margin) }))
        .addTo(zones);
    });
  }

  // ---- reports (officials) ----
  var ORDER = ['open', 'acknowledged', 'in_progress', 'closed'];
  function loadReports() {
    var table = $('reports'), body = table.querySelector('tbody');
    if (!token()) { table.hidden = true; $('reports-hint').textContent = t('dash.reports_need_token'); return Promise.resolve(); }
    return api('/v1/reports?limit=500&' + reportsQuery(), { auth: true }).then(function (r) {
      body.innerHTML = '';
      var open = r.reports.filter(function (x) { return x.status !== 'closed'; });
      $('reports-hint').textContent = open.length ? '' : t('dash.no_reports');
      table.hidden = !open.length;
      open.forEach(function (rep) {
        var tr = el('tr');
        tr.dataset.reference = rep.reference;
        tr.appendChild(el('td', rep.reference));
        tr.appendChild(el('td', categoryNames[rep.category] || label('category.', rep.category)));
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
        // Each cell names its column, for the phone's card layout (the header is hidden there).
        Array.prototype.forEach.call(tr.children, function (td, i) {
          var th = table.tHead.rows[0].cells[i];
          // (The last column, the save button, names itself.)
          if (th && th.textContent && i < tr.children.length - 1) td.dataset.label = th.textContent;
        });
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
      (document.body.dataset.released === 'none' ? Promise.resolve(null) : api('/v1/observatory/indicators?' + query()).catch(function (e) {
        if (e.status === 404) return null;
        throw e;
      })),
      loadCategories().catch(function () {})
    ]).then(function (res) {
      if (res[1]) {
        draw(res[1]);
        status(t('dash.loaded', { from: res[1].from, to: res[1].to, periods: res[1].periods.join(', '),
          epsilon: n1(res[1].privacy.epsilon_per_month) }));
      } else {
        status(t('obs.no_release'));
      }
      return loadReports();
    }).then(function () { document.body.dataset.state = 'ready'; })
      .catch(function (e) { status(e.message, true); document.body.dataset.state = 'error'; });
  }

  // ---- service alerts: written by editors, read by riders everywhere ----
  var EFFECTS = ['DETOUR', 'NO_SERVICE', 'REDUCED_SERVICE', 'SIGNIFICANT_DELAYS', 'STOP_MOVED', 'MODIFIED_SERVICE',
    'ADDITIONAL_SERVICE', 'ACCESSIBILITY_ISSUE', 'OTHER_EFFECT', 'NO_EFFECT', 'UNKNOWN_EFFECT'];
  var CAUSES = ['UNKNOWN_CAUSE', 'CONSTRUCTION', 'STRIKE', 'DEMONSTRATION', 'ACCIDENT', 'HOLIDAY', 'WEATHER',
    'MAINTENANCE', 'TECHNICAL_PROBLEM', 'POLICE_ACTIVITY', 'MEDICAL_EMERGENCY', 'OTHER_CAUSE'];
  EFFECTS.forEach(function (e) { var o = el('option', label('alerts.effect.', e)); o.value = e; $('alert-effect').appendChild(o); });
  CAUSES.forEach(function (c) { var o = el('option', label('alerts.cause.', c)); o.value = c; $('alert-cause').appendChild(o); });
  var chosen = [];
  var routeInfo = {};
  function alertStatus(text, err) { var s = $('alert-status'); s.textContent = text || ''; s.className = err ? 'error' : ''; }
  function chosenName(x) {
    if (x.route) return (routeInfo[x.route] ? routeInfo[x.route].short_name : routeLabel(x.route));
    return t('dash.alert_stop', { name: x.name || x.stop });
  }
  function drawChosen() {
    var ul = $('alert-chosen');
    ul.textContent = '';
    chosen.forEach(function (x, i) {
      var li = el('li', chosenName(x) + ' ');
      var rm = el('button', '×', 'secondary'); rm.type = 'button';
      rm.setAttribute('aria-label', t('dash.alert_remove', { name: chosenName(x) }));
      rm.onclick = function () { chosen.splice(i, 1); drawChosen(); };
      li.appendChild(rm);
      ul.appendChild(li);
    });
  }
  function choose(x) {
    if (chosen.some(function (y) { return y.route === x.route && y.stop === x.stop; })) return;
    chosen.push(x); drawChosen();
  }
  api('/v1/routes').then(function (r) {
    var dl = $('alert-routes');
    r.routes.forEach(function (x) {
      routeInfo[x.id] = x;
      var o = document.createElement('option'); o.value = x.id; o.label = x.short_name + ' — ' + x.long_name;
      dl.appendChild(o);
    });
  }).catch(function () {});
  $('alert-add-route').onclick = function () {
    var v = $('alert-route').value.trim();
    if (!v) return;
    // An id, or a short name (both directions of a line).
    var ids = routeInfo[v] ? [v] : Object.keys(routeInfo).filter(function (id) {
      return routeInfo[id].short_name.toLowerCase() === v.toLowerCase();
    });
    if (!ids.length) { alertStatus(v + '?', true); return; }
    ids.forEach(function (id) { choose({ route: id }); });
    $('alert-route').value = '';
    alertStatus('');
  };
  // Stops to pick on a map: those in view once zoomed in enough to tell them apart.
  var amap = L.map('alert-map', { preferCanvas: true, attributionControl: false }).setView([-16.4, -71.535], 13);
  var stopDots = L.layerGroup().addTo(amap);
  // The routes are drawn too: tapping one adds it (its name in a tooltip).
  api('/v1/network').then(function (n) {
    L.geoJSON(n, {
      style: function (f) { return { color: f.properties.color ? '#' + f.properties.color : '#0b5563', weight: 3, opacity: 0.5 }; },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(f.properties.short_name + ' — ' + f.properties.long_name, { sticky: true });
        layer.on('click', function () { choose({ route: f.properties.id }); });
      }
    }).addTo(amap);
  }).catch(function () {});
  function drawStops() {
    stopDots.clearLayers();
    if (amap.getZoom() < 15) return;
    var c = amap.getCenter();
    api('/v1/stops/near?lat=' + c.lat.toFixed(5) + '&lon=' + c.lng.toFixed(5) + '&radius=1000&limit=200').then(function (r) {
      stopDots.clearLayers();
      r.stops.forEach(function (s) {
        L.circleMarker([s.lat, s.lon], { radius: 6, color: '#7a4e00', fillColor: '#ffd166', fillOpacity: 1, weight: 2 })
          .bindTooltip(s.name || s.id)
          .on('click', function () { choose({ stop: s.id, name: s.name }); })
          .addTo(stopDots);
      });
    }).catch(function () {});
  }
  amap.on('moveend', drawStops);
  window.paraderoDash = { alertMap: amap, stops: stopDots, choose: choose };
  function texts(prefix) {
    var o = { es: $(prefix + 'es').value.trim() };
    ['en', 'qu'].forEach(function (l) { var v = $(prefix + l).value.trim(); if (v) o[l] = v; });
    return o;
  }
  function alertBody() {
    var body = {
      cause: $('alert-cause').value, effect: $('alert-effect').value,
      informed: chosen.map(function (x) { var o = {}; if (x.route) o.route = x.route; if (x.stop) o.stop = x.stop; return o; }),
      header: texts('alert-'),
      active: []
    };
    var d = texts('alert-desc-');
    if (d.es) body.description = d;
    var url = $('alert-url').value.trim();
    if (url) body.url = url;
    var start = $('alert-start').value, end = $('alert-end').value;
    if (start || end) { var p = {}; if (start) p.start = start; if (end) p.end = end; body.active.push(p); }
    return body;
  }
  function loadAlerts() {
    return api('/v1/alerts?lang=' + LANG).then(function (r) {
      var ul = $('alert-list');
      ul.textContent = '';
      if (!r.alerts.length) { ul.appendChild(el('li', t('dash.alert_none'))); return; }
      r.alerts.forEach(function (a) {
        var li = el('li');
        li.dataset.alert = a.id;
        var what = label('alerts.effect.', a.effect) + ' · ' + (a.affects || []).join(', ') +
          (a.active_now ? '' : ' · ' + t('dash.alert_upcoming')) +
          (a.source !== 'paradero' ? ' · ' + t('dash.alert_from_feed', { source: a.source }) : '');
        li.appendChild(el('strong', a.header[LANG] || a.header.es));
        li.appendChild(el('span', ' — ' + what + ' '));
        if (a.source === 'paradero') {
          var edit = el('button', t('dash.alert_edit'), 'secondary'); edit.type = 'button';
          edit.onclick = function () { editAlert(a); };
          var end = el('button', t('dash.alert_end_now'), 'secondary'); end.type = 'button';
          end.onclick = function () {
            api('/v1/alerts/' + encodeURIComponent(a.id) + '?lang=' + LANG, { method: 'DELETE', auth: true })
              .then(function () { alertStatus(t('dash.alert_ended', { id: a.id })); return loadAlerts(); })
              .catch(function (e) { alertStatus(e.message, true); });
          };
          li.appendChild(edit); li.appendChild(end);
        }
        ul.appendChild(li);
      });
    });
  }
  function editAlert(a) {
    $('alert-id').value = a.id;
    $('alert-effect').value = a.effect; $('alert-cause').value = a.cause;
    ['es', 'en', 'qu'].forEach(function (l) {
      $('alert-' + l).value = a.header[l] || '';
      $('alert-desc-' + l).value = (a.description && a.description[l]) || '';
    });
    $('alert-url').value = a.url || '';
    var p = a.active[0] || {};
    $('alert-start').value = p.start || ''; $('alert-end').value = p.end || '';
    chosen = a.informed.map(function (x) { return { route: x.route, stop: x.stop }; });
    drawChosen();
    $('alert-es').focus();
  }
  $('alert-form').addEventListener('reset', function () { $('alert-id').value = ''; chosen = []; drawChosen(); alertStatus(''); });
  $('alert-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    if (!chosen.length) { alertStatus(t('dash.alert_nothing'), true); return; }
    var id = $('alert-id').value;
    sessionStorage.setItem('paradero-token', token());
    api(id ? '/v1/alerts/' + encodeURIComponent(id) + '?lang=' + LANG : '/v1/alerts?lang=' + LANG,
      { method: id ? 'PUT' : 'POST', auth: true, body: JSON.stringify(alertBody()) })
      .then(function (a) {
        $('alert-form').reset();
        alertStatus(t('dash.alert_saved', { id: a.id }));
        return loadAlerts();
      })
      .catch(function (e) { alertStatus(e.message, true); });
  });
  loadAlerts().catch(function () {});

  // ---- service delivered: a week's excess waiting time per route × hour, worst first ----
  function isoWeek(d) {
    var t = new Date(Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()));
    var day = t.getUTCDay() || 7;
    t.setUTCDate(t.getUTCDate() + 4 - day);
    var y = t.getUTCFullYear();
    var w = Math.ceil(((t - Date.UTC(y, 0, 1)) / 86400000 + 1) / 7);
    return y + '-W' + (w < 10 ? '0' : '') + w;
  }
  function weekDays(w) {
    var m = /^(\d{4})-W(\d{2})$/.exec(w);
    if (!m) return null;
    var jan4 = new Date(Date.UTC(+m[1], 0, 4));
    var mon = new Date(jan4.getTime() - ((jan4.getUTCDay() || 7) - 1) * 86400000 + (+m[2] - 1) * 7 * 86400000);
    var sun = new Date(mon.getTime() + 6 * 86400000);
    return [mon.toISOString().slice(0, 10), sun.toISOString().slice(0, 10)];
  }
  $('service-week').value = isoWeek(new Date());
  var EWT_MAX = 10;
  function loadService() {
    var w = $('service-week').value || isoWeek(new Date());
    var days = weekDays(w);
    if (!days) return Promise.resolve();
    var official = !!token();
    var path = official
      ? '/v1/observatory/service?from=' + days[0] + '&to=' + days[1] + '&by=hour&lang=' + LANG
      : '/v1/service?week=' + w + '&lang=' + LANG;
    $('service-csv').href = path + '&format=csv';
    // Officials' CSV needs their token: fetched, then saved.
    $('service-csv').onclick = official ? function (ev) {
      ev.preventDefault();
      fetch(path + '&format=csv', { headers: { Authorization: 'Bearer ' + token() } })
        .then(function (r) { return r.blob(); })
        .then(function (b) {
          var a = document.createElement('a');
          a.href = URL.createObjectURL(b); a.download = 'servicio-' + w + '.csv';
          document.body.appendChild(a); a.click(); a.remove();
        });
    } : null;
    return api(path, { auth: official }).then(function (r) {
      drawService(r, official);
    }).catch(function (e) { $('service-heat').textContent = e.message; });
  }
  function drawService(r, official) {
    var box = $('service-heat');
    box.textContent = '';
    var tbody = $('service-table').querySelector('tbody');
    tbody.textContent = '';
    $('service-legend').textContent = t('dash.service_legend', { max: EWT_MAX });
    if (!r.figures.length) { box.textContent = t('dash.service_none'); $('service-table').hidden = true; return; }
    // Rows: route and direction, in the answer's order (worst first); columns: hours.
    var rows = [], byRow = {}, cols = [];
    r.figures.forEach(function (f) {
      var key = f.route_id + '|' + f.direction;
      if (!byRow[key]) { byRow[key] = { name: f.route_short_name + (f.direction ? ' ↩' : ''), cells: {}, all: [] }; rows.push(key); }
      byRow[key].cells[f.hour] = f;
      byRow[key].all.push(f);
      if (cols.indexOf(f.hour) < 0) cols.push(f.hour);
    });
    cols.sort();
    var shown = rows.slice(0, 30);
    var cw = 22, ch = 18, left = 90, top = 20;
    var vw = left + cols.length * cw, vh = top + shown.length * ch;
    // Drawn at 1.4 px a unit, never wider than the page.
    var s = svg('svg', { viewBox: '0 0 ' + vw + ' ' + vh, width: Math.round(vw * 1.4), height: Math.round(vh * 1.4), role: 'presentation' });
    cols.forEach(function (c, i) {
      var tx = svg('text', { x: left + i * cw + cw / 2, y: 14, 'text-anchor': 'middle', 'font-size': 9 });
      tx.textContent = c.length > 2 ? c.slice(0, 2) : c;
      s.appendChild(tx);
    });
    shown.forEach(function (key, j) {
      var row = byRow[key];
      var name = svg('text', { x: left - 4, y: top + j * ch + 13, 'text-anchor': 'end', 'font-size': 10 });
      name.textContent = row.name.slice(0, 14);
      s.appendChild(name);
      cols.forEach(function (c, i) {
        var f = row.cells[c];
        var e = f && f.ewt_min !== null && f.ewt_min !== undefined ? f.ewt_min : null;
        var k = e === null ? 0 : Math.max(0, Math.min(1, e / EWT_MAX));
        var fill = e === null ? '#d9d9d9' : 'rgb(' + Math.round(255 - 120 * k) + ',' + Math.round(255 - 235 * k) + ',' + Math.round(255 - 235 * k) + ')';
        var rect = svg('rect', { x: left + i * cw, y: top + j * ch, width: cw - 1, height: ch - 1, fill: fill });
        var title = svg('title');
        title.textContent = row.name + ' ' + c + ': ' + (e === null ? '—' : e.toFixed(1) + ' min');
        rect.appendChild(title);
        s.appendChild(rect);
      });
      // The table: the week per route, worst first.
      var runs = 0, promised = 0, cv = [], ewt = [], trip = [], sched = [], planned = 0;
      row.all.forEach(function (f) {
        runs += f.runs; promised += f.runs_promised; planned += f.planned_trips || 0;
        if (f.headway_cv !== null) cv.push(f.headway_cv);
        if (f.ewt_min !== null) ewt.push(f.ewt_min);
        if (f.trip_time_min !== null) { trip.push(f.trip_time_min); sched.push(f.scheduled_trip_time_min); }
      });
      var mean = function (a) { return a.length ? (a.reduce(function (x, y) { return x + y; }, 0) / a.length) : null; };
      var fmt = function (x) { return x === null ? '—' : x.toFixed(1); };
      var tr = document.createElement('tr');
      [row.name, runs + ' / ' + Math.round(promised), fmt(mean(cv)), fmt(mean(ewt)),
        fmt(mean(trip)) + ' / ' + fmt(mean(sched)), official ? String(planned) : '—'].forEach(function (v, i) {
        var td = el(i === 0 ? 'th' : 'td', v);
        if (i === 0) td.setAttribute('scope', 'row');
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
    box.appendChild(s);
    $('service-table').hidden = false;
  }
  $('service-form').addEventListener('submit', function (ev) { ev.preventDefault(); loadService(); });
  loadService();
  $('filters').addEventListener('submit', function (ev) { ev.preventDefault(); refresh(); loadService(); });
  refresh();
})();
