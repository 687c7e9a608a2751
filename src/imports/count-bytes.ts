// A pass-through stream that counts bytes: the CLI's progress bar reads the count, and uploads whose size is only
// known as they stream (text/csv bodies bypass Fastify's bodyLimit, which applies to buffered parsers) stop at `max`.
import { Transform } from 'node:stream'
import { ImportError } from './errors.js'

export function countBytes(options: { max?: number | undefined; onBytes?: ((total: number) => void) | undefined }): Transform {
  let total = 0
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      total += chunk.length
      options.onBytes?.(total)
      if (options.max !== undefined && total > options.max) return done(tooLarge(options.max))
      done(null, chunk)
    },
  })
}

export function tooLarge(max: number): ImportError {
  return new ImportError('too_large', `the file is larger than ${max >= 1024 * 1024 ? `${Math.round(max / 1024 / 1024)} MB` : `${max} bytes`}; split it by date range and upload the parts (re-uploading overlapping parts is safe)`)
}
