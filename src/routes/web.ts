// The web view at /app: one HTML page, one vanilla JS module and one stylesheet from src/web/, no build step.
// Registered outside the bearer scope: the page itself is public, and its script sends the token the user pasted
// (kept in sessionStorage) as a bearer header on every API call, so there is no cookie and nothing to forge.
// Nothing inline in the HTML (no <script> body, no style attribute): a Content-Security-Policy of
// default-src 'self' holds for the page.
import type { FastifyPluginAsync } from 'fastify'
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'

// Resolved from the project root, not from this file's folder: the compiled dist/routes/web.js reads the same
// src/web/ files (they are served as written, never compiled).
const WEB_DIR = new URL('../../src/web/', import.meta.url)

const FILES = {
  '/app': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
  '/app/icon.svg': { file: 'icon.svg', type: 'image/svg+xml' },
} as const

interface Asset {
  body: Buffer
  type: string
  etag: string
}

const web: FastifyPluginAsync = async (app) => {
  // Read once at start-up: a missing file stops the service now rather than 500 on the first visit. A few KB.
  const assets = new Map<string, Asset>()
  for (const [path, { file, type }] of Object.entries(FILES)) {
    const body = await readFile(new URL(file, WEB_DIR))
    assets.set(path, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` })
  }

  for (const [path, asset] of assets) {
    app.get(path, { config: { rateLimit: false }, schema: { hide: true } }, async (request, reply) => {
      // no-cache = revalidate every time: a new release is picked up at once, an unchanged file costs a 304.
      reply.header('cache-control', 'no-cache').header('etag', asset.etag).header('x-content-type-options', 'nosniff')
      if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send()
      return reply.type(asset.type).send(asset.body)
    })
  }
  // The service's root has nothing else to show a browser.
  app.get('/', { config: { rateLimit: false }, schema: { hide: true } }, async (_request, reply) => reply.redirect('/app', 302))
}
export default web
