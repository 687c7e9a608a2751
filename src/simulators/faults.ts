/**
 * The broken answers the simulators can give on request (harness.ts `injectFailures`), written on the raw socket:
 * Fastify would fix the very things these faults get wrong (lengths, content types, complete bodies).
 */
import type { ServerResponse } from 'node:http';

/**
 * Broken answers beyond an error status, each sent the way a real server or the proxy in front of it sends it:
 *  - 'timeout': accept the request and never answer (the socket is dropped after hangMs);
 *  - 'slow': 200 and headers at once, then the body a byte every 100 ms, never finished before hangMs;
 *  - 'garbage-json': 200 `application/json` whose body is not JSON (a half-written document, then noise);
 *  - 'truncated': 200 with a Content-Length larger than what is sent, then the connection closed;
 *  - 'html': 200 `text/html`, a gateway's or captive portal's error page in place of the API's answer;
 *  - 'huge': 200 `application/json` streamed (chunked, no length) for hugeBytes, with backpressure;
 *  - 'huge-declared': the same with `Content-Length: hugeBytes` announced up front.
 */
export const FAULT_KINDS = ['timeout', 'slow', 'garbage-json', 'truncated', 'html', 'huge', 'huge-declared'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** What the harness records of a faulted request. */
export interface FaultRecord {
  statusCode: number | undefined;
  bytesSent?: number;
}

const GATEWAY_PAGE = '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body><center><h1>502 Bad Gateway</h1></center>\n' +
  '<hr><center>nginx</center>\n<p>The upstream server is temporarily unavailable. Please try again later.</p></body></html>\n';
// A plausible record, repeated: a client that parses as it reads sees valid JSON until it gives up.
const RECORD = '{"recordId":"00000000-0000-4000-8000-000000000000","systemTime":"2024-01-01T00:00:00","value":100},';

/** Writes one broken answer (see FaultKind) on the raw response; `hang` drops the socket after hangMs. */
export function sendFault(kind: FaultKind, res: ServerResponse, entry: FaultRecord, hugeBytes: number, hang: () => void): void {
  entry.statusCode = kind === 'timeout' ? 0 : 200;
  entry.bytesSent = 0;
  const json = { 'content-type': 'application/json; charset=utf-8' };
  const write = (text: string | Buffer): boolean => {
    entry.bytesSent = (entry.bytesSent ?? 0) + Buffer.byteLength(text);
    return res.write(text);
  };
  switch (kind) {
    case 'timeout':
      hang();
      return;
    case 'slow': {
      res.writeHead(200, json);
      write('{"records":[');
      const drip = setInterval(() => (res.destroyed ? clearInterval(drip) : write(' ')), 100);
      res.on('close', () => clearInterval(drip));
      hang();
      return;
    }
    case 'garbage-json': {
      const body = '{"records":[{"recordId":"a1","value":1' + '\u0000}}]]<<not json>>';
      res.writeHead(200, { ...json, 'content-length': Buffer.byteLength(body) });
      write(body);
      res.end();
      return;
    }
    case 'truncated': {
      const part = `{"records":[${RECORD.repeat(20)}`;
      res.writeHead(200, { ...json, 'content-length': Buffer.byteLength(part) * 4 });
      write(part);
      // Closed once what was written is flushed: the client sees fewer bytes than announced, then EOF.
      res.write('', () => res.socket?.destroy());
      return;
    }
    case 'html':
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(GATEWAY_PAGE) });
      write(GATEWAY_PAGE);
      res.end();
      return;
    case 'huge':
    case 'huge-declared':
      res.writeHead(200, kind === 'huge' ? json : { ...json, 'content-length': hugeBytes });
      void streamHuge(res, hugeBytes, write);
      return;
  }
}

/** hugeBytes of `{"records":[…]}`, written only as fast as the client reads (backpressure); stops when it leaves. */
async function streamHuge(res: ServerResponse, total: number, write: (chunk: string | Buffer) => boolean): Promise<void> {
  const head = '{"records":[';
  const tail = '{"value":0}]}';
  const chunk = Buffer.from(RECORD.repeat(Math.floor(65_536 / RECORD.length)));
  let sent = 0;
  if (!write(head)) await drained(res);
  sent += head.length;
  while (!res.destroyed && sent + chunk.length + tail.length <= total) {
    const more = write(chunk);
    sent += chunk.length;
    if (!more) await drained(res);
  }
  if (res.destroyed) return;
  const pad = total - sent - tail.length;
  write(' '.repeat(Math.max(0, pad)) + tail);
  res.end();
}

const drained = (res: ServerResponse): Promise<void> =>
  new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
