// Offline shell: the pages, scripts and styles are cached at install; navigations go to the network
// first and fall back to the cached shell; API answers (/v1/, /local/) are never cached. The interface
// texts (/i18n/<lang>.json, compiled from the message catalogue) are part of the shell.
const VERSION = 'minyi-shell-v2';
const SHELL = [
  '/', '/console', '/track', '/css/app.css', '/js/app.js', '/js/console.js', '/js/common.js', '/js/i18n.js',
  '/js/charts.js', '/js/console/shared.js', '/js/console/signin.js', '/js/console/call.js', '/js/console/callbacks.js',
  '/js/console/staff.js', '/js/console/catalog.js', '/js/console/yaml.js', '/js/console/inbox.js', '/js/console/case.js',
  '/js/console/supervision.js', '/js/console/scoreboard.js', '/js/intake.js', '/js/console/intake.js', '/js/console/hotspots.js', '/i18n/zh.json', '/i18n/en.json', '/manifest.webmanifest', '/icons/icon.svg', '/icons/icon-192.png',
];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(VERSION).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== VERSION).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (/^\/(v1|local|open311|config\.json|openapi\.json|swagger)/.test(url.pathname)) return;
  if (event.request.mode === 'navigate') {
    const shell = url.pathname.startsWith('/console') ? '/console' : url.pathname === '/track' ? '/track' : '/';
    event.respondWith(fetch(event.request).catch(() => caches.match(shell)));
    return;
  }
  event.respondWith(fetch(event.request).then((resp) => {
    if (resp.ok) { const copy = resp.clone(); caches.open(VERSION).then((cache) => cache.put(event.request, copy)); }
    return resp;
  }).catch(() => caches.match(event.request)));
});
