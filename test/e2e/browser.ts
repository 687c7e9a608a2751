// Headless Chromium for the web view's end-to-end test and the README pictures: Debian's `chromium` package driven
// by playwright-core (no browser download: this machine's network is closed, and CI installs the same package).
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { chromium, type Browser } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'

// The closed network makes Chromium's background services (updates, sync, QUIC probes) stall start-up and page
// loads; these switch them off.
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']

export const chromiumInstalled = () => existsSync(CHROMIUM)

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 60_000 })
}

/** Test artifacts (screenshots) live here, git-ignored. */
export const ARTIFACTS = new URL('../../test-artifacts/e2e/', import.meta.url)

export async function artifactPath(name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true })
  return new URL(name, ARTIFACTS).pathname
}
