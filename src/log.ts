/**
 * The only place, with the output writer, that writes to a stream.
 *
 * stdout belongs to the kubeconfig; everything here goes to stderr. Levels
 * follow kubectl's -v: 0 results, warnings and errors; 1 decisions; 2 one
 * line per object; 4 detail; 6 HTTP method and URL; 8 bodies (redacted).
 */

/** Where log lines go; a test passes its own sink. */
export interface LogSink {
  write(text: string): unknown;
}

/** Writes status, warning and verbose lines to stderr. */
export class Logger {
  private readonly secrets = new Set<string>();

  constructor(
    readonly level = 0,
    private readonly sink: LogSink = process.stderr,
  ) {}

  /** A status line such as "serviceaccount/ci created". */
  status(message: string): void {
    this.emit(message);
  }

  /** A warning the user should read even at -v 0. */
  warn(message: string): void {
    this.emit(`Warning: ${message}`);
  }

  /** An error line, printed by main.ts only. */
  error(message: string): void {
    this.emit(`error: ${message}`);
  }

  /** A line shown only at -v `level` or above. */
  v(level: number, message: string | (() => string)): void {
    if (this.level < level) return;
    this.emit(typeof message === 'function' ? message() : message);
  }

  /** True when -v is at least `level`, to skip building costly lines. */
  enabled(level: number): boolean {
    return this.level >= level;
  }

  /**
   * Remembers a credential so that no later line can print it, also in the
   * escaped form it takes inside JSON (a -v 8 body, a Status message).
   */
  addSecret(secret: string | undefined): void {
    if (!secret || secret.length < 4) return;
    this.secrets.add(secret);
    this.secrets.add(JSON.stringify(secret).slice(1, -1));
  }

  /** Replaces every known secret in `text` with a marker. */
  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join('<redacted>');
    return out;
  }

  private emit(message: string): void {
    const text = this.redact(message);
    this.sink.write(text.endsWith('\n') ? text : `${text}\n`);
  }
}
