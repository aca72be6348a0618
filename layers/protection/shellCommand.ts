import { basename } from 'node:path';

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ash', 'ksh', 'busybox']);

/** True when the program is a POSIX shell whose `-c` argument is a command string. */
export function isShell(program: string): boolean {
  return SHELLS.has(basename(program));
}

const SEPARATORS = new Set([';', '&', '|', '\n', '(', ')']);

/**
 * The programs a shell command string starts: the first word of every segment separated by `;`, `&`, `|`,
 * newlines or parentheses, after leading `NAME=value` assignments. Quoting is handled simply: '…' is literal,
 * "…" ends at the next unescaped ", and a backslash escapes one character. Command substitution (`$(…)`,
 * backticks), aliases, functions and `eval` are not followed.
 */
export function programsOfShellCommand(command: string): string[] {
  const segments: string[][] = [[]];
  let word = '';
  let inWord = false;
  const endWord = () => {
    if (inWord) segments[segments.length - 1]!.push(word);
    word = '';
    inWord = false;
  };
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (c === "'") {
      const end = command.indexOf("'", i + 1);
      const stop = end === -1 ? command.length : end;
      word += command.slice(i + 1, stop);
      inWord = true;
      i = stop;
    } else if (c === '"') {
      inWord = true;
      let j = i + 1;
      for (; j < command.length && command[j] !== '"'; j++) {
        if (command[j] === '\\' && j + 1 < command.length) j++;
        word += command[j];
      }
      i = j;
    } else if (c === '\\' && i + 1 < command.length) {
      word += command[++i];
      inWord = true;
    } else if (c === ' ' || c === '\t') {
      endWord();
    } else if (SEPARATORS.has(c)) {
      endWord();
      segments.push([]);
    } else {
      word += c;
      inWord = true;
    }
  }
  endWord();
  const programs: string[] = [];
  for (const words of segments) {
    const program = words.find((w) => !isAssignment(w) && !['exec', 'command', 'nohup', 'time', '!', '{', '}'].includes(w));
    if (program !== undefined && program !== '') programs.push(program);
  }
  return programs;
}

function isAssignment(word: string): boolean {
  const eq = word.indexOf('=');
  if (eq <= 0) return false;
  for (let i = 0; i < eq; i++) {
    const c = word.charCodeAt(i);
    const ok = c === 95 || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (i > 0 && c >= 48 && c <= 57);
    if (!ok) return false;
  }
  return true;
}

/** One program a child-process call would start, with the command line it belongs to. */
export interface ProgramLaunch {
  readonly program: string;
  readonly command: readonly string[];
}

/**
 * Everything a spawn-like call starts: the program itself, or for `shell` calls and `<shell> -c "…"` the
 * programs of the command string (an explicit shell is reported too; an implicit `shell: true` one is not).
 */
export function launchesOf(file: string, args: readonly string[], shell: boolean): ProgramLaunch[] {
  if (shell) {
    const line = [file, ...args].join(' ');
    return programsOfShellCommand(line).map((program) => ({ program, command: ['/bin/sh', '-c', line] }));
  }
  const command = [file, ...args];
  const launches: ProgramLaunch[] = [{ program: file, command }];
  const dashC = args.indexOf('-c');
  if (isShell(file) && dashC !== -1 && args[dashC + 1] !== undefined) {
    for (const program of programsOfShellCommand(args[dashC + 1]!)) launches.push({ program, command });
  }
  return launches;
}
