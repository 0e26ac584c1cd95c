import type { EcrLogin } from '../ecr.ts';
import type { ImageReference } from './image-reference.ts';

/**
 * `verify-images` beside the writes: the checks start once the password is in hand and end before
 * the report, whatever the writes did. The registry client (verify.ts) is loaded only then, so runs
 * without `verify-images` load nothing of it and send nothing more.
 */

/** One image's line in the report: `pull allowed`, why not, or why it was not checked. */
export interface ImageCheck {
  image: string;
  status: 'allowed' | 'refused' | 'not checked' | 'planned';
  result: string;
}

export const WOULD_BE_CHECKED = 'would be checked';

/** Checks each image with the run's password, or says why it was not checked (no password was fetched). */
export async function checkImages(
  images: readonly ImageReference[],
  region: string,
  login: Promise<EcrLogin | undefined>,
  setSecret: (value: string) => void,
): Promise<ImageCheck[]> {
  const issued = await login.catch(() => undefined);
  if (!issued)
    return images.map(({ text }) => ({
      image: text,
      status: 'not checked',
      result: 'not checked: no password was fetched in this run',
    }));
  const { verifyImages } = await import('./verify.ts');
  const checks = await verifyImages(images, issued, region, setSecret);
  return checks.map(({ image, allowed, result }) => ({ image, status: allowed ? 'allowed' : 'refused', result }));
}

/** A dry run's list: what a real run would check. */
export function dryRunChecks(images: readonly ImageReference[]): ImageCheck[] {
  return images.map(({ text }) => ({ image: text, status: 'planned', result: WOULD_BE_CHECKED }));
}

/** The `images-verified` output: `[{image, result}]`. */
export function imagesOutput(checks: readonly ImageCheck[]): string {
  return JSON.stringify(checks.map(({ image, result }) => ({ image, result })));
}

/** The summary's table of images, under the secrets'. */
export function imagesMarkdown(checks: readonly ImageCheck[]): string {
  if (checks.length === 0) return '';
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [
    '',
    '| Image | Pull with the new password |',
    '| --- | --- |',
    ...checks.map(
      ({ image, status, result }) => `| \`${cell(image)}\` | ${status === 'refused' ? '❌ ' : ''}${cell(result)} |`,
    ),
  ].join('\n');
}

/** The command's text report, a line per image. */
export function imagesText(checks: readonly ImageCheck[]): string[] {
  return checks.map(({ image, result }) => `image ${image}: ${result}`);
}

/** The step's error when an image cannot be pulled; undefined when every checked image can. */
export function imagesFailureMessage(checks: readonly ImageCheck[]): string | undefined {
  const refused = checks.filter(({ status }) => status === 'refused');
  if (refused.length === 0) return undefined;
  return [
    `${refused.length} of ${checks.length} images of verify-images cannot be pulled with the new password (the secrets were written all the same):`,
    ...refused.map(({ image, result }) => `- ${image}: ${result}`),
  ].join('\n');
}
