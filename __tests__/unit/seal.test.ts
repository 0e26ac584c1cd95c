import { describe, expect, it } from '@jest/globals';
import sodium from 'libsodium-wrappers';
import { seal } from '../../src/github/secrets/seal.ts';

await sodium.ready;
const keyPair = sodium.crypto_box_keypair();
const publicKey = sodium.to_base64(keyPair.publicKey, sodium.base64_variants.ORIGINAL);
const open = (sealed: string) =>
  sodium.to_string(
    sodium.crypto_box_seal_open(
      sodium.from_base64(sealed, sodium.base64_variants.ORIGINAL),
      keyPair.publicKey,
      keyPair.privateKey,
    ),
  );

describe('seal', () => {
  it('seals so that only the private key opens it', async () => {
    const sealed = await seal('p@ss/word+=', publicKey);
    expect(open(sealed)).toBe('p@ss/word+=');
    const other = sodium.crypto_box_keypair();
    expect(() =>
      sodium.crypto_box_seal_open(
        sodium.from_base64(sealed, sodium.base64_variants.ORIGINAL),
        other.publicKey,
        other.privateKey,
      ),
    ).toThrow();
  });

  it('answers padded standard base64, 48 bytes longer than the value, as the API requires', async () => {
    const sealed = await seal('x'.repeat(100), publicKey);
    expect(sealed).toMatch(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
    expect(Buffer.from(sealed, 'base64')).toHaveLength(148);
  });

  it('is different every time (an ephemeral key per box)', async () => {
    expect(await seal('same', publicKey)).not.toBe(await seal('same', publicKey));
  });

  it('keeps non-ASCII values intact', async () => {
    expect(open(await seal('pässwörd ✓', publicKey))).toBe('pässwörd ✓');
  });

  it('refuses a key that is not 32 bytes', async () => {
    await expect(seal('x', Buffer.alloc(16).toString('base64'))).rejects.toThrow(/16 bytes, not 32/);
  });
});
