/**
 * What a user sees of a step on GitHub, rendered as text for the demo: the step log as the runner
 * shows it (workflow commands carried out, masks applied) and the job summary's Markdown as text.
 */

/** A step's log as the runner shows it, and what the runner did with the commands in it. */
export interface StepLog {
  lines: string[];
  /** Values registered with `::add-mask::`, in order. */
  masks: string[];
  /** `::debug::` lines: the runner shows them only with step debug logging on (ACTIONS_STEP_DEBUG). */
  hiddenDebugLines: number;
}

/** The runner's names for annotations in the log view. */
const ANNOTATIONS: Record<string, string> = { error: 'Error', warning: 'Warning', notice: 'Notice' };

/**
 * The runner's reading of the action's output, line by line (actions/runner, ActionCommandManager):
 * `::add-mask::` registers a value and prints nothing; every line printed after it shows the value
 * as `***` (lines printed before it are not masked, as on the runner); `::debug::` is hidden;
 * `::error::`, `::warning::` and `::notice::` show as annotations; `::group::` opens a folded
 * section (shown open here). Anything else is printed as it is. The runner also masks some encodings
 * of each value (base64, JSON); only the value itself is masked here, which shows more, not less.
 */
export function renderStepLog(output: string): StepLog {
  const masks: string[] = [];
  const lines: string[] = [];
  let hiddenDebugLines = 0;
  let indent = '';
  const print = (line: string) => lines.push(indent + mask(line, masks));
  for (const raw of output.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const command = parseCommand(line);
    if (!command) {
      if (line !== '' || lines.length > 0) print(line);
      continue;
    }
    const { name, data } = command;
    if (name === 'add-mask') {
      if (data.trim() !== '') masks.push(data);
    } else if (name === 'debug') {
      hiddenDebugLines++;
    } else if (ANNOTATIONS[name]) {
      for (const part of data.split('\n')) print(`${ANNOTATIONS[name]}: ${part}`);
    } else if (name === 'group') {
      print(`▾ ${data}`);
      indent = '  ';
    } else if (name === 'endgroup') {
      indent = '';
    } else {
      print(line);
    }
  }
  while (lines.at(-1) === '') lines.pop();
  return { lines, masks, hiddenDebugLines };
}

/** `::name key=value,...::data`, with data and properties unescaped as the runner does; undefined for any other line. */
function parseCommand(line: string): { name: string; data: string } | undefined {
  const match = /^::([A-Za-z][\w-]*)(?: [^:]*)?::(.*)$/.exec(line);
  if (!match) return undefined;
  const [, name = '', data = ''] = match;
  return { name: name.toLowerCase(), data: data.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%') };
}

/** Longest values first, so that a mask inside another leaves nothing of the longer one. */
function mask(line: string, masks: readonly string[]): string {
  return [...masks].sort((a, b) => b.length - a.length).reduce((text, value) => text.split(value).join('***'), line);
}

/**
 * The job summary's Markdown as text, for what the action writes: headings, paragraphs with
 * `code` and **bold**, and pipe tables, whose columns are lined up.
 */
export function renderSummary(markdown: string): string[] {
  const out: string[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.startsWith('|')) {
      const table: string[] = [];
      while (i < lines.length && (lines[i] ?? '').startsWith('|')) table.push(lines[i++] ?? '');
      i--;
      out.push(...renderTable(table));
      continue;
    }
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (heading) {
      const text = inline(heading[1] ?? '');
      out.push(text, '─'.repeat(text.length));
      continue;
    }
    if (line.trim() === '' && (out.length === 0 || out.at(-1) === '')) continue;
    out.push(inline(line));
  }
  while (out.at(-1) === '') out.pop();
  return out;
}

function renderTable(rows: readonly string[]): string[] {
  const cells = rows
    .filter((row) => !/^\|(\s*:?-+:?\s*\|)+\s*$/.test(row))
    .map((row) =>
      row
        .replace(/^\|/, '')
        .replace(/(?<!\\)\|\s*$/, '')
        .split(/(?<!\\)\|/)
        .map((cell) => inline(cell.trim())),
    );
  const widths = cells.reduce<number[]>((acc, row) => row.map((cell, c) => Math.max(acc[c] ?? 0, cell.length)), []);
  const line = (row: readonly string[]) =>
    row
      .map((cell, c) => cell.padEnd(widths[c] ?? 0))
      .join('  ')
      .trimEnd();
  const [header = [], ...body] = cells;
  return [line(header), line(widths.map((width) => '─'.repeat(width))), ...body.map(line)];
}

function inline(text: string): string {
  return text
    .replace(/\\\|/g, '|')
    .replace(/\*\*(.+?)\*\*/g, '$1')
    .replace(/`([^`]*)`/g, '$1');
}
