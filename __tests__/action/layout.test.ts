import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { SRC, sourceFiles } from '../source-files.ts';

/**
 * The layer rule of docs/design.md, read from src/'s own imports (static `import ... from`, `export
 * ... from` and dynamic `import('...')`, type-only ones included: a type that reaches up is a
 * dependency too). From the top down:
 *   front doors (index.ts, action.ts, cli/) -> config/ -> run/ -> services (aws/, github/, gitlab/) -> shared (net/, util/)
 * A file imports its own layer or lower ones. Services share the run's vocabulary only (the sink
 * protocol, the results, the secret kinds), never the engine, the report or the config.
 */
const LAYERS: [layer: string, rank: number, holds: (file: string) => boolean][] = [
  ['front door', 4, (file) => file === 'index.ts' || file === 'action.ts' || file.startsWith('cli/')],
  ['config', 3, (file) => file.startsWith('config/')],
  ['run', 2, (file) => file.startsWith('run/')],
  ['service', 1, (file) => /^(aws|github|gitlab)\//.test(file)],
  // types/ holds declarations for libraries (bottleneck's light build), imported by the shared helpers.
  ['shared', 0, (file) => /^(net|util|types)\//.test(file)],
];
/** What of run/ the services may use: the words a run and its sinks share. */
const RUN_VOCABULARY = ['run/sink.ts', 'run/results.ts', 'run/secret-kinds.ts'];
/**
 * At most 400 lines a file. None is exempt today; src/config/inputs.ts, generated from action.yml,
 * would be the one candidate (it grows by one entry per input), and is held to the rule like the rest.
 */
const MAX_LINES = 400;

function layerOf(file: string): { layer: string; rank: number } {
  const found = LAYERS.find(([, , holds]) => holds(file));
  if (!found) throw new Error(`${file} is in no layer: add its folder to LAYERS in this test and to docs/design.md`);
  return { layer: found[0], rank: found[1] };
}

/** Each src file (relative to src/, with `/`) and the src files it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const path of sourceFiles()) {
    const text = readFileSync(path, 'utf8');
    const specifiers = [
      ...text.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s+'([^']+)'/gm),
      ...text.matchAll(/^\s*import\s+'([^']+)'/gm),
      ...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
    ].map(([, specifier]) => specifier ?? '');
    const local = specifiers
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) =>
        relative(SRC, resolve(dirname(path), specifier))
          .split('\\')
          .join('/'),
      );
    graph.set(relative(SRC, path).split('\\').join('/'), [...new Set(local)]);
  }
  return graph;
}

/** Every cycle's files, each found once from its first file in sorted order. */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const done = new Set<string>();
  const visit = (file: string, path: string[]): void => {
    const at = path.indexOf(file);
    if (at >= 0) {
      found.push([...path.slice(at), file]);
      return;
    }
    if (done.has(file)) return;
    for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
    done.add(file);
  };
  for (const file of [...graph.keys()].sort()) visit(file, []);
  return found;
}

/** Each import that goes up a layer, or from a service into the run beyond its vocabulary. */
function upwardImports(graph: Map<string, string[]>): string[] {
  const upward: string[] = [];
  for (const [file, imports] of graph) {
    const from = layerOf(file);
    for (const imported of imports) {
      const to = layerOf(imported);
      // The services' one way up, and the vocabulary's own imports kept within it: what a service
      // reaches through the vocabulary is the vocabulary, never the engine or the report.
      const sharesVocabulary = from.layer === 'service' || RUN_VOCABULARY.includes(file);
      if (to.layer === 'run' && sharesVocabulary) {
        if (!RUN_VOCABULARY.includes(imported))
          upward.push(`${file} (${from.layer}) imports ${imported}, which is not the run's vocabulary`);
      } else if (to.rank > from.rank) upward.push(`${file} (${from.layer}) imports ${imported} (${to.layer})`);
    }
  }
  return upward;
}

describe("src/'s layout", () => {
  const graph = importGraph();

  it('reads every src file and its imports (the parser finds what it should)', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get('index.ts')).toEqual(['action.ts']);
    for (const [file, imports] of graph)
      for (const imported of imports) expect([file, imported, graph.has(imported)]).toEqual([file, imported, true]);
  });

  it('has no import cycle', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('imports only downwards (front doors -> config -> run -> services -> shared), services only the run vocabulary', () => {
    expect(upwardImports(graph)).toEqual([]);
  });

  it(`holds no file over ${MAX_LINES} lines`, () => {
    const long = sourceFiles()
      .map((path) => ({ file: relative(SRC, path), lines: readFileSync(path, 'utf8').split('\n').length - 1 }))
      .filter(({ lines }) => lines > MAX_LINES);
    expect(long).toEqual([]);
  });

  it('the checks can fail: a cycle and upward imports are found in a made-up graph', () => {
    const madeUp = new Map([
      ['run/engine.ts', ['aws/login.ts']],
      ['aws/login.ts', ['run/engine.ts']],
      ['github/sink.ts', ['config/index.ts', 'run/sink.ts', 'run/report.ts']],
      ['net/failures.ts', ['github/errors.ts']],
    ]);
    expect(cycles(madeUp)).toEqual([['aws/login.ts', 'run/engine.ts', 'aws/login.ts']]);
    expect(upwardImports(madeUp)).toEqual([
      "aws/login.ts (service) imports run/engine.ts, which is not the run's vocabulary",
      'github/sink.ts (service) imports config/index.ts (config)',
      "github/sink.ts (service) imports run/report.ts, which is not the run's vocabulary",
      'net/failures.ts (shared) imports github/errors.ts (service)',
    ]);
  });
});
