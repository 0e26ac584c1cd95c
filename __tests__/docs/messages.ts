/**
 * The user-facing message templates in src/, read from the source with the TypeScript compiler, so
 * that the troubleshooting tables of docs/troubleshooting.md can be checked against every message the action prints.
 *
 * A template is the message's literal text with each interpolation (`${...}`, a variable, a call)
 * replaced by `…`. What counts as a message:
 * - the problem of each `report('<input>', problem, fix)` in src/config/, as the action prints it: `Input '<input>': problem`,
 *   each `{input}` placeholder (in every kind of message) rendered as the action renders it, the input's name;
 * - the command's collected problems (src/cli/options.ts): `problems.flag('<flag>', problem, fix)` as printed,
 *   `--<flag>: problem`, and the sentence of every `problems.add(...)` (`problems.push(...)` in flags.ts);
 * - the first argument of every `new …Error(...)`, and the detail of every `result(…, 'failed', detail)`;
 * - the first argument of every `….warning(...)` call, and every value of a variable named `warning`;
 * - what functions named like `…Message`, `…Problem`, `…Advice` or `describe…` return;
 * - every `words:` property (net/failures.ts: how a failed connection is described inside "could not reach").
 * Conditional expressions (`a ? `x` : `y``) give one template per branch.
 */
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { sourceFiles } from '../source-files.ts';

export const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const SRC = join(ROOT, 'src');
export const HOLE = '…';

export interface MessageTemplate {
  /** The file under src/, for failure messages. */
  file: string;
  line: number;
  text: string;
  kind: 'input' | 'error' | 'warning' | 'returned' | 'network';
}

const MESSAGE_FUNCTION = /(message|problem|advice)$|^describe/i;

export function messageTemplates(): MessageTemplate[] {
  return sourceFiles(SRC).flatMap((path) => templatesIn(path, readFileSync(path, 'utf8')));
}

export function templatesIn(path: string, text: string): MessageTemplate[] {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const found: MessageTemplate[] = [];
  const add = (node: ts.Node, kind: MessageTemplate['kind'], prefix = '') => {
    for (const variant of variants(node)) {
      found.push({
        file: relative(ROOT, path),
        line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1,
        // The action's rendering of an input placeholder (config/problems.ts formatProblem, action.ts): the input's name.
        text: prefix + variant.replace(/\{([a-z][a-z0-9-]*)\}/g, '$1'),
        kind,
      });
    }
  };
  const visit = (node: ts.Node, enclosingFunction: string | undefined): void => {
    if (ts.isCallExpression(node)) {
      const callee = calleeName(node.expression);
      const [first, second] = node.arguments;
      if (callee === 'report' && first && second) {
        const input = ts.isStringLiteralLike(first) ? first.text : HOLE;
        add(second, 'input', `Input '${input}': `);
      }
      if (callee === 'warning' && first) add(first, 'warning');
      const receiver = ts.isPropertyAccessExpression(node.expression) ? node.expression.expression.getText(source) : '';
      // The command's problems only (src/cli/): other modules' `problems` lists are words for messages built elsewhere.
      const command = /[\\/]src[\\/]cli[\\/]/.test(path);
      if (command && receiver === 'problems' && (callee === 'add' || callee === 'push') && first) add(first, 'error');
      if (command && receiver === 'problems' && callee === 'flag' && first && second)
        add(second, 'error', `--${ts.isStringLiteralLike(first) ? first.text : HOLE}: `);
      // `result(target, name, 'failed', detail)` (github/secrets/): a secret's failure, as the step prints it.
      const status = node.arguments[2];
      if (
        callee === 'result' &&
        status &&
        ts.isStringLiteralLike(status) &&
        status.text === 'failed' &&
        node.arguments[3]
      )
        add(node.arguments[3], 'error');
    }
    if (ts.isNewExpression(node) && /Error$/.test(node.expression.getText(source)) && node.arguments?.[0])
      add(node.arguments[0], 'error');
    if (ts.isReturnStatement(node) && node.expression && enclosingFunction && MESSAGE_FUNCTION.test(enclosingFunction))
      add(node.expression, 'returned');
    if (ts.isPropertyAssignment(node) && node.name.getText(source) === 'words') add(node.initializer, 'network');
    if (ts.isVariableDeclaration(node) && node.name.getText(source) === 'warning' && node.initializer)
      add(node.initializer, 'warning');
    const name = functionName(node);
    ts.forEachChild(node, (child) => visit(child, name ?? enclosingFunction));
  };
  visit(source, undefined);
  // Only text: a bare variable or call has no words of its own to document.
  return found.filter((template) => template.text.replace(new RegExp(HOLE, 'g'), '').trim() !== '');
}

function calleeName(expression: ts.Expression): string | undefined {
  if (ts.isIdentifier(expression)) return expression.text;
  if (ts.isPropertyAccessExpression(expression)) return expression.name.text;
  return undefined;
}

function functionName(node: ts.Node): string | undefined {
  if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)) && node.name) return node.name.getText();
  if ((ts.isArrowFunction(node) || ts.isFunctionExpression(node)) && ts.isVariableDeclaration(node.parent))
    return node.parent.name.getText();
  return undefined;
}

/** The literal text of an expression, one variant per branch of its conditionals; `…` for anything computed. */
function variants(node: ts.Node): string[] {
  if (ts.isParenthesizedExpression(node)) return variants(node.expression);
  if (ts.isConditionalExpression(node)) return [...variants(node.whenTrue), ...variants(node.whenFalse)];
  if (ts.isStringLiteralLike(node)) return [node.text];
  if (ts.isTemplateExpression(node)) {
    // Interpolations are holes, whatever they hold: a nested template is a part chosen at run time.
    return [node.head.text + node.templateSpans.map((span) => HOLE + span.literal.text).join('')].map(collapseHoles);
  }
  return [HOLE];
}

function collapseHoles(text: string): string {
  return text.replace(new RegExp(`${HOLE}+`, 'g'), HOLE);
}

/** How many words of at least two letters a template's literal text holds. */
export function wordCount(text: string): number {
  return (
    text
      .split(HOLE)
      .join(' ')
      .match(/[A-Za-z]{2,}/g)?.length ?? 0
  );
}
