// paradero's service worker: the riders' page opens with no connection. The app shell (the
// page, its script and styles, the map library) is kept under this version's cache; the
// phone's router (half a megabyte) only once the rider chose to save the timetables, when the
// page first asks for it; assets are fetched by versioned URL, so a new version never mixes with an
// open page's. The network map and the map's home view are kept as last seen. Every other API
// answer goes to the network (the page itself falls back to the router on the phone).
'use strict';
var VERSION = '{{version}}';
var CACHE = 'paradero-' + VERSION;
var SHELL = [
  '/',
  '/assets/app.js?v=' + VERSION,
  '/assets/app.css?v=' + VERSION,
  '/assets/leaflet.js?v=' + VERSION,
  '/assets/leaflet.css?v=' + VERSION,
  '/assets/icon.svg?v=' + VERSION,
  '/assets/reportar.js?v=' + VERSION,
  '/manifest.webmanifest'
];
var KEPT = ['/v1/network', '/v1/map'];
// Pages that open with no connection: the planner, and the report form (whose reports wait).
var PAGES = ['/', '/reportar'];

var ROUTER = ['/assets/offline.js?v=' + VERSION, '/assets/phone.wasm?v=' + VERSION];

// One by one: one that fails does not stop the rest from being kept.
function keep(urls) {
  return caches.open(CACHE).then(function (c) {
    return Promise.all(urls.map(function (u) { return c.add(u).catch(function () {}); }));
  });
}

// Whether the rider saved a timetable (the page keeps it in IndexedDB `paradero`).
function routerWanted() {
  return new Promise(function (ok) {
    try {
      var open = indexedDB.open('paradero', 1);
      open.onupgradeneeded = function () { open.result.createObjectStore('bundles', { keyPath: 'feed' }); };
      open.onerror = function () { ok(false); };
      open.onsuccess = function () {
        var req = open.result.transaction('bundles', 'readonly').objectStore('bundles').count();
        req.onsuccess = function () { open.result.close(); ok(req.result > 0); };
        req.onerror = function () { open.result.close(); ok(false); };
      };
    } catch (err) { ok(false); }
  });
}

self.addEventListener('install', function (e) {
  e.waitUntil(keep(SHELL).then(routerWanted).then(function (wanted) {
    return wanted && keep(ROUTER);
  }).then(function () { return self.skipWaiting(); }));
});

// The page says the rider saved a timetable: keep the router to plan with it offline.
self.addEventListener('message', function (e) {
  if (e.data === 'keep-router') e.waitUntil(keep(ROUTER));
});

self.addEventListener('activate', function (e) {
  e.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf('paradero-') === 0 && k !== CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

// `fallback`: what else may answer with no connection (a city's page never opened online
// opens as the planner's, which then takes the city from its address).
function networkFirst(req, key, fallback) {
  return fetch(req).then(function (r) {
    if (r.ok) {
      var copy = r.clone();
      caches.open(CACHE).then(function (c) { c.put(key, copy); });
    }
    return r;
  }).catch(function () {
    return caches.match(key).then(function (hit) {
      return hit || (fallback && caches.match(fallback, { ignoreSearch: true }));
    }).then(function (hit) {
      if (hit) return hit;
      throw new Error('offline');
    });
  });
}

// A city's address (`/trujillo`): one path segment that is none of the other pages.
var OTHER_PAGES = /^\/(reportar|encuestas|observatorio|compartir|docs|sw\.js|healthz|metrics)$/;
function isCityPage(path) { return /^\/[a-z0-9-]+$/.test(path) && !OTHER_PAGES.test(path); }

self.addEventListener('fetch', function (e) {
  var req = e.request;
  if (req.method !== 'GET') return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === 'navigate' && PAGES.indexOf(url.pathname) >= 0) {
    e.respondWith(networkFirst(req, url.pathname));
  } else if (req.mode === 'navigate' && isCityPage(url.pathname)) {
    e.respondWith(networkFirst(req, url.pathname, '/'));
  } else if (url.pathname.indexOf('/assets/') === 0 || url.pathname === '/manifest.webmanifest') {
    e.respondWith(caches.match(req).then(function (hit) { return hit || networkFirst(req, req); }));
  } else if (KEPT.indexOf(url.pathname) >= 0) {
    // Each city's network map is kept apart (`?city=`).
    var city = url.searchParams.get('city');
    e.respondWith(networkFirst(req, url.pathname + (city ? '?city=' + city : '')));
  }
});
