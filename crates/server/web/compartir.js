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
  var box = document.getElementById('trip');
  var trip = null;
  try {
    var b64 = location.hash.slice(1).replace(/-/g, '+').replace(/_/g, '/');
    var bin = atob(b64);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    trip = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) { trip = null; }
  if (!trip || trip.v !== 1 || !Array.isArray(trip.legs)) {
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
  box.appendChild(el('h2', t('web.share_heading', { dep: clock(trip.dep), arr: clock(trip.arr) })));
  var list = el('ol', '', 'steps');
  trip.legs.forEach(function (l) {
    var text = l.r
      ? t('web.ride', { route: l.r, headsign: l.h, stop: l.b, time: l.bt }) + ' → ' + t('web.alight', { stop: l.a, time: l.at, stops: '…' })
      : t('web.walk', { minutes: l.w, meters: '…', to: l.t || t('web.walk.destination') });
    list.appendChild(el('li', String(text)));
  });
  box.appendChild(list);
  box.appendChild(el('p', t('web.share_until', { time: new Date(trip.exp).toTimeString().slice(0, 5) }), 'meta'));
  document.body.dataset.state = 'shown';
})();
