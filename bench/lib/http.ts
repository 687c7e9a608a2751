// A minimal keep-alive HTTP client (node:http): the ingest client must cost as little as possible, so the figure
// is the server's. Bodies arrive pre-serialized as Buffers.
import { Agent, request } from 'node:http'

export interface HttpResponse {
  status: number
  body: string
}

export function keepAliveAgent(sockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets: sockets })
}

export function send(agent: Agent, url: string, init: { method: string; headers?: Record<string, string>; body?: Buffer }): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const headers = { ...init.headers, ...(init.body && { 'content-type': 'application/json', 'content-length': String(init.body.length) }) }
    const req = request(url, { method: init.method, agent, headers }, (res) => {
      const parts: Buffer[] = []
      res.on('data', (part: Buffer) => parts.push(part))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(init.body)
  })
}
