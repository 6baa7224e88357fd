/**
 * The hostile-input corpus (issue 8): rig and suite files that are wrong in every way a careless
 * or hostile user could make them, generated into a temp dir (never committed). Each one is an
 * invalid config, so every path that reads it must answer exit 2 with a message naming the file.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.join(import.meta.dirname, '../..');
export const FIRMWARE_V1 = path.join(ROOT, 'firmware/app-v1.page2bin');
export const FIRMWARE_V2 = path.join(ROOT, 'firmware/app-v2.page2bin');
export const TWIN_RIG = path.join(ROOT, 'rigs/twin-rp2040-sfu.yaml');
const BENCH_RIG = path.join(ROOT, 'rigs/pi-pico-sfu.yaml');

export interface HostileFile {
  kind: 'rig' | 'suite';
  /** What is wrong, for the test name. */
  what: string;
  file: string;
}

/** Folder names with shell and socat metacharacters: none of them may run or break anything. */
export const NASTY_DIRS = ['plain', 'with space', 'semi;colon', 'dollar $(touch PWNED)', 'back`touch PWNED`tick', 'brace{a,b}', 'comma,dir', 'new\nline'];

const RIG_LINES = {
  target: 'rp2040',
  scheme: 'sfu-ab',
  twin: '{ variant: correct, timeFactor: 0, powerLoss: random, seed: 1, transport: in-process, paceBaud: 921600 }',
  power: '{ driver: twin, offMs: 200, safeState: off }',
  console: '{ driver: twin, baud: 921600 }',
  updater: '{ driver: sfu }',
  probe: '{ driver: twin }',
  boot: '{ timeoutMs: 6000 }',
};

function rigText(over: Partial<Record<keyof typeof RIG_LINES, string>> = {}, extra: string[] = []): string {
  return [...Object.entries({ ...RIG_LINES, ...over }).map(([k, v]) => `${k}: ${v}`), ...extra].join('\n') + '\n';
}

const suiteImages = (from = FIRMWARE_V1, to = FIRMWARE_V2) => ['images:', `  from: ${JSON.stringify(from)}`, `  to: ${JSON.stringify(to)}`];

function suiteText(o: { images?: string[]; rigs?: string[]; cuts?: string[]; extra?: string[] } = {}): string {
  return (
    [
      ...(o.images ?? suiteImages()),
      ...(o.rigs ?? ['rigs:', `  - rig: ${JSON.stringify(TWIN_RIG)}`]),
      ...(o.cuts ?? ['cuts:', '  offMs: 200', '  points: [after:10ms, { trigger: progress:50%, offMs: 100, seed: 3 }]', '  sweeps:', '    - { trigger: after, from: 0, to: 100ms, count: 3 }']),
      ...(o.extra ?? []),
    ].join('\n') + '\n'
  );
}

/** Values that are wrong for a number field with a range. */
const BAD_NUMBERS = ['-1', '1e308', '9007199254740993', '.inf', '-.inf', '.nan', '"fast"', '[1]', '{ a: 1 }', 'true', '~'];
/** Values that are wrong for a word from a closed list. */
const BAD_WORDS = ['"nope"', '[rp2040]', '{ a: 1 }', '1', 'true', '~', '"rp2040; touch PWNED"'];
/** Values that are wrong for a whole section. */
const BAD_SECTIONS = ['[1]', '"str"', '1', 'true'];

/** Bytes that are not text, each in a file that would otherwise be a valid rig. */
function badBytes(text: string): [string, Buffer][] {
  const at = text.indexOf('sfu-ab');
  const splice = (bytes: number[]) => Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(bytes), Buffer.from(text.slice(at))]);
  return [
    ['NUL', splice([0])],
    ['0xFF', splice([0xff])],
    ['overlong', splice([0xc0, 0xaf])],
    ['surrogate', splice([0xed, 0xa0, 0x80])],
    ['truncated sequence', splice([0xe2, 0x82])],
    ['ESC', splice([0x1b, 0x5b, 0x32, 0x4a])],
    ['C1 control', splice([0xc2, 0x9b])],
    ['BOM then NUL', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf, 0])])],
  ];
}

