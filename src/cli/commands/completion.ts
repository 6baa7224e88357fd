/**
 * `hil completion bash|zsh|fish` prints a completion script: command words, each command's
 * options, and for values the rig names, suite files or fixed words they take. The words and
 * options are written into the script once (generating it reads every command's help module);
 * rig and suite names change with the folder, so the script asks `hil __complete rigs|suites` at
 * each TAB, which lists files and loads nothing else.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ExitCode, UsageError } from '../../core/errors.js';
import { COMMON_OPTIONS, type Command, type CommandHelp } from '../command.js';
import { visibleCommands, type CommandEntry, type ValueKind } from './index.js';
import { completionHelp, completeHelp } from './completion.help.js';

const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];

/** The script calls this exact entry point (not whatever `hil` is on PATH at TAB time). */
const BIN = fileURLToPath(new URL('../../../bin/hil.js', import.meta.url));

/** What `hil __complete` lists: names the way the commands take them. */
export const NAME_LISTS = {
  /** `--rig NAME` is rigs/NAME.yaml in the working directory (config's rigPath). */
  rigs: () => yamlFiles('rigs', /\.yaml$/).map((f) => f.replace(/\.yaml$/, '')),
  /** Suites are paths relative to the working directory, as `hil run SUITE` resolves them. */
  suites: () => yamlFiles('suites', /\.ya?ml$/).map((f) => `suites/${f}`),
} as const;

function yamlFiles(dir: string, pattern: RegExp): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => (e.isFile() || e.isSymbolicLink()) && pattern.test(e.name) && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
  } catch {
    return []; // no such folder here: nothing to offer
  }
}

interface OptionSpec {
  flags: string[];
  /** Undefined: a switch (boolean). */
  value?: ValueKind;
}

interface CommandSpec {
  path: string[];
  summary: string;
  options: OptionSpec[];
  positionals: ValueKind;
}

/** Every listed command's options, from its help module (generation only, never at TAB time). */
async function commandSpecs(): Promise<CommandSpec[]> {
  const specs: CommandSpec[] = [];
  for (const entry of visibleCommands()) specs.push(specOf(entry, await entry.help()));
  return specs;
}

function specOf(entry: CommandEntry, cmd: CommandHelp): CommandSpec {
  const options = Object.entries({ ...COMMON_OPTIONS, ...cmd.options }).map(([name, o]): OptionSpec => {
    const flags = [`--${name}`, ...(o.short ? [`-${o.short}`] : [])];
    if (o.type === 'boolean') return { flags };
    return { flags, value: entry.complete?.values?.[name] ?? (name === 'rig' ? 'rigs' : 'files') };
  });
  return { path: entry.path, summary: entry.summary, options, positionals: entry.complete?.positionals ?? 'files' };
}

/** POSIX single quotes: the one quoting with no expansion inside. */
const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
/** fish single quotes: only \\ and \' are special. */
const fq = (s: string) => `'${s.replace(/[\\']/g, (c) => `\\${c}`)}'`;

/** First words (`run`, `sfu` …) and, for groups, their second words. */
function commandWords(specs: CommandSpec[]): { top: string[]; groups: Map<string, string[]> } {
  const top: string[] = [];
  const groups = new Map<string, string[]>();
  for (const s of specs) {
    const [first, second] = s.path as [string, string?];
    if (!top.includes(first)) top.push(first);
    if (second !== undefined) groups.set(first, [...(groups.get(first) ?? []), second]);
  }
  return { top: [...top, 'help'], groups };
}

/** A value kind as the shell functions' argument: rigs, suites, files, none, or `words:w1 w2`. */
function kindArg(kind: ValueKind): string {
  return typeof kind === 'string' ? kind : `words:${kind.join(' ')}`;
}

