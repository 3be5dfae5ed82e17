// A trip a rider shared with someone they trust. The trip is in the link's fragment: the
// browser never sends it to paradero, which keeps nothing. After its expiry this page shows
// nothing of it.
(function () {
  'use strict';
  var S = JSON.parse(document.getElementById('strings').textContent);
  function t(key, args) {
    var s = S[key] || key;
    Object.keys(args || {}).forEach(function (k) { s = s.split('{' + k + '}').join(String(args[k])); });
    return s;
  }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  // Another language keeps the trip: the fragment goes along (still never sent to paradero).
  Array.prototype.forEach.call(document.querySelectorAll('header a[hreflang]'), function (a) {
    a.href = a.getAttribute('href') + location.hash;
  });
  var box = document.getElementById('trip');
  var trip = null;
  try {
    var b64 = location.hash.slice(1).replace(/-/g, '+').replace(/_/g, '/');
    var bin = atob(b64);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    trip = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) { trip = null; }
  if (!trip || (trip.v !== 1 && trip.v !== 2) || !Array.isArray(trip.legs)) {
    box.appendChild(el('p', t('web.share_invalid'), 'expired'));
    document.body.dataset.state = 'invalid';
    return;
  }
  if (!(Date.now() < trip.exp)) {
    box.appendChild(el('p', t('web.share_expired'), 'expired'));
    document.body.dataset.state = 'expired';
    return;
  }
  var clock = function (iso) { return (iso || '').slice(11, 16); };
  // Times in the trip's own time zone (the offset its departure carries), not the reader's.
  var offset = /([+-])(\d\d):(\d\d)$/.exec(trip.dep || '');
  var offsetMin = offset ? (offset[1] === '-' ? -1 : 1) * (+offset[2] * 60 + +offset[3]) : 0;
  var inTripZone = function (ms) { return new Date(ms + offsetMin * 60000).toISOString().slice(11, 16); };
  var ax = trip.x ? '.approx' : '';
  var tilde = trip.x ? '~' : '';
  box.appendChild(el('h2', t('web.share_heading', { dep: tilde + clock(trip.dep), arr: tilde + clock(trip.arr) })));
  var list = el('ol', '', 'steps');
  trip.legs.forEach(function (l) {
    var text = l.r
      ? t('web.ride' + ax, { route: l.r, headsign: l.h, stop: l.b, time: l.bt }) + ' → ' + t('web.alight' + ax, { stop: l.a, time: l.at, stops: l.n || '?' })
      : (l.m != null
        ? t('web.walk', { minutes: l.w, meters: l.m, to: l.t || t('web.walk.destination') })
        : t('web.walk_short', { minutes: l.w, to: l.t || t('web.walk.destination') }));
    list.appendChild(el('li', String(text)));
  });
  box.appendChild(list);
  if (trip.x) box.appendChild(el('p', t('web.estimated'), 'note'));
  box.appendChild(el('p', t('web.share_until', { time: inTripZone(trip.exp) }), 'meta'));
  // A small map of the trip's lines (in the link itself; nothing is fetched about it).
  var lines = trip.legs.filter(function (l) { return Array.isArray(l.g) && l.g.length > 1; });
  if (lines.length && window.L) {
    var div = document.getElementById('share-map');
    div.hidden = false;
    var map = L.map(div, { attributionControl: false, zoomControl: true });
    var group = L.featureGroup().addTo(map);
    lines.forEach(function (l) {
      var ride = !!l.r;
      L.polyline(l.g, ride
        ? { color: /^[0-9a-fA-F]{6}$/.test(l.c || '') ? '#' + l.c : '#0b5563', weight: 6, opacity: 0.95 }
        : { color: '#14213d', weight: 4, opacity: 0.8, dashArray: '4 8' }).addTo(group);
    });
    var first = lines[0].g[0], last = lines[lines.length - 1].g[lines[lines.length - 1].g.length - 1];
    L.circleMarker(first, { radius: 7, color: '#fff', weight: 3, fillColor: '#2a9d8f', fillOpacity: 1 }).addTo(group);
    L.circleMarker(last, { radius: 7, color: '#fff', weight: 3, fillColor: '#c1121f', fillOpacity: 1 }).addTo(group);
    map.fitBounds(group.getBounds(), { padding: [16, 16], animate: false });
    document.body.dataset.map = 'drawn';
  }
  document.body.dataset.state = 'shown';
})();