function aliasBomb(): string[] {
  const lines = ['a: &a [x, x, x, x, x, x, x, x, x]'];
  const names = 'abcdefghi';
  for (let i = 1; i < names.length; i++)
    lines.push(
      `${names[i]}: &${names[i]} [${Array(9)
        .fill(`*${names[i - 1]}`)
        .join(', ')}]`,
    );
  return lines;
}

/** Content problems shared by rigs and suites: syntax, structure, size. */
function structural(valid: string, what: string): [string, string | Buffer][] {
  let unknown = valid;
  for (let i = 0; unknown.length < 120 * 1024; i++) unknown += `k${i}: ${i}\n`;
  let huge = valid;
  for (let i = 0; huge.length <= 130 * 1024; i++) huge += `unknown_key_${i}: ${i}\n`;
  const first = valid.split('\n')[0]!;
  return [
    ['empty', ''],
    ['whitespace only', '   \n\n  \n'],
    ['comment only', '# nothing here\n'],
    ['document marker only', '---\n'],
    ['top-level list', '- a\n- b\n'],
    ['top-level scalar', 'hello\n'],
    ['two documents', `${valid}---\n${valid}`],
    ['tab indentation', `${valid}x:\n\ty: 1\n`],
    ['unclosed flow', `${valid}x: [1, 2\n`],
    ['unknown key', `${valid}bogus: 1\n`],
    ['misspelt key', valid.replace(/^(\w)/m, '$1$1')],
    ['duplicate key', `${valid}${first}\n`],
    ['thousands of unknown keys', unknown],
    ['over 128 KiB', huge],
    [
      'alias bomb',
      `${valid}${aliasBomb()
        .map((l) => `x${l}`)
        .join('\n')}\n`,
    ],
    ['deep flow nesting', `${valid}deep: ${'['.repeat(50)}${']'.repeat(50)}\n`],
    ['abyssal flow nesting', `${valid}deep: ${'{a: '.repeat(3000)}1${'}'.repeat(3000)}\n`],
    ['deep block nesting', `${valid}deep:\n${Array.from({ length: 60 }, (_, i) => `${'  '.repeat(i + 1)}k${i}:`).join('\n')} 1\n`],
    ['collection key', `${valid}? [a, b]\n: 1\n`],
    ['anchor to unknown alias', `${valid}x: *nowhere\n`],
    ['binary value', `${valid}name: !!binary AAAA\n`],
    [`${what} with a newline key`, `${valid}"a\\nb: forged line": 1\n`],
    [`${what} with an escape key`, `${valid}"\\e[2J": 1\n`],
  ];
}

/** Files that are not regular files, or not there. */
function specialFiles(dir: string, kind: 'rig' | 'suite', out: HostileFile[]): void {
  const fifo = path.join(dir, `${kind}-fifo.yaml`);
  execFileSync('mkfifo', [fifo]);
  out.push({ kind, what: 'a FIFO', file: fifo });
  const folder = path.join(dir, `${kind}-directory.yaml`);
  mkdirSync(folder);
  out.push({ kind, what: 'a directory', file: folder });
  const loop = path.join(dir, `${kind}-loop.yaml`);
  symlinkSync(loop, loop);
  out.push({ kind, what: 'a symlink loop', file: loop });
  const dangling = path.join(dir, `${kind}-dangling.yaml`);
  symlinkSync(path.join(dir, 'nowhere.yaml'), dangling);
  out.push({ kind, what: 'a dangling symlink', file: dangling });
  const zero = path.join(dir, `${kind}-zero.yaml`);
  symlinkSync('/dev/zero', zero);
  out.push({ kind, what: 'a link to /dev/zero', file: zero });
  const sparse = path.join(dir, `${kind}-sparse.yaml`);
  writeFileSync(sparse, '');
  truncateSync(sparse, 512 * 1024 * 1024);
  out.push({ kind, what: 'a 512 MiB sparse file', file: sparse });
  out.push({ kind, what: 'a missing file', file: path.join(dir, `${kind}-missing.yaml`) });
}

