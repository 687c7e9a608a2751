// Why a whole import was refused (as opposed to a bad row, which is reported and skipped). Routes map the kind to
// an HTTP status; the CLI prints the message. Messages say what was wrong and what to do.
export type ImportErrorKind = 'unrecognised_format' | 'too_large' | 'bad_timezone'

export class ImportError extends Error {
  constructor(readonly kind: ImportErrorKind, message: string) {
    super(message)
    this.name = 'ImportError'
  }
}
