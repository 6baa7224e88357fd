/**
 * What `hil completion --help` and `hil __complete --help` show and the options they parse, apart
 * from the implementation (./completion.ts): help never loads it.
 */
import type { CommandHelp } from '../command.js';

export const completionHelp: CommandHelp = {
  path: ['completion'],
  summary: 'print a shell completion script: hil completion bash|zsh|fish',
  usage: 'hil completion bash|zsh|fish',
  details: `Prints a completion script for the shell: command words, each command's options, rig names
(rigs/*.yaml) after --rig and suite files (suites/*.yaml) where a command takes suites. Names are
listed from the working directory at each TAB (\`hil __complete\`, file listings only).
Write the script once into the shell's completion folder (the examples): it then costs nothing at
shell start. Generating it reads only the commands' help modules, so
\`source <(hil completion bash)\` in ~/.bashrc (zsh: after compinit; fish: \`hil completion fish | source\`)
works too, for about the start-up of \`node\` at every shell start.
`,
  examples: [
    'hil completion bash > ~/.local/share/bash-completion/completions/hil',
    'hil completion zsh > ~/.zfunc/_hil      # with fpath+=(~/.zfunc) before compinit',
    'hil completion fish > ~/.config/fish/completions/hil.fish',
  ],
  options: {},
};

export const completeHelp: CommandHelp = {
  path: ['__complete'],
  summary: 'words for the completion scripts (rig and suite names): file listings only',
  usage: 'hil __complete rigs|suites',
  details: 'Lists rig names (rigs/*.yaml) or suite files (suites/*.yaml) in the working directory, one a line.',
  examples: ['hil __complete rigs'],
  options: {},
};
