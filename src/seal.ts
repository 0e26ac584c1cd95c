/**
 * Seals a value for GitHub's secrets API: libsodium `crypto_box_seal` to the target's public key,
 * as padded standard base64 (the API rejects the URL-safe variant that libsodium uses by default).
 */
export async function seal(value: string, publicKeyBase64: string): Promise<string> {
  const sodium = await libsodium();
  const publicKey = sodium.from_base64(publicKeyBase64, sodium.base64_variants.ORIGINAL);
  if (publicKey.length !== sodium.crypto_box_PUBLICKEYBYTES) {
    throw new Error(`GitHub's public key is ${publicKey.length} bytes, not ${sodium.crypto_box_PUBLICKEYBYTES}; try again.`);
  }
  const sealed = sodium.crypto_box_seal(sodium.from_string(value), publicKey);
  return sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL);
}

let loading: Promise<typeof import('libsodium-wrappers')['default']> | undefined;

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