function bashScript(specs: CommandSpec[]): string {
  const { top, groups } = commandWords(specs);
  const lister = `${sq(process.execPath)} ${sq(BIN)} __complete`;
  const groupCases = [...groups].map(([g, words]) => `    ${g}) (( COMP_CWORD == 2 )) && { COMPREPLY=($(compgen -W ${sq(words.join(' '))} -- "$cur")); return; }; cmd="${g} \${COMP_WORDS[2]}" ;;`);
  const commandCases = specs.map((s) => {
    const valued = s.options.filter((o) => o.value !== undefined);
    const valueCases = valued.map((o) => `        ${o.flags.join('|')}) _hil_value ${sq(kindArg(o.value!))}; return ;;`);
    return [
      `    ${sq(s.path.join(' '))})`,
      `      opts=${sq(s.options.flatMap((o) => o.flags).join(' '))}; pos=${sq(kindArg(s.positionals))}`,
      ...(valueCases.length ? ['      case "$prev" in', ...valueCases, '      esac'] : []),
      '      ;;',
    ].join('\n');
  });
  return `# bash completion for hil (written by \`hil completion bash\`); load it with
#   source <(hil completion bash)        # in ~/.bashrc, or once into a file:
#   hil completion bash > ~/.local/share/bash-completion/completions/hil
# Rig and suite names come from \`hil __complete\`, which only lists rigs/ and suites/ here.

_hil_names() { ${lister} "$1" 2>/dev/null; }

# COMPREPLY for one value kind; uses the caller's $cur. Names are matched in bash, never passed
# through compgen -W, which would expand a $(…) in a file name.
_hil_value() {
  local n
  case "$1" in
    rigs|suites)
      while IFS= read -r n; do [[ $n == "$cur"* ]] && COMPREPLY+=("$n"); done < <(_hil_names "$1")
      # A path instead of a name: files.
      (( \${#COMPREPLY[@]} )) || _hil_value files ;;
    files) compopt -o filenames 2>/dev/null; while IFS= read -r n; do COMPREPLY+=("$n"); done < <(compgen -f -- "$cur") ;;
    none) ;;
    words:*) COMPREPLY=($(compgen -W "\${1#words:}" -- "$cur")) ;;
  esac
}

_hil() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="" cmd="" opts="" pos=""
  (( COMP_CWORD > 0 )) && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  # --rig=NAME: bash splits the = into a word of its own.
  if [[ $prev == = ]] && (( COMP_CWORD > 1 )); then prev="\${COMP_WORDS[COMP_CWORD-2]}"; fi
  [[ $cur == = ]] && cur=""
  COMPREPLY=()
  if (( COMP_CWORD == 1 )); then COMPREPLY=($(compgen -W ${sq(top.join(' '))} -- "$cur")); return; fi
  case "\${COMP_WORDS[1]}" in
${groupCases.join('\n')}
    *) cmd="\${COMP_WORDS[1]}" ;;
  esac
  case "$cmd" in
${commandCases.join('\n')}
    *) return ;;
  esac
  if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "$opts" -- "$cur")); return; fi
  _hil_value "$pos"
}

complete -F _hil hil
`;
}

function zshScript(specs: CommandSpec[]): string {
  const { top, groups } = commandWords(specs);
  const lister = `${sq(process.execPath)} ${sq(BIN)} __complete`;
  const groupCases = [...groups].map(([g, words]) => `    ${g}) (( CURRENT == 3 )) && { compadd -- ${words.map(sq).join(' ')}; return }; cmd="${g} \${words[3]}" ;;`);
  const commandCases = specs.map((s) => {
    const valued = s.options.filter((o) => o.value !== undefined);
    const valueCases = valued.map((o) => `        ${o.flags.join('|')}) _hil_value ${sq(kindArg(o.value!))}; return ;;`);
    return [
      `    ${sq(s.path.join(' '))})`,
      `      opts=(${s.options
        .flatMap((o) => o.flags)
        .map(sq)
        .join(' ')}); pos=${sq(kindArg(s.positionals))}`,
      ...(valueCases.length ? ['      case $prev in', ...valueCases, '      esac'] : []),
      '      ;;',
    ].join('\n');
  });
  return `#compdef hil
# zsh completion for hil (written by \`hil completion zsh\`); load it after compinit with
#   source <(hil completion zsh)         # in ~/.zshrc, or once into a file on $fpath named _hil
# Rig and suite names come from \`hil __complete\`, which only lists rigs/ and suites/ here.

_hil_value() {
  case $1 in
    rigs|suites)
      local -a names
      names=(\${(f)"$(${lister} $1 2>/dev/null)"})
      # A path instead of a name: files.
      if [[ $PREFIX == */* ]] || (( \${#names} == 0 )); then _files; else compadd -- $names; fi ;;
    files) _files ;;
    none) ;;
    words:*) compadd -- \${=\${1#words:}} ;;
  esac
}

_hil() {
  local cmd pos prev=\${words[CURRENT-1]}
  local -a opts
  if (( CURRENT == 2 )); then compadd -- ${top.map(sq).join(' ')}; return; fi
  case \${words[2]} in
${groupCases.join('\n')}
    *) cmd=\${words[2]} ;;
  esac
  case $cmd in
${commandCases.join('\n')}
    *) return 1 ;;
  esac
  if [[ $PREFIX == -* ]]; then compadd -- $opts; return; fi
  _hil_value $pos
}

if (( $+functions[compdef] )); then compdef _hil hil; fi
`;
}

