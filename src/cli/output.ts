/**
 * How every command talks: data on stdout (and with --json nothing but JSON), logs and progress
 * on stderr; a live progress line on a terminal, one plain line per event elsewhere; NO_COLOR.
 */
export type Verbosity = 0 | 1 | 2;

export interface OutputOptions {
  quiet?: boolean;
  verbose?: boolean;
  json?: boolean;
}

export class Output {
  readonly level: Verbosity;
  readonly json: boolean;
  private readonly tty: boolean;
  private readonly color: boolean;
  private liveLine = false;
  private lastPlain = 0;

  constructor(
    opts: OutputOptions,
    private readonly err: NodeJS.WriteStream = process.stderr,
    private readonly out: NodeJS.WriteStream = process.stdout,
  ) {
    this.level = opts.quiet ? 0 : opts.verbose ? 2 : 1;
    this.json = !!opts.json;
    this.tty = !!err.isTTY && process.env.TERM !== 'dumb';
    this.color = this.tty && !process.env.NO_COLOR && process.env.FORCE_COLOR !== '0';
  }

  /** Data for stdout: a result line, a table, or the JSON document. */
  data(text: string): void {
    this.clearLive();
    this.out.write(text.endsWith('\n') ? text : text + '\n');
  }

  printJson(value: unknown): void {
    this.data(JSON.stringify(value, null, 2));
  }

  info(text: string): void {
    if (this.level >= 1) this.line(text);
  }

  verbose(text: string): void {
    if (this.level >= 2) this.line(this.paint(2, text));
  }

  warn(text: string): void {
    if (this.level >= 1) this.line(this.paint(33, `warning: ${text}`));
  }

  error(text: string): void {
    this.line(this.paint(31, `error: ${text}`));
  }

  /** A progress line: rewritten in place on a terminal, printed at most once a second otherwise. */
  progress(text: string, force = false): void {
    if (this.level < 1) return;
    if (this.tty) {
      this.err.write(`\r\x1b[K${text}`);
      this.liveLine = true;
      return;
    }
    const now = Date.now();
    if (!force && now - this.lastPlain < 1000) return;
    this.lastPlain = now;
    this.err.write(text + '\n');
  }

  endProgress(): void {
    this.clearLive();
  }

  paint(code: number, text: string): string {
    return this.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  private line(text: string): void {
    this.clearLive();
    this.err.write(text + '\n');
  }

  private clearLive(): void {
    if (this.liveLine) {
      this.err.write('\r\x1b[K');
      this.liveLine = false;
    }
  }
}
