// JSON.parse's messages differ between Node versions and often omit the position (V8 shows a snippet
// instead), so this scanner re-reads text that JSON.parse refused and says where and why, the same way
// everywhere. It only validates; JSON.parse remains the parser.

export interface JsonSyntaxProblem {
  /** 1-based line and column (UTF-16 code units, as editors count for BMP text). */
  line: number;
  column: number;
  reason: string;
}

class Stop {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {}
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERALS = ['true', 'false', 'null'] as const;
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const HEX4 = /[0-9a-fA-F]{4}/y;

class Scanner {
  private pos = 0;
  constructor(private readonly text: string) {}

  document(): void {
    this.space();
    this.value();
    this.space();
    if (this.pos < this.text.length) this.stop('unexpected content after the end of the JSON value');
  }

  private stop(reason: string): never {
    throw new Stop(this.pos, reason);
  }

  private unexpected(): never {
    const char = this.text[this.pos];
    if (char === undefined) this.stop('unexpected end of input');
    this.stop(`unexpected ${JSON.stringify(char)}`);
  }

  private space(): void {
    while (this.pos < this.text.length && ' \t\n\r'.includes(this.text[this.pos] ?? '')) this.pos++;
  }

  private expect(char: string, reason: string): void {
    if (this.text[this.pos] !== char) this.stop(reason);
    this.pos++;
  }

  private value(): void {
    const char = this.text[this.pos];
    if (char === '{') return this.container('}', true);
    if (char === '[') return this.container(']', false);
    if (char === '"') return this.string();
    if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) return this.number();
    const literal = LITERALS.find((word) => this.text.startsWith(word, this.pos));
    if (literal === undefined) this.unexpected();
    this.pos += literal.length;
  }

  /** An object (`keyed`) or an array: the two differ only in the `"key":` before each member. */
  private container(close: string, keyed: boolean): void {
    this.pos++;
    this.space();
    if (this.text[this.pos] === close) {
      this.pos++;
      return;
    }
    for (;;) {
      if (keyed) {
        if (this.text[this.pos] !== '"') this.stop('expected a property name in double quotes');
        this.string();
        this.space();
        this.expect(':', 'expected ":" after the property name');
        this.space();
      }
      this.value();
      this.space();
      if (this.text[this.pos] === close) {
        this.pos++;
        return;
      }
      this.expect(',', `expected "," or "${close}"`);
      this.space();
    }
  }

  private string(): void {
    this.pos++;
    for (;;) {
      const char = this.text[this.pos];
      if (char === undefined) this.stop('unterminated string');
      if (char === '"') {
        this.pos++;
        return;
      }
      if (char < ' ') this.stop('control character inside a string (escape it)');
      if (char === '\\') {
        this.pos++;
        const escape = this.text[this.pos] ?? '';
        if (escape === 'u') {
          HEX4.lastIndex = this.pos + 1;
          if (!HEX4.test(this.text)) this.stop('invalid \\u escape');
          this.pos += 4;
        } else if (!ESCAPES.has(escape)) {
          this.stop('invalid escape in a string');
        }
      }
      this.pos++;
    }
  }

  private number(): void {
    NUMBER.lastIndex = this.pos;
    if (!NUMBER.test(this.text)) this.stop('invalid number');
    this.pos = NUMBER.lastIndex;
  }
}

/** Where `text` stops being JSON, or undefined if it is valid JSON. */
export function findJsonSyntaxProblem(text: string): JsonSyntaxProblem | undefined {
  try {
    new Scanner(text).document();
    return undefined;
  } catch (error) {
    // A file nested thousands deep overflows the recursion: still the file's fault, not a bug.
    if (!(error instanceof Stop) && !(error instanceof RangeError)) throw error;
    const stop = error instanceof Stop ? error : new Stop(0, 'nested too deeply');
    const before = text.slice(0, stop.offset);
    const line = before.split('\n').length;
    return { line, column: stop.offset - before.lastIndexOf('\n'), reason: stop.reason };
  }
}
