/**
 * YAML node -> line:col. A SourceLocator answers "where in the file is this key path?" for one
 * parsed document; loaded configs keep theirs (in a side table, so configs stay plain data) so
 * that code running much later can still raise an error at the field a user wrote.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import { ConfigFileError, formatPath, type ConfigIssue, type ConfigPath } from './errors.js';

export interface SourcePosition {
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
}

/** Where a key path lands, and the path as it should be shown. */
export interface Located extends SourcePosition {
  /**
   * The path, cut short when it runs into a scalar (a shorthand such as `- progress:37%` stands
   * for `{ trigger: progress:37% }`: the user wrote `cuts.points[0]`, not `.trigger`).
   * A missing key keeps its full path but is located at its parent mapping.
   */
  path: ConfigPath;
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

export class SourceLocator {
  constructor(
    /** Absolute path of the file. */
    readonly file: string,
    private readonly doc: Document,
    private readonly lineCounter: LineCounter,
  ) {}

  /** 1-based line and column of a character offset. */
  position(offset: number): SourcePosition {
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, col };
  }

  private positionOf(node: { range?: readonly number[] | null } | null | undefined): SourcePosition {
    return this.position(node?.range?.[0] ?? 0);
  }

  private walk(path: ConfigPath): { node: Node | null; key: unknown; consumed: number; stop: 'found' | 'missing' | 'scalar' } {
    let node = this.doc.contents as Node | null;
    let key: unknown = null;
    for (let i = 0; i < path.length; i++) {
      if (isAlias(node)) node = (node.resolve(this.doc) as Node | undefined) ?? node;
      const segment = path[i];
      if (isMap(node)) {
        const pair = node.items.find((item) => keyText(item.key) === String(segment));
        if (!pair) return { node, key, consumed: i, stop: 'missing' };
        key = pair.key;
        // `key:` with no value: locate at the key.
        node = (pair.value as Node | null) ?? (isScalar(pair.key) ? pair.key : node);
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment] as Node | undefined;
        if (item === undefined) return { node, key, consumed: i, stop: 'missing' };
        key = null;
        node = item;
      } else {
        return { node, key, consumed: i, stop: 'scalar' };
      }
    }
    return { node, key, consumed: path.length, stop: 'found' };
  }

  /** The value at `path`; for a missing key, its parent mapping. */
  locate(path: ConfigPath): Located {
    const { node, consumed, stop } = this.walk(path);
    return { ...this.positionOf(node), path: stop === 'scalar' ? path.slice(0, consumed) : path };
  }

  /** The key of the last segment of `path` (for unknown keys); the value when there is no key. */
  locateKey(path: ConfigPath): Located {
    const { key, stop } = this.walk(path);
    if (stop === 'found' && isScalar(key)) return { ...this.positionOf(key), path };
    return this.locate(path);
  }

  /** A located issue at `path` (at the key when `at` is `'key'`). */
  issue(path: ConfigPath, message: string, at: 'value' | 'key' = 'value'): ConfigIssue {
    const where = at === 'key' ? this.locateKey(path) : this.locate(path);
    return { file: this.file, line: where.line, col: where.col, path: formatPath(where.path), message };
  }
}

const sources = new WeakMap<object, SourceLocator>();

/** Remembers where a loaded config came from (used by the loaders). */
export function rememberSource(config: object, locator: SourceLocator): void {
  sources.set(config, locator);
}

/** The locator of a config object returned by a loader, if it is that very object. */
export function sourceOf(config: object): SourceLocator | undefined {
  return sources.get(config);
}

/**
 * An issue at a field of a loaded rig or suite, e.g. `issueAt(suite, ['cuts', 'offMs'], 'too long
 * for this rig')`. Falls back to the file alone when the config was copied and lost its source.
 */
export function issueAt(config: { file: string }, path: ConfigPath, message: string): ConfigIssue {
  const locator = sourceOf(config);
  if (locator) return locator.issue(path, message);
  return { file: config.file, path: formatPath(path), message };
}

/** Shorthand for `new ConfigFileError([issueAt(config, path, message)])`. */
export function configErrorAt(config: { file: string }, path: ConfigPath, message: string): ConfigFileError {
  return new ConfigFileError([issueAt(config, path, message)]);
}
