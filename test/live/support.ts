// A Server-Sent Events client for the tests: fetch with a streaming body reader, parsed per the SSE spec's field
// lines (id, event, data; ':' starts a comment). Records every message with the time it arrived.
import type { Running, TestUser } from '../helpers.js'

export interface SseMessage {
  id: string | undefined
  event: string
  data: any
  receivedAt: number
}

export class SseClient {
  readonly messages: SseMessage[] = []
  readonly comments: string[] = []
  ended = false
  private waiters: Array<() => void> = []
  private readonly controller = new AbortController()

  static async open(app: Running, user: TestUser | undefined, options: { lastEventId?: string; query?: string } = {}) {
    const client = new SseClient()
    const response = await fetch(`${app.url}/api/v1/glucose/stream${options.query ? `?${options.query}` : ''}`, {
      headers: {
        ...(user && { authorization: `Bearer ${user.token}` }),
        accept: 'text/event-stream',
        ...(options.lastEventId !== undefined && { 'last-event-id': options.lastEventId }),
      },
      signal: client.controller.signal,
    })
    if (response.status !== 200) return { status: response.status, body: await response.json(), client: undefined, response }
    void client.read(response.body!)
    // The stream writes `retry:` and a comment at once: wait for it, so the subscription is in place.
    await client.waitUntil(() => client.comments.includes('connected'), 2000, 'the connected comment')
    return { status: 200, body: undefined, client, response }
  }

  private async read(body: ReadableStream<Uint8Array>) {
    const decoder = new TextDecoder()
    let buffer = ''
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true })
        let end: number
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          this.parse(buffer.slice(0, end))
          buffer = buffer.slice(end + 2)
        }
        this.notify()
      }
    } catch {
      // aborted by close()
    }
    this.ended = true
    this.notify()
  }

  private parse(block: string) {
    let id: string | undefined
    let event = 'message'
    const data: string[] = []
    let fields = 0
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        this.comments.push(line.slice(1).trim())
        continue
      }
      const colon = line.indexOf(':')
      const field = colon < 0 ? line : line.slice(0, colon)
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
      if (field === 'id') id = value
      else if (field === 'event') event = value
      else if (field === 'data') data.push(value)
      else continue
      fields++
    }
    if (fields > 0 && data.length > 0) this.messages.push({ id, event, data: JSON.parse(data.join('\n')), receivedAt: Date.now() })
  }

  private notify() {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }

  /** Resolves when `check` holds, re-checked on every chunk; rejects after `timeoutMs`. */
  async waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!check()) {
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${JSON.stringify(this.messages.map((m) => [m.id, m.event]))}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  /** The first message (from index `from`) matching `match`, waiting up to `timeoutMs` for it. */
  async next(match: (m: SseMessage) => boolean, timeoutMs = 2000, from = 0): Promise<SseMessage> {
    let found: SseMessage | undefined
    await this.waitUntil(() => (found = this.messages.slice(from).find(match)) !== undefined, timeoutMs, 'a matching event')
    return found!
  }

  ofType(event: string): SseMessage[] {
    return this.messages.filter((m) => m.event === event)
  }

  close() {
    this.controller.abort()
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** One reading `minutesAgo` before now (whole seconds), in mg/dL. */
export function readingAt(minutesAgo: number, value: number, extra: Record<string, unknown> = {}) {
  return { time: new Date(Math.floor(Date.now() / 1000) * 1000 - minutesAgo * 60_000).toISOString(), value, ...extra }
}