/** Writes the whole corpus under `root`; returns every file, rigs first. */
export function writeCorpus(root: string): HostileFile[] {
  const dirs = NASTY_DIRS.map((d) => path.join(root, d));
  for (const d of dirs) mkdirSync(d, { recursive: true });
  const out: HostileFile[] = [];
  let n = 0;
  const put = (kind: 'rig' | 'suite', what: string, content: string | Buffer, name = `${kind}-${n}.yaml`) => {
    const dir = dirs[n++ % dirs.length]!;
    const file = path.join(dir, name);
    writeFileSync(file, content);
    out.push({ kind, what, file });
  };

  // ---- rigs
  for (const field of ['twin', 'power', 'console', 'updater', 'probe', 'boot'] as const) {
    for (const value of BAD_SECTIONS) put('rig', `${field}: ${value}`, rigText({ [field]: value }));
  }
  for (const field of ['target', 'scheme'] as const) for (const value of BAD_WORDS) put('rig', `${field}: ${value}`, rigText({ [field]: value }));
  const nested: [string, string, string[]][] = [
    ['twin', 'timeFactor', BAD_NUMBERS],
    ['twin', 'seed', [...BAD_NUMBERS, '4294967296', '1.5']],
    ['twin', 'paceBaud', [...BAD_NUMBERS, '0']],
    ['twin', 'powerLoss', BAD_WORDS],
    ['twin', 'transport', BAD_WORDS],
    ['power', 'offMs', [...BAD_NUMBERS, '60001']],
    ['power', 'safeState', BAD_WORDS],
    ['power', 'driver', BAD_WORDS],
    ['console', 'baud', [...BAD_NUMBERS, '0']],
    ['console', 'driver', BAD_WORDS],
    ['boot', 'timeoutMs', [...BAD_NUMBERS, '0', '99999999999']],
  ];
  for (const [section, key, values] of nested) {
    for (const value of values) {
      const line = RIG_LINES[section as keyof typeof RIG_LINES];
      const replaced = line.includes(`${key}:`) ? line.replace(new RegExp(`${key}: [^,}]+`), `${key}: ${value}`) : line.replace('{ ', `{ ${key}: ${value}, `);
      put('rig', `${section}.${key}: ${value}`, rigText({ [section]: replaced }));
    }
  }
  put('rig', 'pty twin on virtual time', rigText({ twin: '{ transport: pty }' }));
  put('rig', 'scheme of another target', rigText({ scheme: 'mcuboot-swap' }));
  put('rig', 'relay pin not declared', rigText({ power: '{ driver: relay, pin: "RELAY; touch PWNED" }' }));
  put('rig', 'serial port with $()', rigText({ console: '{ driver: serial, port: "/dev/$(touch PWNED)", baud: -5 }' }));
  for (const [what, content] of structural(rigText(), 'rig')) put('rig', what, content);
  for (const [what, bytes] of badBytes(rigText())) put('rig', `bytes: ${what}`, bytes);
  for (const name of ['rig;$(touch PWNED).yaml', 'rig `touch PWNED`.yaml', 'rig {a,b},c.yaml', 'rig\nnewline.yaml']) put('rig', `file named ${JSON.stringify(name)}`, rigText({ target: 'z80' }), name);
  specialFiles(dirs[1]!, 'rig', out);

  // ---- suites
  const empty = path.join(root, 'empty.bin');
  writeFileSync(empty, '');
  const noInfo = path.join(root, 'noinfo.bin');
  writeFileSync(noInfo, Buffer.alloc(8192, 0x5a));
  const imageFifo = path.join(root, 'image-fifo.bin');
  execFileSync('mkfifo', [imageFifo]);
  const bigImage = path.join(root, 'big.bin');
  writeFileSync(bigImage, '');
  truncateSync(bigImage, 64 * 1024 * 1024);
  const images: [string, string[]][] = [
    ['an empty image', suiteImages(empty)],
    ['an image without app info', suiteImages(noInfo)],
    ['a FIFO image', suiteImages(FIRMWARE_V1, imageFifo)],
    ['/dev/zero as image', suiteImages('/dev/zero')],
    ['a directory as image', suiteImages(root)],
    ['a missing image', suiteImages(path.join(root, 'nope.bin'))],
    ['a 64 MiB image', suiteImages(bigImage)],
    ['one version twice', suiteImages(FIRMWARE_V2, FIRMWARE_V2)],
    ['images: a list', ['images: [a, b]']],
    ['no images', []],
  ];
  for (const [what, lines] of images) put('suite', what, suiteText({ images: lines }));
  const cutsWith = (point: string) => ['cuts:', `  points: [${point}]`];
  for (const trigger of [
    'after:99999999999999999999ms',
    'after:-1',
    'after:1e308',
    'progress:101%',
    'console:/(/',
    'console:/x/#0',
    'marker:0',
    'marker:1+9999999s',
    'nope:1',
    '""',
    '"$(touch PWNED)"',
    '"after:1ms; touch PWNED"',
  ]) {
    put('suite', `trigger ${trigger}`, suiteText({ cuts: cutsWith(trigger.startsWith('"') ? `{ trigger: ${trigger} }` : trigger) }));
  }
  for (const field of ['offMs', 'seed', 'second']) {
    for (const value of [...BAD_NUMBERS, '99999999999']) put('suite', `point ${field}: ${value}`, suiteText({ cuts: cutsWith(`{ trigger: after:1ms, ${field}: ${value} }`) }));
  }
  for (const value of ['0', '1000000000', '9007199254740991', '-1', '1.5', '"many"', '1e308']) {
    put('suite', `sweep count: ${value}`, suiteText({ cuts: ['cuts:', '  sweeps:', `    - { trigger: after, from: 0, to: 1s, count: ${value} }`] }));
  }
  put(
    'suite',
    '120000 cuts in all',
    suiteText({ cuts: ['cuts:', '  sweeps:', '    - { trigger: after, from: 0, to: 1s, count: 60000 }', '    - { trigger: marker, from: 1, to: 60000, count: 60000 }'] }),
  );
  for (const value of BAD_NUMBERS) put('suite', `cuts.offMs: ${value}`, suiteText({ cuts: ['cuts:', `  offMs: ${value}`, '  points: [after:1ms]'] }));
  put('suite', 'no cuts', suiteText({ cuts: ['cuts: {}'] }));
  put('suite', 'bootLoopCycles huge', suiteText({ extra: ['expect: { bootLoopCycles: 100000000 }'] }));
  put('suite', 'rig-error as safe', suiteText({ extra: ['expect: { safe: [rig-error] }'] }));
  put('suite', 'an unknown setup', suiteText({ extra: ['setup: from-bank3'] }));
  put('suite', 'rigs: []', suiteText({ rigs: ['rigs: []'] }));
  put('suite', 'rigs: a number', suiteText({ rigs: ['rigs: 5'] }));
  put('suite', 'a rig path with a slash and no .yaml', suiteText({ rigs: ['rigs: [a/b]'] }));
  put('suite', 'an unknown variant', suiteText({ rigs: ['rigs:', `  - { rig: ${JSON.stringify(TWIN_RIG)}, variant: no-such-bug }`] }));
  put('suite', 'overrides on a bench rig', suiteText({ rigs: ['rigs:', `  - { rig: ${JSON.stringify(BENCH_RIG)}, powerLoss: torn }`] }));
  put('suite', 'a missing rig', suiteText({ rigs: ['rigs:', `  - rig: ${JSON.stringify(path.join(root, 'no-rig.yaml'))}`] }));
  put('suite', 'a rig that is a FIFO', suiteText({ rigs: ['rigs:', `  - rig: ${JSON.stringify(out.find((f) => f.what === 'a FIFO')!.file)}`] }));
  put('suite', 'a rig of another scheme', suiteText({ extra: ['scheme: mcuboot-swap'] }));
  for (const [what, content] of structural(suiteText(), 'suite')) put('suite', what, content);
  for (const [what, bytes] of badBytes(suiteText().replace('cuts:', 'name: sfu-ab\ncuts:'))) put('suite', `bytes: ${what}`, bytes);
  specialFiles(dirs[2]!, 'suite', out);
  return out;
}
