// paradero: report an incident from the web, follow it and erase it. Plain script, no build
// step. The secret reference is shown once, for the reporter to keep; a report written with no
// connection waits in the browser (IndexedDB) until it is sent, and is then deleted. Every text comes from the catalog the server embedded in the page (#strings).
(function () {
  'use strict';
  var S = JSON.parse(document.getElementById('strings').textContent);
  var LANG = document.documentElement.lang || 'es';
  function t(key, args) {
    var s = S[key] || key;
    Object.keys(args || {}).forEach(function (k) { s = s.split('{' + k + '}').join(String(args[k])); });
    return s;
  }
  function $(id) { return document.getElementById(id); }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function say(box, text, isError) {
    box.textContent = text || '';
    box.className = isError ? 'error' : '';
  }
  function call(method, path, body, headers) {
    var h = { Accept: 'application/json' };
    Object.keys(headers || {}).forEach(function (k) { h[k] = headers[k]; });
    if (body) h['Content-Type'] = 'application/json';
    return fetch(path, { method: method, headers: h, body: body ? JSON.stringify(body) : undefined }).then(function (r) {
      if (r.status === 204) return {};
      return r.json().catch(function () { return {}; }).then(function (b) {
        if (!r.ok) { var e = new Error(b.detail || r.statusText); e.status = r.status; throw e; }
        return b;
      });
    });
  }
  function failed(box) {
    return function (err) {
      say(box, err && err.status ? err.message : t('web.network_error'), true);
      document.body.dataset.state = 'error';
    };
  }
  // A fresh key per report being written: a retry after a lost answer files it once.
  function newKey() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
  }
  var key = newKey();

  // ---- categories (a tree of groups) and the optional profile ----
  var labels = {};
  call('GET', '/v1/categories?lang=' + LANG).then(function (tree) {
    var select = $('category');
    tree.groups.forEach(function (g) {
      var group = document.createElement('optgroup');
      group.label = g.label;
      g.categories.forEach(function (c) {
        var o = el('option', c.label);
        o.value = c.code;
        labels[c.code] = c.label;
        group.appendChild(o);
      });
      select.appendChild(group);
    });
    (tree.actors || []).forEach(function (a) {
      ['actor-involved', 'actor-victim'].forEach(function (id) {
        var o = el('option', a.label);
        o.value = a.code;
        $(id).appendChild(o);
      });
    });
    document.body.dataset.categories = 'ready';
  }).catch(failed($('report-status')));
  // The one gender and age vocabulary, written into the page by the server (store's
  // Gender and AgeBand), not a copy here.
  [['gender', 'gender.'], ['age', 'age.']].forEach(function (f) {
    JSON.parse($(f[0]).dataset.words).forEach(function (v) {
      var o = el('option', t(f[1] + v));
      o.value = v;
      $(f[0]).appendChild(o);
    });
  });

  // ---- the place: a tap on the map (the network as base map), or the rider's location ----
  var map = L.map('map', { preferCanvas: true, attributionControl: true });
  map.attributionControl.setPrefix(false);
  map.setView([-16.4, -71.535], 13);
  var place = null, pin = null;
  function setPlace(lat, lon) {
    place = { lat: lat, lon: lon };
    if (pin) pin.setLatLng([lat, lon]);
    else pin = L.circleMarker([lat, lon], { radius: 9, color: '#9b1c1c', fillColor: '#f4a261', fillOpacity: 1 }).addTo(map);
    say($('place-status'), t('web.report.place_set'));
    document.body.dataset.place = lat.toFixed(5) + ',' + lon.toFixed(5);
  }
  map.on('click', function (e) { setPlace(e.latlng.lat, e.latlng.lng); });
  call('GET', '/v1/network').then(function (net) {
    L.geoJSON(net, { style: function (f) {
      var c = f.properties && f.properties.color;
      return { color: c ? '#' + c : '#7a8a99', weight: 2, opacity: 0.55 };
    }, interactive: false }).addTo(map);
    if (net.bbox) map.fitBounds([[net.bbox[1], net.bbox[0]], [net.bbox[3], net.bbox[2]]], { animate: false });
    document.body.dataset.network = 'ready';
  }).catch(function () { document.body.dataset.network = 'none'; });
  $('locate').onclick = function () {
    if (!navigator.geolocation) { say($('place-status'), t('web.report.no_location'), true); return; }
    navigator.geolocation.getCurrentPosition(function (p) {
      setPlace(p.coords.latitude, p.coords.longitude);
      map.setView([p.coords.latitude, p.coords.longitude], 16, { animate: false });
    }, function () { say($('place-status'), t('web.report.no_location'), true); }, { timeout: 10000 });
  };

  // ---- finding the place by name: a plaza, a market, a corner ----
  var searchTimer = null;
  $('place-search').addEventListener('input', function () {
    var q = this.value.trim(), list = $('place-options');
    clearTimeout(searchTimer);
    if (q.length < 2) { list.hidden = true; return; }
    searchTimer = setTimeout(function () {
      call('GET', '/v1/places?limit=6&q=' + encodeURIComponent(q)).then(function (r) {
        list.innerHTML = '';
        (r.places || []).filter(function (p) { return p.type !== 'route'; }).forEach(function (p) {
          var b = document.createElement('button');
          b.type = 'button'; b.textContent = p.name;
          b.onclick = function () {
            setPlace(p.lat, p.lon);
            map.setView([p.lat, p.lon], 17, { animate: false });
            $('place-search').value = p.name; list.hidden = true;
          };
          var li = document.createElement('li'); li.appendChild(b); list.appendChild(li);
        });
        if (!list.children.length) {
          var none = document.createElement('li'); none.className = 'hint'; none.textContent = t('web.nothing_found'); list.appendChild(none);
        }
        list.hidden = false;
      }).catch(function () { list.hidden = true; });
    }, 250);
  });

  // ---- how much more can be written ----
  function count() {
    var d = $('description'), max = +d.getAttribute('maxlength');
    $('description-count').textContent = t('web.report.chars', { n: d.value.length, max: max });
  }
  $('description').addEventListener('input', count);
  count();

  // ---- the secret: copied or shared, so it is not lost ----
  $('copy-reference').onclick = function () {
    var ref = $('filed-reference').textContent;
    if (navigator.clipboard) navigator.clipboard.writeText(ref).then(function () { say($('report-status'), t('web.report.copied')); }, function () {});
  };
  $('share-reference').onclick = function () {
    var ref = $('filed-reference').textContent;
    if (navigator.share) navigator.share({ title: t('web.report.title'), text: ref }).catch(function () {});
    else if (navigator.clipboard) navigator.clipboard.writeText(ref).then(function () { say($('report-status'), t('web.report.copied')); }, function () {});
  };
  $('share-reference').hidden = !navigator.share;

  // ---- filing ----
  // The photo goes as it is (the server re-encodes it without its location or camera data).
  function sendPhoto(reference, file) {
    return fetch('/v1/reports/' + encodeURIComponent(reference) + '/photos?lang=' + LANG, {
      method: 'POST', headers: { 'Content-Type': file.type || 'application/octet-stream', Accept: 'application/json' }, body: file
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (b) {
        if (!r.ok) { var e = new Error(b.detail || r.statusText); e.status = r.status; throw e; }
        return b;
      });
    });
  }
  // ---- the outbox: what was written with no connection waits on the phone ----
  // Kept in IndexedDB with its idempotency key (so however often it is retried, from however
  // many tabs, it is filed once) and its photo, it survives closing the page; it is sent when
  // the connection returns (on the next visit, when the browser says it is online, and every
  // 20 s while something waits), then the reporter's secret reference is shown.
  var PHOTO_MAX = 8 * 1024 * 1024;
  function outbox(mode, fn) {
    return new Promise(function (ok, ko) {
      if (!window.indexedDB) return ko(new Error('no IndexedDB'));
      var open = indexedDB.open('paradero-outbox', 1);
      open.onupgradeneeded = function () { open.result.createObjectStore('reports', { keyPath: 'key' }); };
      open.onerror = function () { ko(open.error); };
      open.onsuccess = function () {
        var tx = open.result.transaction('reports', mode), req = fn(tx.objectStore('reports'));
        tx.oncomplete = function () { open.result.close(); ok(req && req.result); };
        tx.onerror = function () { open.result.close(); ko(tx.error); };
      };
    });
  }
  function drawOutbox() {
    return outbox('readonly', function (st) { return st.getAll(); }).then(function (items) {
      var list = $('outbox-list');
      list.textContent = '';
      (items || []).forEach(function (it) {
        var li = el('li', (labels[it.body.category] || it.body.category) + ' · ' + new Date(it.created).toLocaleString(LANG) + (it.photo ? ' · 📷' : '') +
          (it.refused ? ' — ' + it.refused : ''));
        var del = el('button', t('web.report.outbox_delete'), 'secondary');
        del.type = 'button';
        del.onclick = function () { outbox('readwrite', function (st) { return st.delete(it.key); }).then(drawOutbox); };
        li.appendChild(document.createTextNode(' '));
        li.appendChild(del);
        list.appendChild(li);
      });
      $('outbox').hidden = !(items && items.length);
      // What still waits to be sent (refused ones stay listed, for their reason).
      document.body.dataset.outbox = String((items || []).filter(function (it) { return !it.refused; }).length);
      return items || [];
    }).catch(function () { return []; });
  }
  function showFiled(reference) {
    $('filed-reference').textContent = reference;
    $('filed').hidden = false;
    $('reference').value = reference;
  }
  var flushing = false;
  function sendOne(it) {
    // Filed already (a reference kept) but the photo not yet sent: only the photo is left.
    var filed = it.reference ? Promise.resolve({ reference: it.reference })
      : call('POST', '/v1/reports?lang=' + (it.lang || LANG), it.body, { 'Idempotency-Key': it.key });
    return filed.then(function (r) {
      showFiled(r.reference);
      if (!it.photo) return r;
      it.reference = r.reference;
      return outbox('readwrite', function (st) { return st.put(it); }).then(function () {
        return sendPhoto(r.reference, it.photo).then(function () { return r; }, function (err) {
          // Refused (too big, not a photo): the report stands; only a lost connection retries.
          if (err && err.status) return r;
          throw err;
        });
      });
    }).then(function (r) {
      return outbox('readwrite', function (st) { return st.delete(it.key); }).then(function () {
        say($('report-status'), t('web.report.outbox_sent'));
        document.body.dataset.state = 'filed';
        return r;
      });
    }, function (err) {
      // The server said no (a category since removed, say): it will not say yes later. Kept,
      // with the reason, for the reporter to read and delete; not sent again by itself.
      if (err && err.status && err.status < 500 && err.status !== 429) {
        it.refused = err.message;
        return outbox('readwrite', function (st) { return st.put(it); }).then(function () {
          say($('report-status'), err.message, true);
        });
      }
      throw err;
    });
  }
  function flush() {
    if (flushing) return Promise.resolve();
    flushing = true;
    var run = function () {
      return outbox('readonly', function (st) { return st.getAll(); }).then(function (items) {
        return (items || []).filter(function (it) { return !it.refused; })
          .reduce(function (p, it) { return p.then(function () { return sendOne(it); }); }, Promise.resolve());
      });
    };
    // One tab at a time sends (the idempotency key makes a second sending harmless anyway).
    var locked = navigator.locks ? navigator.locks.request('paradero-outbox', run) : run();
    return locked.catch(function () { /* still offline: kept for later */ })
      .then(function () { flushing = false; return drawOutbox(); });
  }
  function keep(body, photo) {
    var it = { key: key, body: body, lang: LANG, created: Date.now() };
    if (photo && photo.size <= PHOTO_MAX) it.photo = photo;
    return outbox('readwrite', function (st) { return st.put(it); }).then(function () {
      say($('report-status'), t(photo && !it.photo ? 'web.report.queued_no_photo' : 'web.report.queued'));
      document.body.dataset.state = 'queued';
      $('report-form').reset();
      count();
      key = newKey();
      return drawOutbox();
    });
  }
  drawOutbox().then(function (items) { if (items.length) flush(); });
  window.addEventListener('online', flush);
  setInterval(function () { if (document.body.dataset.outbox !== '0' && document.body.dataset.outbox) flush(); }, 20000);
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js').catch(function () { /* online only */ });

  $('report-form').onsubmit = function (ev) {
    ev.preventDefault();
    var box = $('report-status');
    var category = $('category').value;
    if (!category) { say(box, t('web.report.need_category'), true); $('category').focus(); return; }
    if (!place) { say(box, t('web.report.need_place'), true); $('map').focus(); return; }
    var body = { category: category, lat: place.lat, lon: place.lon, channel: 'web' };
    var when = $('when').value;
    if (when) body.occurred_at = when.slice(0, 16);
    var text = $('description').value.trim();
    if (text) body.description = text;
    if ($('gender').value) body.gender = $('gender').value;
    if ($('age').value) body.age_band = $('age').value;
    if ($('actor-involved').value) body.actor_involved = $('actor-involved').value;
    if ($('actor-victim').value) body.actor_victim = $('actor-victim').value;
    $('send').disabled = true;
    say(box, t('web.report.sending'));
    var photo = $('photo').files && $('photo').files[0];
    call('POST', '/v1/reports?lang=' + LANG, body, { 'Idempotency-Key': key }).then(function (r) {
      say(box, '');
      $('filed-reference').textContent = r.reference;
      $('filed').hidden = false;
      $('reference').value = r.reference;
      $('report-form').reset();
      count();
      key = newKey();
      if (!photo) { document.body.dataset.state = 'filed'; return; }
      // The report is filed (and its secret shown) whatever happens to the photo.
      say(box, t('web.report.photo_sending'));
      return sendPhoto(r.reference, photo).then(function () {
        say(box, '');
        document.body.dataset.photo = 'sent';
      }, function (err) {
        say(box, t('web.report.photo_failed', { detail: err && err.status ? err.message : t('web.network_error') }), true);
        document.body.dataset.photo = 'failed';
      }).then(function () { document.body.dataset.state = 'filed'; });
    }).catch(function (err) {
      // No answer at all (no connection): kept on the phone, sent when it returns.
      if (!(err && err.status)) return keep(body, photo).catch(function () { failed(box)(err); });
      failed(box)(err);
    }).then(function () { $('send').disabled = false; });
  };

  // ---- following and erasing, with the secret ----
  function when(unix) {
    var d = new Date(unix * 1000);
    try { return d.toLocaleString(LANG, { dateStyle: 'medium', timeStyle: 'short' }); } catch (e) { return d.toISOString(); }
  }
  function show(ref, r) {
    var box = $('followed');
    box.textContent = '';
    box.appendChild(el('p', t('web.report.status_line', {
      category: labels[r.category] || r.category,
      status: t('status.' + r.status),
      reported: when(r.reported_at)
    })));
    if (r.history.length) {
      var list = el('ol', '', 'steps');
      r.history.forEach(function (h) {
        list.appendChild(el('li', when(h.at) + ' · ' + t('status.' + h.status) + (h.note ? ' — ' + h.note : '')));
      });
      box.appendChild(list);
    }
    var erase = el('button', t('web.report.erase'), 'secondary');
    erase.type = 'button';
    erase.id = 'erase';
    erase.onclick = function () {
      if (erase.dataset.armed !== '1') {
        erase.dataset.armed = '1';
        erase.textContent = t('web.report.erase_confirm');
        return;
      }
      call('DELETE', '/v1/reports/' + encodeURIComponent(ref) + '?lang=' + LANG).then(function () {
        box.textContent = '';
        box.appendChild(el('p', t('web.report.erased')));
        $('filed').hidden = true;
        document.body.dataset.state = 'erased';
      }).catch(failed(box));
    };
    box.appendChild(erase);
    document.body.dataset.state = 'followed';
  }
  $('follow-form').onsubmit = function (ev) {
    ev.preventDefault();
    var ref = $('reference').value.trim();
    if (!ref) { say($('followed'), t('web.report.need_reference'), true); return; }
    call('GET', '/v1/reports/' + encodeURIComponent(ref) + '?lang=' + LANG).then(function (r) { show(ref, r); })
      .catch(failed($('followed')));
  };

  window.paradero = { map: map, setPlace: setPlace, flush: flush };
})();
