import sodium from 'libsodium-wrappers';

/**
 * Seals a value for GitHub's secrets API: libsodium `crypto_box_seal` to the target's public key,
 * as padded standard base64 (the API rejects the URL-safe variant that libsodium uses by default).
 */
export async function seal(value: string, publicKeyBase64: string): Promise<string> {
  await sodium.ready;
  const publicKey = sodium.from_base64(publicKeyBase64, sodium.base64_variants.ORIGINAL);
  if (publicKey.length !== sodium.crypto_box_PUBLICKEYBYTES) {
    throw new Error(`GitHub's public key is ${publicKey.length} bytes, not ${sodium.crypto_box_PUBLICKEYBYTES}; try again.`);
  }
  const sealed = sodium.crypto_box_seal(sodium.from_string(value), publicKey);
  return sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL);
}
