/**
 * Seals a value for GitHub's secrets API: libsodium `crypto_box_seal` to the target's public key,
 * as padded standard base64 (the API rejects the URL-safe variant that libsodium uses by default).
 */
export async function seal(value: string, publicKeyBase64: string): Promise<string> {
  const problem = publicKeyProblem(publicKeyBase64);
  // libsodium's own complaint about bad base64 is a bare "invalid input".
  if (problem) throw new Error(`GitHub's public key ${problem}; try again.`);
  const sodium = await libsodium();
  const publicKey = sodium.from_base64(publicKeyBase64, sodium.base64_variants.ORIGINAL);
  const sealed = sodium.crypto_box_seal(sodium.from_string(value), publicKey);
  return sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL);
}

/** An X25519 public key is 32 bytes. */
const PUBLIC_KEY_BYTES = 32;
const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * What is wrong with a public key as GitHub sent it (padded standard base64 of 32 bytes), or
 * undefined. Checked without libsodium, so that a key can be vetted before any password exists.
 */
export function publicKeyProblem(publicKeyBase64: string): string | undefined {
  if (!STANDARD_BASE64.test(publicKeyBase64)) return 'is not base64';
  const bytes = Buffer.from(publicKeyBase64, 'base64').length;
  return bytes === PUBLIC_KEY_BYTES ? undefined : `is ${bytes} bytes, not ${PUBLIC_KEY_BYTES}`;
}

let loading: Promise<(typeof import('libsodium-wrappers'))['default']> | undefined;

/**
 * libsodium is loaded on first use, not at start-up: its WebAssembly heap is the largest single
 * cost of a run (about 15 MB), and a run that writes nothing (max-age) never needs it.
 */
export function libsodium() {
  loading ??= import('libsodium-wrappers').then(async ({ default: sodium }) => {
    await sodium.ready;
    return sodium;
  });
  return loading;
}
