// Mirubato's service worker (built into dist/sw.js by build/plugins.ts): the app shell is
// precached at install, so the app opens offline; data lives in IndexedDB, not here.
const PRECACHE = __PRECACHE__
const CACHE = `mirubato-shell-${__VERSION__}`

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(PRECACHE))
      .then(() => self.skipWaiting()),
  )
})

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  )
})

/** Network first (fresh when online), the cached copy when offline. */
async function networkFirst(request, fallbackKey) {
  const cache = await caches.open(CACHE)
  try {
    const response = await fetch(request)
    if (response.ok) await cache.put(fallbackKey ?? request, response.clone())
    return response
  } catch (error) {
    const cached = await cache.match(fallbackKey ?? request, { ignoreVary: true })
    if (cached) return cached
    throw error
  }
}

self.addEventListener('fetch', (event) => {
  const { request } = event
  const url = new URL(request.url)
  // Only this origin's GETs: the api, sync and other services are never cached here.
  if (request.method !== 'GET' || url.origin !== self.location.origin) return
  if (request.mode === 'navigate') {
    // Every app route is the same shell.
    event.respondWith(networkFirst(request, '/'))
  } else if (url.pathname.startsWith('/assets/')) {
    // Content-hashed: a cached copy is always right. Responses vary by Origin (CORS), which a
    // module script sends and the precache did not, so the match ignores Vary.
    event.respondWith(caches.match(request, { ignoreVary: true }).then((hit) => hit ?? networkFirst(request)))
  } else if (url.pathname === '/config.json' || PRECACHE.includes(url.pathname)) {
    event.respondWith(networkFirst(request))
  }
})
