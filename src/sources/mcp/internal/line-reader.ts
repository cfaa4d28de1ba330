/** The longest line an upstream may send (the SDK's stdio limit): a longer one is dropped, never buffered whole. */
export const MAX_LINE_BYTES = 10 * 1024 * 1024;
/** Bytes kept of each end of a dropped line, to tell whose answer it was. */
const KEPT_ENDS = 256;

/** What {@link LineReader} hands on: a parsed line, or the two ends of a line too long to keep. */
export interface LineSink {
  /** A complete line that is valid JSON. Lines that are not (blank lines, log noise) are skipped, as the SDK does. */
  value(parsed: unknown): void;
  /** A line longer than `maxBytes` was dropped; its first and last bytes (decoded) are given to identify it. */
  oversized(head: string, tail: string, bytes: number): void;
}

/**
 * Splits an upstream's stdout into newline-delimited JSON messages. Each chunk is appended once (no copy of the
 * whole pending text per chunk), each line is decoded and parsed once. A line over the cap is not kept: only its ends
 * are, and the reader resynchronises at the next newline.
 */
export class LineReader {
  readonly #sink: LineSink;
  readonly #maxBytes: number;
  #parts: Buffer[] = [];
  #length = 0;
  /** Set while dropping an oversized line: its head, its latest tail, and its length so far. */
  #dropping: { head: Buffer; tail: Buffer; bytes: number } | undefined;

  constructor(sink: LineSink, maxBytes = MAX_LINE_BYTES) {
    this.#sink = sink;
    this.#maxBytes = maxBytes;
  }

  append(chunk: Buffer): void {
    let start = 0;
    for (let newline = chunk.indexOf(10); newline !== -1; newline = chunk.indexOf(10, start)) {
      this.#take(chunk.subarray(start, newline));
      this.#endLine();
      start = newline + 1;
    }
    if (start < chunk.length) this.#take(chunk.subarray(start));
  }

  clear(): void {
    this.#parts = [];
    this.#length = 0;
    this.#dropping = undefined;
  }

  #take(piece: Buffer): void {
    if (piece.length === 0) return;
    const dropping = this.#dropping;
    if (dropping) {
      dropping.bytes += piece.length;
      dropping.tail = lastBytes(piece.length >= KEPT_ENDS ? piece : Buffer.concat([dropping.tail, piece]));
      return;
    }
    if (this.#length + piece.length <= this.#maxBytes) {
      this.#parts.push(piece);
      this.#length += piece.length;
      return;
    }
    const kept = Buffer.concat([...this.#parts, piece]);
    this.#parts = [];
    this.#length = 0;
    this.#dropping = { head: Buffer.from(kept.subarray(0, KEPT_ENDS)), tail: lastBytes(kept), bytes: kept.length };
  }

  #endLine(): void {
    const dropping = this.#dropping;
    if (dropping) {
      this.#dropping = undefined;
      this.#sink.oversized(dropping.head.toString('utf8'), dropping.tail.toString('utf8'), dropping.bytes);
      return;
    }
    const parts = this.#parts;
    if (parts.length === 0) return;
    const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts, this.#length);
    this.#parts = [];
    this.#length = 0;
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch {
      return; // Not JSON (a stray log line): skipped, as the SDK's reader does.
    }
    this.#sink.value(parsed);
  }
}

/** A copy of the last bytes (a view would keep a whole chunk alive). */
function lastBytes(buffer: Buffer): Buffer {
  return Buffer.from(buffer.length <= KEPT_ENDS ? buffer : buffer.subarray(buffer.length - KEPT_ENDS));
}
