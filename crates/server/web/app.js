// paradero riders' page. Plain script, no build step: Leaflet draws the network, and the
// city's streets from paradero's own tiles when it has an extract (nothing loaded from
// elsewhere); the API answers plans, places, stops and departures. Every text comes from the catalog the server
// embedded in the page (#strings).
(function () {
  'use strict';
  var S = JSON.parse(document.getElementById('strings').textContent);
  var LANG = document.documentElement.lang || 'es';

  function t(key, args) {
    var s = S[key] || key;
    if (args) {
      Object.keys(args).forEach(function (k) { s = s.split('{' + k + '}').join(String(args[k])); });
    }
    return s;
  }
  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k];
      else if (k === 'class') e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) e.appendChild(c); });
    return e;
  }
  function clock(iso) { return iso ? iso.slice(11, 16) : ''; }
  function minutes(secs) { return Math.max(0, Math.round(secs / 60)); }
  function stopName(s) { return (s && s.name) || t('web.unnamed_stop'); }
  function status(text, isError) {
    var st = $('status');
    st.textContent = text || '';
    st.className = isError ? 'error' : '';
  }
  // ---- the city: its address (/trujillo), else the last one chosen, else where the rider is
  // (only if location was already granted: no prompt before they ask), else asked ----
  var CITIES = [];
  try { CITIES = JSON.parse(document.body.dataset.cities || '[]'); } catch (e) { CITIES = []; }
  var CITY = null;
  function cityById(id) { return CITIES.filter(function (c) { return c.id === id; })[0] || null; }
  function savedCity() { try { return cityById(localStorage.getItem('paradero-city')); } catch (e) { return null; } }
  function cityAt(lat, lon) {
    var best = null, bestD = Infinity;
    CITIES.forEach(function (c) {
      if (!c.home) return;
      var h = c.home;
      var dx = Math.max(h[0] - lon, 0, lon - h[2]), dy = Math.max(h[1] - lat, 0, lat - h[3]);
      var d = dx * dx + dy * dy;
      if (d < bestD) { bestD = d; best = c; }
    });
    // Within about 50 km of a city's box: that city; farther, the rider chooses.
    return bestD < 0.2 ? best : null;
  }
  // Requests kept within the rider's city.
  var CITY_PATHS = /^\/v1\/(plan|places|stops|network|routes|offline)(\?|$)/;
  function inCity(path) {
    if (!CITY || !CITY_PATHS.test(path)) return path;
    return path + (path.indexOf('?') < 0 ? '?' : '&') + 'city=' + encodeURIComponent(CITY.id);
  }
  function pickCity() {
    return new Promise(function (ok) {
      var old = $('city-picker');
      if (old) old.remove();
      var box = el('section', { id: 'city-picker', class: 'city-picker', 'aria-labelledby': 'city-picker-title' });
      box.appendChild(el('h2', { id: 'city-picker-title', text: t('web.city.choose') }));
      var list = el('div', { class: 'row' });
      CITIES.forEach(function (c) {
        var b = el('button', { type: 'button', 'data-city': c.id, text: c.name });
        b.onclick = function () { box.remove(); ok(c); };
        list.appendChild(b);
      });
      box.appendChild(list);
      var main = document.querySelector('main');
      main.insertBefore(box, main.firstChild);
      list.firstChild.focus();
    });
  }
  // The city of a planner address someone sent (`?from=-8.11,-79.03` or a stop id): the trip's.
  function linkedCity() {
    var from = new URLSearchParams(location.search).get('from');
    if (!from) return null;
    var ll = from.split(',').map(Number);
    if (ll.length === 2 && isFinite(ll[0]) && isFinite(ll[1])) return cityAt(ll[0], ll[1]);
    var feed = from.split(':')[0];
    return CITIES.filter(function (c) { return c.feeds.indexOf(feed) >= 0; })[0] || null;
  }
  function chooseCity() {
    var c = cityById(document.body.dataset.city) || linkedCity() || savedCity() || (CITIES.length === 1 ? CITIES[0] : null);
    if (c || !CITIES.length) return Promise.resolve(c);
    var located = navigator.permissions && navigator.geolocation
      ? navigator.permissions.query({ name: 'geolocation' }).then(function (st) {
        if (st.state !== 'granted') return null;
        return new Promise(function (ok) {
          navigator.geolocation.getCurrentPosition(function (p) { ok(cityAt(p.coords.latitude, p.coords.longitude)); },
            function () { ok(null); }, { timeout: 4000, maximumAge: 600000 });
        });
      }).catch(function () { return null; })
      : Promise.resolve(null);
    return located.then(function (found) { return found || pickCity(); });
  }
  function showCity(c) {
    CITY = c;
    try { localStorage.setItem('paradero-city', c.id); } catch (e) { /* private mode: asked again */ }
    document.body.dataset.city = c.id;
    if (location.pathname !== '/' + c.id) history.replaceState(null, '', '/' + c.id + location.search + location.hash);
    // The language links keep the city.
    Array.prototype.forEach.call(document.querySelectorAll('.langs a'), function (a) {
      a.setAttribute('href', '/' + c.id + a.getAttribute('href').replace(/^\/[^?]*/, ''));
    });
    if (CITIES.length > 1) {
      var b = $('city-change') || el('button', { type: 'button', id: 'city-change', class: 'secondary city' });
      b.textContent = c.name;
      b.setAttribute('aria-label', t('web.city.label') + ': ' + c.name + '. ' + t('web.city.change'));
      b.onclick = function () {
        pickCity().then(function (n) {
          try { localStorage.setItem('paradero-city', n.id); } catch (e) { /* asked again */ }
          if (n.id !== c.id) location.assign('/' + n.id + location.search);
        });
      };
      if (!b.parentNode) document.querySelector('header').insertBefore(b, document.querySelector('header nav'));
    }
  }

  // ---- offline: the timetable kept on the phone, planned on by a worker (offline.js) ----
  var ASSET_V = (document.currentScript && document.currentScript.src.split('?v=')[1]) || '';
  var OFF = { worker: null, ready: false, rec: null, seq: 0, waiting: {} };
  // What the phone can answer: plans, departures and stop search.
  var OFFLINE_PATHS = /^\/v1\/(plan\?|places\?|stops\?|stops\/[^?\/]+\/departures\?)/;
  function idb(mode, fn) {
    return new Promise(function (ok, ko) {
      if (!window.indexedDB) return ko(new Error('no IndexedDB'));
      var open = indexedDB.open('paradero', 1);
      open.onupgradeneeded = function () { open.result.createObjectStore('bundles', { keyPath: 'feed' }); };
      open.onerror = function () { ko(open.error); };
      open.onsuccess = function () {
        var tx = open.result.transaction('bundles', mode), req = fn(tx.objectStore('bundles'));
        tx.oncomplete = function () { ok(req && req.result); };
        tx.onerror = function () { ko(tx.error); };
      };
    });
  }
  function ask(msg) {
    return new Promise(function (ok) {
      msg.id = ++OFF.seq;
      OFF.waiting[msg.id] = ok;
      OFF.worker.postMessage(msg);
    });
  }
  function startOffline(rec) {
    if (!OFF.worker) {
      OFF.worker = new Worker('/assets/offline.js?v=' + ASSET_V);
      OFF.worker.onmessage = function (e) { var f = OFF.waiting[e.data.id]; delete OFF.waiting[e.data.id]; if (f) f(e.data); };
    }
    return ask({ type: 'load', bytes: rec.bytes }).then(function (m) {
      if (!m.ok) throw new Error(m.body.detail);
      OFF.ready = true; OFF.rec = rec; OFF.about = m.body;
      window.paradero.offline = { ready: true, version: rec.version, about: m.body };
      return m.body;
    });
  }
  function savedDate(rec) {
    var d = new Date(rec.saved);
    return d.getDate() + '/' + (d.getMonth() + 1);
  }
  function offlineNote(show) {
    var n = $('offline-note');
    if (!show) { if (n) n.hidden = true; return; }
    if (!n) {
      n = el('p', { id: 'offline-note', class: 'alert', role: 'status' });
      $('status').parentNode.insertBefore(n, $('status'));
    }
    n.textContent = t('web.offline.using', { date: savedDate(OFF.rec) });
    n.hidden = false;
  }
  function offlineAnswer(path) {
    return ask({ type: 'ask', path: path, now: Date.now() / 1000 }).then(function (m) {
      if (!m.ok) throw new Error(m.body.detail);
      offlineNote(true);
      if (m.status >= 400) { var e = new Error(m.body.detail); e.status = m.status; throw e; }
      return m.body;
    });
  }
  // The server answers within a few seconds or the phone does (when it keeps the timetable).
  function api(path) {
    path = inCity(path);
    var ctl = window.AbortController ? new AbortController() : null;
    var timer = ctl && OFF.ready && setTimeout(function () { ctl.abort(); }, 5000);
    return fetch(path, { headers: { Accept: 'application/json' }, signal: ctl ? ctl.signal : undefined }).then(function (r) {
      clearTimeout(timer);
      if (r.ok) offlineNote(false);
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (!r.ok) { var e = new Error(body.detail || r.statusText); e.status = r.status; throw e; }
        return body;
      });
    }, function (err) {
      clearTimeout(timer);
      if (OFF.ready && OFFLINE_PATHS.test(path)) return offlineAnswer(path);
      throw err;
    });
  }
  function saveBundle(b) {
    return fetch(b.url).then(function (r) {
      if (!r.ok) throw new Error(r.statusText);
      return r.arrayBuffer();
    }).then(function (bytes) {
      var rec = { feed: b.feed, version: b.version, bytes: bytes, saved: Date.now() };
      // Loaded first: a damaged download is refused by the worker and never kept.
      return startOffline(rec).then(function () { return idb('readwrite', function (st) { return st.put(rec); }); }).then(function () {
        // The service worker keeps the router too, from now on (it is not fetched before).
        if (navigator.serviceWorker) {
          navigator.serviceWorker.ready.then(function (r) { if (r.active) r.active.postMessage('keep-router'); });
        }
        return rec;
      });
    });
  }
  function offerOffline() {
    window.paradero = window.paradero || {};
    if (!window.Worker || !window.WebAssembly || !window.indexedDB) return;
    idb('readonly', function (st) { return st.getAll(); }).then(function (recs) {
      // The rider's city's timetable (each city's is kept apart, by feed).
      var rec = (recs || []).filter(function (r) { return !CITY || CITY.feeds.indexOf(r.feed) >= 0; })[0];
      var started = rec ? startOffline(rec).catch(function () { rec = null; }) : Promise.resolve();
      return started.then(function () {
        return fetch(inCity('/v1/offline')).then(function (r) { return r.json(); }).then(function (list) {
          var b = (list.bundles || [])[0];
          if (!b) return;
          // Kept current: a new feed on the server, a new bundle (asked for once, then kept).
          if (rec && rec.version !== b.version) return saveBundle(b).catch(function () { /* keep the old one */ });
          if (rec) return;
          var btn = el('button', { type: 'button', id: 'offline-save', class: 'secondary',
            text: t('web.offline.offer', { size: Math.round(b.gzip_bytes / 1024) + ' KB' }) });
          btn.onclick = function () {
            btn.disabled = true;
            saveBundle(b).then(function (r) {
              btn.replaceWith(el('p', { id: 'offline-saved', class: 'hint', text: t('web.offline.saved', { date: savedDate(r) }) }));
            }).catch(function (e) {
              btn.disabled = false;
              status(t('web.offline.failed', { reason: e.message }), true);
            });
          };
          $('status').parentNode.insertBefore(btn, $('status'));
        });
      });
    }).catch(function () { /* the page works online without it */ });
  }
  function failed(err) {
    status(err && err.status ? err.message : t('web.network_error'), true);
    document.body.dataset.state = 'error';
  }

  // ---- the map: the network itself is the base map ----
  var map = L.map('map', { preferCanvas: true, zoomControl: true, attributionControl: true });
  map.attributionControl.setPrefix(false);
  map.setView([-16.4, -71.535], 13);
  var network = L.layerGroup().addTo(map);
  var stopsLayer = L.layerGroup().addTo(map);
  var tripLayer = L.layerGroup().addTo(map);
  // Live vehicles (GTFS-Realtime, operators' GPS), redrawn every 5 s while the page is in
  // view, only those inside the map's view (a few KB a poll, compressed); none without real
  // time, and nothing asked while the tab is hidden (a rider's data plan).
  var vehiclesLayer = L.layerGroup().addTo(map);
  function drawVehicles() {
    if (document.hidden) return;
    var b = map.getBounds();
    var box = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (x, i) {
      // Outwards, to four decimals (about 10 m): a bus on the edge stays in.
      var k = i < 2 ? Math.floor(x * 1e4) : Math.ceil(x * 1e4);
      return (Math.max(i % 2 ? -900000 : -1800000, Math.min(i % 2 ? 900000 : 1800000, k)) / 1e4).toFixed(4);
    }).join(',');
    api('/v1/vehicles?bbox=' + box).then(function (r) {
      vehiclesLayer.clearLayers();
      r.features.forEach(function (f) {
        var v = f.properties, c = f.geometry.coordinates;
        var label = v.route_short_name + (v.headsign ? ' → ' + v.headsign : '');
        L.circleMarker([c[1], c[0]], { radius: 7, weight: 2, color: '#fff', fillOpacity: 1,
          fillColor: v.route_color ? '#' + v.route_color : '#0b5563', interactive: true })
          .bindTooltip(t('web.vehicle', { route: label, seconds: v.age_s })).addTo(vehiclesLayer);
      });
    }).catch(function () { /* the map works without them */ });
  }
  drawVehicles();
  setInterval(drawVehicles, 5000);
  // Service alerts in force, on the map: a strike or a detour is seen before planning. A
  // button on the map says how many; it opens the list (plain text, never markup).
  var alertsBox = L.control({ position: 'topright' });
  alertsBox.onAdd = function () {
    var d = L.DomUtil.create('div', 'map-alerts');
    d.hidden = true;
    L.DomEvent.disableClickPropagation(d);
    return d;
  };
  alertsBox.addTo(map);
  function drawAlerts() {
    if (document.hidden) return;
    api('/v1/alerts?lang=' + LANG).then(function (r) {
      var now = (r.alerts || []).filter(function (a) { return a.active_now; });
      var box = alertsBox.getContainer();
      box.innerHTML = '';
      box.hidden = !now.length;
      window.paradero.alerts = now;
      if (!now.length) return;
      var pick = function (x) { return (x && (x[LANG] || x.es)) || ''; };
      var list = el('ul', {}, now.map(function (a) {
        return el('li', { 'data-alert': a.id, text: (a.affects.length ? a.affects.join(', ') + ': ' : '') + pick(a.header) });
      }));
      var det = el('details', {}, [el('summary', { text: t('web.alerts_now', { n: now.length }) }), list]);
      box.appendChild(det);
    }).catch(function () { /* the map works without them */ });
  }
  setTimeout(drawAlerts, 0);
  setInterval(drawAlerts, 60000);
  map.on('moveend', drawVehicles);
  // The trip is drawn in SVG (a few paths, each a DOM element); the network stays on canvas.
  var tripRenderer = L.svg();
  var pins = { from: null, to: null };
  var highlighted = null;

  // ---- the street map, under the network, from paradero's own tiles ----
  var LINE = {
    motorway: [6, '#f3c98b'], trunk: [5.5, '#f7d8a3'], primary: [5, '#fce3b5'], secondary: [4.5, '#fff'],
    tertiary: [4, '#fff'], residential: [3, '#fff'], pedestrian: [3, '#eee9f0'], service: [2, '#fff'],
    footway: [1.2, '#a08a6c'], steps: [1.6, '#c0574b']
  };
  function paintTile(canvas, d, z) {
    var ctx = canvas.getContext('2d'), k = canvas.width / d.extent, grow = Math.max(0.6, (z - 13) * 0.45);
    function path(pts) {
      ctx.beginPath();
      for (var i = 0; i < pts.length; i += 2) (i ? ctx.lineTo : ctx.moveTo).call(ctx, pts[i] * k, pts[i + 1] * k);
    }
    d.areas.forEach(function (a) {
      path(a.ring); ctx.closePath();
      ctx.fillStyle = a.kind === 'water' ? '#b9d3ee' : '#d6e9c6'; ctx.fill();
    });
    ['casing', 'fill'].forEach(function (pass) {
      d.lines.forEach(function (l) {
        var style = LINE[l.class] || LINE.service, w = style[0] * grow, thin = l.class === 'footway' || l.class === 'steps';
        if (pass === 'casing' && thin) return;
        path(l.points);
        ctx.lineCap = 'round'; ctx.lineJoin = 'round';
        ctx.setLineDash(thin ? [3, 3] : []);
        ctx.lineWidth = pass === 'casing' ? w + 1.5 : w;
        ctx.strokeStyle = pass === 'casing' ? '#c4bdb1' : style[1];
        ctx.stroke();
      });
    });
    ctx.setLineDash([]);
    // Names along each street's longest piece, once per tile.
    var named = {};
    ctx.font = '11px system-ui, sans-serif'; ctx.textAlign = 'center'; ctx.textBaseline = 'middle';
    d.lines.forEach(function (l) {
      if (!l.name || named[l.name]) return;
      var best = -1, at = 0;
      for (var i = 0; i + 3 < l.points.length; i += 2) {
        var dx = l.points[i + 2] - l.points[i], dy = l.points[i + 3] - l.points[i + 1], len = dx * dx + dy * dy;
        if (len > best) { best = len; at = i; }
      }
      var x1 = l.points[at] * k, y1 = l.points[at + 1] * k, x2 = l.points[at + 2] * k, y2 = l.points[at + 3] * k;
      if (Math.sqrt(best) * k < ctx.measureText(l.name).width + 8) return;
      named[l.name] = true;
      var angle = Math.atan2(y2 - y1, x2 - x1);
      if (angle > Math.PI / 2 || angle < -Math.PI / 2) angle += Math.PI;
      ctx.save(); ctx.translate((x1 + x2) / 2, (y1 + y2) / 2); ctx.rotate(angle);
      ctx.lineWidth = 3; ctx.strokeStyle = '#fff'; ctx.strokeText(l.name, 0, 0);
      ctx.fillStyle = '#3b3b3b'; ctx.fillText(l.name, 0, 0);
      ctx.restore();
    });
  }
  var StreetTiles = L.GridLayer.extend({
    createTile: function (coords, done) {
      var tile = document.createElement('canvas');
      var size = this.getTileSize();
      tile.width = size.x; tile.height = size.y;
      fetch('/v1/tiles/' + coords.z + '/' + coords.x + '/' + coords.y + '.json')
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (d) { if (d) paintTile(tile, d, coords.z); done(null, tile); })
        .catch(function () { done(null, tile); });
      return tile;
    }
  });
  // The street map where the city has one, and the city's network over it.
  function loadMap() {
    api('/v1/map').then(function (m) {
      if (!m.streets || (CITY && !CITY.streets)) return;
      new StreetTiles({ maxZoom: m.max_zoom, minZoom: 10, attribution: t('web.osm_attribution') }).addTo(map);
      document.getElementById('map').classList.add('streets');
      document.body.dataset.streets = 'ready';
    }).catch(function () { /* the network alone is still a map */ });

    api('/v1/network').then(function (gj) {
      L.geoJSON(gj, {
        interactive: false,
        style: function (f) {
          var c = f.properties.color ? '#' + f.properties.color : '#607d8b';
          return { color: c, weight: 2, opacity: 0.45 };
        }
      }).addTo(network);
      if (gj.bbox && !(CITY && CITY.home)) map.fitBounds([[gj.bbox[1], gj.bbox[0]], [gj.bbox[3], gj.bbox[2]]], { padding: [8, 8] });
      document.body.dataset.network = 'ready';
    }).catch(failed);
  }

  // Stops appear once zoomed in (there are thousands); a tap shows their next departures.
  var stopsTimer = null;
  function loadStops() {
    clearTimeout(stopsTimer);
    stopsTimer = setTimeout(function () {
      if (map.getZoom() < 16) { stopsLayer.clearLayers(); return; }
      var c = map.getCenter();
      var radius = Math.min(2000, Math.round(map.distance(c, map.getBounds().getNorthEast())));
      api('/v1/stops/near?lat=' + c.lat.toFixed(5) + '&lon=' + c.lng.toFixed(5) + '&radius=' + radius + '&limit=200')
        .then(function (r) {
          stopsLayer.clearLayers();
          r.stops.forEach(function (s) {
            L.circleMarker([s.lat, s.lon], { radius: 6, color: '#14213d', weight: 2, fillColor: '#fff', fillOpacity: 1 })
              .on('click', function (ev) { L.DomEvent.stop(ev); showStop(s); })
              .addTo(stopsLayer);
          });
        }).catch(function () { /* stops are a convenience; planning still works */ });
    }, 200);
  }
  map.on('moveend', loadStops);

  function showStop(s) {
    var box = el('div', {}, [el('strong', { text: stopName(s) }), el('div', { class: 'meta', text: (s.routes || []).join(', ') })]);
    var list = el('ul', { class: 'popup-deps' });
    var fromBtn = el('button', { type: 'button', class: 'secondary', text: t('web.set_origin') });
    var toBtn = el('button', { type: 'button', text: t('web.set_destination') });
    fromBtn.onclick = function () { setPlace('from', { label: stopName(s), value: s.id, lat: s.lat, lon: s.lon }); map.closePopup(); };
    toBtn.onclick = function () { setPlace('to', { label: stopName(s), value: s.id, lat: s.lat, lon: s.lon }); map.closePopup(); };
    box.appendChild(el('div', { class: 'meta', text: t('web.departures') }));
    box.appendChild(list);
    box.appendChild(el('div', { class: 'row' }, [fromBtn, toBtn]));
    // Sized and panned to stay inside the map on a 360 px phone.
    // Never taller than the map (its list scrolls), and panned again once the departures
    // have come in and made it taller.
    var popup = L.popup({ maxWidth: Math.min(260, map.getSize().x - 48), maxHeight: Math.max(160, map.getSize().y - 64),
      autoPanPadding: [16, 16], keepInView: true })
      .setLatLng([s.lat, s.lon]).setContent(box).openOn(map);
    api('/v1/stops/' + encodeURIComponent(s.id) + '/departures?limit=6&lang=' + LANG).then(function (r) {
      // Service alerts first: a strike or a detour matters before any time.
      (r.alerts || []).forEach(function (a) {
        box.insertBefore(el('p', { class: 'alert', role: 'status',
          text: t('web.alert') + ': ' + a.header + (a.description ? ' — ' + a.description : '') }), list);
      });
      if (!r.departures.length) list.appendChild(el('li', { text: t('web.departures_none') }));
      r.departures.forEach(function (d) {
        var args = { route: d.route_short_name, headsign: d.headsign, time: clock(d.departure), minutes: d.wait_min };
        var key = d.approximate ? 'web.departure.approx' : 'web.departure';
        // A headway is not a timetable: "every 5 min", never a minute count it cannot keep.
        if (d.headway_s && !d.realtime) {
          args.headway = Math.round(d.headway_s / 60);
          key = 'web.departure.headway';
        }
        if (d.realtime) {
          // A live prediction says how it stands against the timetable.
          var late = Math.round((d.delay_s || 0) / 60);
          args.delay = d.unscheduled ? t('web.live.unscheduled')
            : late === 0 ? t('web.live.on_time') : t(late > 0 ? 'web.live.late' : 'web.live.early', { minutes: Math.abs(late) });
          key = 'web.departure.live';
        }
        list.appendChild(el('li', { class: d.realtime ? 'live' : '', text: t(key, args) }));
      });
      if (popup.isOpen()) popup.update();
    }).catch(function (e) { list.appendChild(el('li', { text: e.message })); });
  }

  // ---- origin and destination ----
  var places = { from: null, to: null };
  var next = 'from';

  function pin(which, p) {
    if (pins[which]) tripLayer.removeLayer(pins[which]), map.removeLayer(pins[which]);
    if (!p) { pins[which] = null; return; }
    var icon = L.divIcon({ className: '', html: '<div class="pin ' + (which === 'from' ? 'a' : 'b') + '">' + (which === 'from' ? 'A' : 'B') + '</div>', iconSize: [28, 28], iconAnchor: [14, 14] });
    pins[which] = L.marker([p.lat, p.lon], { icon: icon, keyboard: false, title: t(which === 'from' ? 'web.from' : 'web.to') }).addTo(map);
  }
  function setPlace(which, p) {
    places[which] = p;
    $(which).value = p ? p.label : '';
    $(which + '-options').hidden = true;
    pin(which, p);
    next = places.from ? (places.to ? 'to' : 'to') : 'from';
    if (places.from && places.to) plan();
  }
  map.on('click', function (ev) {
    var which = !places.from ? 'from' : (!places.to ? 'to' : next);
    var lat = ev.latlng.lat.toFixed(5), lon = ev.latlng.lng.toFixed(5);
    var p = { label: t('web.map_point') + ' (' + lat + ', ' + lon + ')', value: lat + ',' + lon, lat: +lat, lon: +lon };
    setPlace(which, p);
    // What riders call the point ("Mercaderes y San Juan"), when the map knows.
    api('/v1/places/reverse?lat=' + lat + '&lon=' + lon).then(function (r) {
      if (places[which] === p) { p.label = r.name; $(which).value = r.name; }
    }).catch(function () { /* keep the coordinates */ });
  });

  // Typing searches stops and routes; results are buttons, so keyboard and screen readers work.
  ['from', 'to'].forEach(function (which) {
    var input = $(which), list = $(which + '-options'), timer = null;
    input.addEventListener('focus', function () { next = which; });
    input.addEventListener('input', function () {
      places[which] = null; pin(which, null);
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2) { list.hidden = true; return; }
      timer = setTimeout(function () {
        Promise.all([
          api('/v1/places?limit=8&q=' + encodeURIComponent(q)),
          api('/v1/stops?limit=1&q=' + encodeURIComponent(q))
        ]).then(function (res) {
          var r = res[1];
          list.innerHTML = '';
          res[0].places.filter(function (p) { return p.type !== 'route'; }).forEach(function (p) {
            var b = el('button', { type: 'button' }, [document.createTextNode(p.name), el('small', { text: t('web.place.' + p.type) })]);
            var value = p.stops.length ? p.stops[0] : p.lat.toFixed(5) + ',' + p.lon.toFixed(5);
            b.onclick = function () { setPlace(which, { label: p.name, value: value, lat: p.lat, lon: p.lon }); map.setView([p.lat, p.lon], 16); };
            list.appendChild(el('li', {}, [b]));
          });
          r.routes.slice(0, 5).forEach(function (route) {
            var b = el('button', { type: 'button' }, [document.createTextNode(t('web.route', { name: route.short_name })), el('small', { text: route.long_name })]);
            b.onclick = function () { showRoute(route.id, route.short_name); list.hidden = true; };
            list.appendChild(el('li', {}, [b]));
          });
          if (!list.children.length) list.appendChild(el('li', { class: 'hint', text: t('web.nothing_found') }));
          list.hidden = false;
        }).catch(failed);
      }, 250);
    });
  });

  function showRoute(id, name) {
    api('/v1/routes/' + encodeURIComponent(id)).then(function (r) {
      if (highlighted) map.removeLayer(highlighted);
      var color = r.color ? '#' + r.color : '#0b5563';
      highlighted = L.geoJSON(r.geometry, { interactive: false, style: { color: color, weight: 5, opacity: 0.9 } }).addTo(map);
      map.fitBounds(highlighted.getBounds(), { padding: [16, 16] });
      status(t('web.route_hint', { name: name }));
    }).catch(failed);
  }

  $('locate').onclick = function () {
    if (!navigator.geolocation) { status(t('web.location_failed'), true); return; }
    status(t('web.locating'));
    navigator.geolocation.getCurrentPosition(function (pos) {
      var lat = pos.coords.latitude.toFixed(5), lon = pos.coords.longitude.toFixed(5);
      status('');
      setPlace('from', { label: t('web.my_location'), value: lat + ',' + lon, lat: +lat, lon: +lon });
      map.setView([+lat, +lon], 16);
    }, function () { status(t('web.location_failed'), true); }, { enableHighAccuracy: true, timeout: 15000 });
  };
  $('swap').onclick = function () {
    var a = places.from, b = places.to;
    places.from = null; places.to = null;
    setPlace('from', b); setPlace('to', a);
  };
  $('clear').onclick = function () {
    setPlace('from', null); setPlace('to', null);
    tripLayer.clearLayers(); $('results').innerHTML = ''; status('');
    if (highlighted) { map.removeLayer(highlighted); highlighted = null; }
    document.body.dataset.state = '';
  };
  $('mode').onchange = function () {
    var timeInput = $('time');
    timeInput.hidden = this.value === 'now';
    if (!timeInput.value) {
      var d = new Date(Date.now() - new Date().getTimezoneOffset() * 60000);
      timeInput.value = d.toISOString().slice(0, 16);
    }
  };
  $('plan-form').addEventListener('submit', function (ev) { ev.preventDefault(); resolveTyped().then(plan); });

  // A place typed but not picked is the top suggestion, as riders expect; when nothing is
  // found the page says to pick one.
  function resolveTyped() {
    var pending = ['from', 'to'].filter(function (w) { return !places[w] && $(w).value.trim().length >= 2; });
    return Promise.all(pending.map(function (w) {
      var q = $(w).value.trim();
      return api('/v1/places?limit=1&q=' + encodeURIComponent(q)).then(function (r) {
        var p = (r.places || []).filter(function (x) { return x.type !== 'route'; })[0];
        if (!p) throw new Error(t('web.pick_suggestion', { text: q }));
        var value = p.stops && p.stops.length ? p.stops[0] : p.lat.toFixed(5) + ',' + p.lon.toFixed(5);
        places[w] = { label: p.name, value: value, lat: p.lat, lon: p.lon };
        $(w).value = p.name; $(w + '-options').hidden = true; pin(w, places[w]);
      });
    })).catch(function (e) { status(e.message, true); throw e; });
  }

  // Notes for what the city's data cannot back: the safer route needs a published release,
  // the wheelchair search an accessibility field in the feed.
  if (document.body.dataset.safer === 'none') {
    $('safer').disabled = true; $('safer-note').hidden = false;
  }
  $('wheelchair').addEventListener('change', function () {
    $('wheelchair-note').hidden = !(this.checked && document.body.dataset.access === 'none');
  });

  // ---- the page's address holds the query: reloading, bookmarking or sending it plans the
  // same trip, and the back button goes to the previous one ----
  function queryState() {
    var q = new URLSearchParams();
    q.set('lang', LANG);
    ['from', 'to'].forEach(function (w) {
      q.set(w, places[w].value);
      q.set(w + '_name', places[w].label);
    });
    var mode = $('mode').value, when = $('time').value;
    if (mode !== 'now' && when) { q.set(mode === 'at' ? 'at' : 'arrive_by', when); }
    if ($('wheelchair').checked) q.set('wheelchair', '1');
    if ($('safer').checked && !$('safer').disabled) q.set('safer', '1');
    return q.toString();
  }
  function restore(search) {
    var q = new URLSearchParams(search);
    if (!q.get('from') || !q.get('to')) return false;
    ['from', 'to'].forEach(function (w) {
      var v = q.get(w), m = /^(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)$/.exec(v);
      var p = { label: q.get(w + '_name') || v, value: v, lat: m ? +m[1] : NaN, lon: m ? +m[2] : NaN };
      places[w] = p; $(w).value = p.label;
      if (m) pin(w, p);
    });
    var at = q.get('at'), by = q.get('arrive_by');
    $('mode').value = at ? 'at' : (by ? 'by' : 'now');
    $('time').hidden = !(at || by); $('time').value = at || by || '';
    $('wheelchair').checked = q.get('wheelchair') === '1';
    $('safer').checked = q.get('safer') === '1' && !$('safer').disabled;
    return true;
  }
  window.addEventListener('popstate', function () {
    if (restore(location.search)) plan(true);
  });

  // ---- planning ----
  var planSeq = 0;
  function plan(fromHistory) {
    if (!places.from) { $('from').focus(); status(t('web.hint_tap')); return; }
    if (!places.to) { $('to').focus(); status(t('web.hint_tap')); return; }
    var state = queryState();
    if (fromHistory !== true && location.search.slice(1) !== state) history.pushState(null, '', '/?' + state);
    var q = 'from=' + encodeURIComponent(places.from.value) + '&to=' + encodeURIComponent(places.to.value) + '&lang=' + LANG + '&channel=web';
    var mode = $('mode').value, when = $('time').value;
    if (mode === 'at' && when) q += '&at=' + encodeURIComponent(when);
    if (mode === 'by' && when) q += '&arrive_by=' + encodeURIComponent(when);
    if ($('wheelchair').checked) q += '&wheelchair=true';
    if ($('safer').checked) q += '&prefer=safer';
    var seq = ++planSeq;
    status(t('web.planning'));
    document.body.dataset.state = 'planning';
    api('/v1/plan?' + q).then(function (r) {
      if (seq !== planSeq) return;
      renderPlan(r.itineraries || [], r.safer, r.date, r.service_resumes);
    }).catch(function (e) { if (seq === planSeq) { tripLayer.clearLayers(); $('results').innerHTML = ''; failed(e); } });
  }

  function legSteps(it) {
    var steps = [];
    var legs = it.legs;
    legs.forEach(function (leg, i) {
      if (leg.mode === 'walk') {
        var to = leg.to ? stopName(leg.to) : t('web.walk.destination');
        var walk = { text: t('web.walk', { minutes: minutes(leg.duration_s), meters: leg.distance_m, to: to }) };
        walk.turns = (leg.steps || []).map(function (s) { return s.instruction; });
        steps.push(walk);
      } else {
        var prev = legs[i - 1];
        var ready = prev ? Date.parse(prev.arrival || (prev.alight && prev.alight.time)) : NaN;
        var wait = (Date.parse(leg.board.time) - ready) / 1000;
        if (wait >= 60) steps.push(t('web.wait', { minutes: minutes(wait) }));
        var ax = it.approximate ? '.approx' : '';
        var ride = t('web.ride' + ax, { route: leg.route_short_name, headsign: leg.headsign, stop: stopName(leg.board), time: clock(leg.board.time) });
        if (leg.realtime) {
          // Boarded when the live bus is predicted to come.
          var late = Math.round((leg.delay_s || 0) / 60);
          ride += ' · ' + t('web.ride.live', { delay: leg.delay_s === undefined ? t('web.live.unscheduled')
            : late === 0 ? t('web.live.on_time') : t(late > 0 ? 'web.live.late' : 'web.live.early', { minutes: Math.abs(late) }) });
        } else if (leg.headway_s) ride += ' (' + t('web.every' + ax, { minutes: minutes(leg.headway_s) }) + ')';
        // Service alerts on this route or its two stops, before the ride they change.
        (leg.alerts || []).forEach(function (a) {
          steps.push({ alert: t('web.alert') + ': ' + a.header + (a.description ? ' — ' + a.description : '') });
        });
        steps.push(ride);
        steps.push(t('web.alight' + ax, { stop: stopName(leg.alight), time: clock(leg.alight.time), stops: (leg.intermediate_stops || []).length + 1 }));
      }
    });
    steps.push(t(it.approximate ? 'web.arrive.approx' : 'web.arrive', { time: clock(it.arrival) }));
    return steps;
  }

  // The option in one line: "Toma 4C en Calle Villalba → bájate en Las Condes → Toma D en …".
  function gist(it) {
    var parts = [];
    it.legs.forEach(function (leg) {
      if (leg.mode !== 'ride') return;
      parts.push(t('web.gist.ride', { route: leg.route_short_name, stop: stopName(leg.board) }));
      parts.push(t('web.gist.alight', { stop: stopName(leg.alight) }));
    });
    return parts.length ? el('p', { class: 'gist', text: parts.join(' → ') }) : null;
  }

  function transfersText(n) {
    return n === 0 ? t('web.transfers.0') : (n === 1 ? t('web.transfers.1') : t('web.transfers.n', { n: n }));
  }

  function renderPlan(its, safer, date, resumes) {
    var list = $('results');
    list.innerHTML = '';
    tripLayer.clearLayers();
    $('resumes').hidden = true;
    if (!its.length) { status(t('web.no_results'), true); document.body.dataset.state = 'empty'; return; }
    status('');
    if ($('safer').checked && !safer) status(t('web.safer_same'));
    $('estimated').hidden = !its.some(function (x) { return x.approximate; });
    // No bus at the time asked (night, holiday): said once, with when the first one leaves.
    $('resumes').hidden = !resumes;
    $('resumes').textContent = resumes ? t(resumes.slice(0, 10) > date ? 'web.service_resumes_tomorrow' : 'web.service_resumes', { time: clock(resumes) }) : '';
    // The safer option first, side by side with the fastest: what it adds and what it avoids.
    var shown = safer ? [{ it: safer.itinerary, safer: safer }].concat(its.map(function (x) { return { it: x }; })) : its.map(function (x) { return { it: x }; });
    shown.forEach(function (entry, i) {
      var it = entry.it;
      var routes = it.legs.filter(function (l) { return l.mode === 'ride'; }).map(function (l) {
        var b = el('span', { class: 'badge', text: l.route_short_name });
        b.style.background = l.route_color ? '#' + l.route_color : '#0b5563';
        b.style.color = l.route_text_color ? '#' + l.route_text_color : contrastInk(l.route_color);
        return b;
      });
      var tilde = it.approximate ? '~' : '';
      // A trip that leaves after midnight says so: "mañana 00:15".
      var nextDay = date && it.departure && it.departure.slice(0, 10) > date;
      var summary = el('div', { class: 'summary' }, [
        nextDay ? el('span', { class: 'next-day', text: t('web.next_day') }) : null,
        el('strong', { text: tilde + clock(it.departure) + ' → ' + tilde + clock(it.arrival) }),
        el('span', { text: t('web.duration', { minutes: minutes(it.duration_s) }) }),
        el('span', { class: 'meta', text: transfersText(it.transfers) })
      ].concat(routes));
      var steps = el('ol', { class: 'steps' }, legSteps(it).map(function (s) {
        if (typeof s === 'string') return el('li', { text: s });
        if (s.alert) return el('li', { class: 'alert', role: 'status', text: s.alert });
        // Turn by turn, folded: the first line says where, the rest opens on demand.
        var turns = s.turns.length ? el('details', { class: 'turns' }, [
          el('summary', { text: t('web.turns', { n: s.turns.length }) }),
          el('ol', {}, s.turns.map(function (x) { return el('li', { text: x }); }))
        ]) : null;
        return el('li', {}, [document.createTextNode(s.text), turns]);
      }));
      var meta = [];
      if (it.fare) meta.push(t('web.fare', { amount: it.fare.currency === 'PEN' ? 'S/ ' + it.fare.amount.toFixed(2) : it.fare.amount + ' ' + it.fare.currency }));
      // CO₂ only where the bus clearly emits less than a car (the answer's own verdict).
      if (it.co2 && it.co2.bus_clearly_less) meta.push(t('web.co2', { bus_kg: (it.co2.bus_g / 1000).toFixed(2), car_kg: (it.co2.car_g / 1000).toFixed(2) }));
      var show = el('button', { type: 'button', class: 'secondary', text: t('web.show_on_map') });
      var notes = ((it.safety && it.safety.notes) || []).map(function (n) { return el('p', { class: 'note', text: '⚠ ' + n }); });
      var head = entry.safer ? el('p', { class: 'safer' }, [el('strong', { text: t('web.safer_title') }), document.createTextNode(' ' + entry.safer.summary)]) : null;
      var share = el('button', { type: 'button', class: 'secondary share', text: t('web.share') });
      share.onclick = function () { shareTrip(it); };
      // Alerts on any ride of the option, once each, where the rider looks first.
      var seen = {};
      var warns = [];
      it.legs.forEach(function (l) {
        (l.alerts || []).forEach(function (a) {
          if (seen[a.id]) return;
          seen[a.id] = true;
          warns.push(el('p', { class: 'alert', role: 'status', 'data-alert': a.id,
            text: t('web.alert_on', { route: l.route_short_name }) + ': ' + a.header }));
        });
      });
      var labels = (it.labels || []).length ? el('ul', { class: 'labels' }, it.labels.map(function (l) { return el('li', { text: t('web.label.' + l) }); })) : null;
      var li = el('li', { 'aria-label': t('web.option', { n: i + 1 }), class: entry.safer ? 'safer-option' : '' },
        [head, labels].concat(warns).concat([summary, gist(it), steps]).concat(notes).concat([el('p', { class: 'meta', text: meta.join(' · ') }), el('div', { class: 'row' }, [show, share])]));
      show.onclick = function () {
        draw(it, li);
        // The map may be scrolled out of view on a phone: bring it back.
        var r = $('map').getBoundingClientRect();
        if (r.top < 0 || r.bottom > window.innerHeight) $('map').scrollIntoView({ block: 'start' });
      };
      list.appendChild(li);
    });
    draw(its[0], list.firstChild);
    // On a phone the answer is below the map: bring the first option into view.
    var first = list.firstChild.getBoundingClientRect();
    if (first.top < 0 || first.top > window.innerHeight - 120) list.firstChild.scrollIntoView({ block: 'start' });
    document.body.dataset.state = 'planned';
  }

  function contrastInk(hex) {
    if (!hex || hex.length !== 6) return '#fff';
    var r = parseInt(hex.slice(0, 2), 16), g = parseInt(hex.slice(2, 4), 16), b = parseInt(hex.slice(4, 6), 16);
    return (0.299 * r + 0.587 * g + 0.114 * b) > 150 ? '#000' : '#fff';
  }

  function draw(it, li) {
    tripLayer.clearLayers();
    Array.prototype.forEach.call($('results').children, function (c) { c.classList.toggle('selected', c === li); });
    var group = L.featureGroup();
    it.legs.forEach(function (leg) {
      if (!leg.geometry) return;
      var ride = leg.mode === 'ride';
      // A dark casing keeps pale route colours visible over the network.
      if (ride) L.geoJSON(leg.geometry, { interactive: false, renderer: tripRenderer, style: { color: '#14213d', weight: 10, opacity: 0.85 } }).addTo(group);
      L.geoJSON(leg.geometry, {
        interactive: false,
        renderer: tripRenderer,
        style: ride
          ? { color: leg.route_color ? '#' + leg.route_color : '#0b5563', weight: 6, opacity: 0.95, className: 'leg-ride' }
          : { color: '#14213d', weight: 4, opacity: 0.8, dashArray: '4 8', className: 'leg-walk' }
      }).addTo(group);
      if (ride) {
        L.circleMarker([leg.board.lat, leg.board.lon], { radius: 6, color: '#14213d', fillColor: '#fff', fillOpacity: 1, interactive: false }).addTo(group);
        L.circleMarker([leg.alight.lat, leg.alight.lon], { radius: 6, color: '#14213d', fillColor: '#fff', fillOpacity: 1, interactive: false }).addTo(group);
      }
    });
    group.addTo(tripLayer);
    var b = group.getBounds();
    // No animation: instant on a cheap phone, and the drawn trip is in view at once.
    if (b.isValid()) map.fitBounds(b, { padding: [24, 24], animate: false });
    document.body.dataset.drawn = String(it.legs.length);
  }

  // ---- share my trip: the trip travels in the link's fragment, which browsers never send
  // to a server; paradero keeps nothing, and the page shows nothing after it expires ----
  function shareTrip(it) {
    // A leg's line, thinned to at most 30 points of 5 decimals (about a metre), so the link
    // stays short enough for a chat message.
    function line(g) {
      var c = (g && g.coordinates) || [], step = Math.max(1, Math.ceil(c.length / 30)), out = [];
      for (var i = 0; i < c.length; i += step) out.push([+c[i][1].toFixed(5), +c[i][0].toFixed(5)]);
      if (c.length && (c.length - 1) % step) out.push([+c[c.length - 1][1].toFixed(5), +c[c.length - 1][0].toFixed(5)]);
      return out;
    }
    var legs = it.legs.map(function (l) {
      return l.mode === 'walk'
        ? { w: minutes(l.duration_s), m: l.distance_m, t: l.to ? stopName(l.to) : '', g: line(l.geometry) }
        : { r: l.route_short_name, c: l.route_color || '', h: l.headsign, b: stopName(l.board), bt: clock(l.board.time), a: stopName(l.alight), at: clock(l.alight.time),
            n: (l.intermediate_stops || []).length + 1, g: line(l.geometry) };
    });
    var hours = +(document.body.dataset.shareHours || 1);
    var payload = { v: 2, dep: it.departure, arr: it.arrival, x: !!it.approximate, exp: Date.parse(it.arrival) + hours * 3600 * 1000, legs: legs };
    var bytes = new TextEncoder().encode(JSON.stringify(payload));
    var bin = ''; bytes.forEach(function (b) { bin += String.fromCharCode(b); });
    var url = location.origin + '/compartir?lang=' + LANG + '#' + btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    document.body.dataset.shared = url;
    if (navigator.share) { navigator.share({ title: t('web.share_title'), url: url }).catch(function () {}); return; }
    if (navigator.clipboard) navigator.clipboard.writeText(url).then(function () { status(t('web.share_copied')); }, function () { status(url); });
    else status(url);
  }


  // For tests and bookmarklets: the map and the current places.
  window.paradero = { map: map, places: places, vehicles: vehiclesLayer };
  // For tests: the API as the page asks it (falling back to the phone), and the phone's worker.
  window.paradero.api = api;
  window.paradero.offlineAsk = function (path) { return ask({ type: 'ask', path: path, now: Date.now() / 1000 }); };
  window.paradero.offlineLoad = function (bytes) { return ask({ type: 'load', bytes: bytes }); };
  // The city first: the map opens on it, and every search and plan stays within it.
  chooseCity().then(function (c) {
    if (c) showCity(c);
    if (c && c.home) map.fitBounds([[c.home[1], c.home[0]], [c.home[3], c.home[2]]], { padding: [8, 8], animate: false });
    loadMap();
    // A planner address (a reload, a bookmark, a link someone sent) plans its trip at once.
    if (restore(location.search)) plan(true);
    offerOffline();
  });
  // Installable, and opens with no connection: the service worker keeps the page (sw.js).
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js').catch(function () { /* online only */ });
})();