function fishScript(specs: CommandSpec[]): string {
  const { top, groups } = commandWords(specs);
  const lister = `${fq(process.execPath)} ${fq(BIN)} __complete`;
  const lines = [
    '# fish completion for hil (written by `hil completion fish`); load it with',
    '#   hil completion fish | source        # in ~/.config/fish/config.fish, or once into a file:',
    '#   hil completion fish > ~/.config/fish/completions/hil.fish',
    '# Rig and suite names come from `hil __complete`, which only lists rigs/ and suites/ here.',
    '',
    'complete -c hil -f',
    // Which command the line holds: its first word, or its first two for a group.
    'function __hil_command',
    '    set -l w (commandline -opc)',
    ...[...groups.keys()].map((g) => `    if test (count $w) -ge 3 -a "$w[2]" = ${fq(g)}; echo "$w[2] $w[3]"; return; end`),
    '    if test (count $w) -ge 2; echo $w[2]; end',
    'end',
    // Whether the line holds this command (no command yet: not any of them).
    'function __hil_is',
    '    set -l c (__hil_command)',
    '    test "$c" = "$argv[1]"',
    'end',
    `function __hil_names; ${lister} $argv 2>/dev/null; end`,
    '',
  ];
  const summaries = new Map(specs.map((s) => [s.path[0]!, s.path.length === 1 ? s.summary : `${groups.get(s.path[0]!)!.join(', ')}`]));
  for (const w of top) {
    lines.push(`complete -c hil -n '__fish_use_subcommand' -a ${fq(w)} -d ${fq(w === 'help' ? 'the list of commands' : summaries.get(w)!)}`);
  }
  for (const [g] of groups) {
    for (const s of specs.filter((x) => x.path.length > 1 && x.path[0] === g)) {
      lines.push(`complete -c hil -n 'test (count (commandline -opc)) -eq 2; and __fish_seen_subcommand_from ${g}' -a ${fq(s.path[1]!)} -d ${fq(s.summary)}`);
    }
  }
  const values = (kind: ValueKind): string => (kind === 'rigs' || kind === 'suites' ? `-a '(__hil_names ${kind})' -F` : kind === 'files' ? '-F' : kind === 'none' ? '' : `-a ${fq(kind.join(' '))}`);
  for (const s of specs) {
    const when = `-n ${fq(`__hil_is ${fq(s.path.join(' '))}`)}`;
    for (const o of s.options) {
      const long = o.flags[0]!.slice(2);
      const short = o.flags[1] ? ` -s ${o.flags[1].slice(1)}` : '';
      lines.push(`complete -c hil ${when} -l ${long}${short}${o.value === undefined ? '' : ` -r ${values(o.value)}`}`.trimEnd());
    }
    const pos = values(s.positionals);
    if (pos) lines.push(`complete -c hil ${when} ${pos}`);
  }
  return lines.join('\n') + '\n';
}

const SCRIPTS: Record<Shell, (specs: CommandSpec[]) => string> = { bash: bashScript, zsh: zshScript, fish: fishScript };

export const completionCommand: Command = {
  ...completionHelp,
  async run({ positionals, out }) {
    const shell = positionals[0] as Shell;
    if (positionals.length !== 1 || !SHELLS.includes(shell)) {
      throw new UsageError(`expected one shell: ${SHELLS.join(', ')}, got ${positionals.length ? positionals.map((p) => JSON.stringify(p)).join(' ') : 'none'}\nusage: ${this.usage}`);
    }
    out.data(SCRIPTS[shell](await commandSpecs()));
    return ExitCode.ok;
  },
};

/** `hil __complete rigs|suites`: one name a line, for the completion scripts. */
export const completeCommand: Command = {
  ...completeHelp,
  async run({ positionals, out }) {
    const list = NAME_LISTS[positionals[0] as keyof typeof NAME_LISTS];
    if (positionals.length !== 1 || !list) throw new UsageError(`expected rigs or suites\nusage: ${this.usage}`);
    const names = list();
    if (names.length) out.data(names.join('\n'));
    return ExitCode.ok;
  },
};
