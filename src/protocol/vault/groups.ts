// Request codecs of groups and memberships (docs/vault-protocol.md §3.10), with Psono's messages.
import { BlindvaultError, PSONO_REFUSALS } from '../errors.js';
import { FieldReader } from './fields.js';

/** A group's keys for one member: box or secretbox of a 32-byte key's hex (160 hex characters); BV bounds them. */
const KEY_BOUNDS = { required: true, minLength: 32, maxLength: 256 } as const;
const must = <T>(value: T | undefined): T => value as T;

function keyType(f: FieldReader, name: string, unknown: string): 'symmetric' | 'asymmetric' | undefined {
  const value = f.string(name, { maxLength: 16 }) ?? 'asymmetric';
  if (value !== 'symmetric' && value !== 'asymmetric') return f.fail(name, unknown) as undefined;
  return value;
}

export function parseGroupCreate(body: unknown) {
  const f = new FieldReader(body);
  let name = f.string('name', { required: true, maxLength: 64 });
  if (name !== undefined && name.length < 3) name = f.fail('name', 'NAME_MAY_NOT_BE_SHORTER_THAN_3_CHARS');
  else if (name?.includes('@')) name = f.fail('name', 'NAME_MAY_NOT_CONTAIN_AT');
  // BV: the group's public key is an X25519 key (Psono takes any hex).
  const publicKey = f.hex('public_key', { required: true, length: 64 });
  const secretKey = f.hex('secret_key', KEY_BOUNDS);
  const secretKeyNonce = f.nonce('secret_key_nonce');
  const privateKey = f.hex('private_key', KEY_BOUNDS);
  const privateKeyNonce = f.nonce('private_key_nonce');
  f.done();
  return { name: must(name), publicKey: must(publicKey), secretKey: must(secretKey), secretKeyNonce: must(secretKeyNonce), privateKey: must(privateKey), privateKeyNonce: must(privateKeyNonce) };
}

export function parseGroupUpdate(body: unknown) {
  const f = new FieldReader(body);
  const groupId = f.uuid('group_id', true);
  const name = f.string('name', { required: true, maxLength: 64 });
  f.done();
  if (must(name).length < 3) throw new BlindvaultError('VAULT_REFUSED', { text: PSONO_REFUSALS.groupNameTooShort });
  if (must(name).includes('@')) throw new BlindvaultError('VAULT_REFUSED', { text: PSONO_REFUSALS.groupNameForbidden });
  return { groupId: must(groupId), name: must(name) };
}

export function parseGroupId(body: unknown) {
  const f = new FieldReader(body);
  const groupId = f.uuid('group_id', true);
  f.done();
  return { groupId: must(groupId) };
}

export function parseMembershipCreate(body: unknown) {
  const f = new FieldReader(body);
  const userId = f.uuid('user_id', true);
  const groupId = f.uuid('group_id', true);
  const secretKey = f.hex('secret_key', KEY_BOUNDS);
  const secretKeyNonce = f.nonce('secret_key_nonce');
  const secretKeyType = keyType(f, 'secret_key_type', 'UNKNOWN_SECRET_KEY_TYPE');
  const privateKey = f.hex('private_key', KEY_BOUNDS);
  const privateKeyNonce = f.nonce('private_key_nonce');
  const privateKeyType = keyType(f, 'private_key_type', 'UNKNOWN_PRIVATE_KEY_TYPE');
  const groupAdmin = f.boolean('group_admin') ?? false;
  const shareAdmin = f.boolean('share_admin') ?? false;
  f.done();
  return {
    userId: must(userId),
    groupId: must(groupId),
    secretKey: must(secretKey),
    secretKeyNonce: must(secretKeyNonce),
    secretKeyType: must(secretKeyType),
    privateKey: must(privateKey),
    privateKeyNonce: must(privateKeyNonce),
    privateKeyType: must(privateKeyType),
    groupAdmin,
    shareAdmin,
  };
}

/** Psono's defaults: group_admin false, share_admin true. */
export function parseMembershipUpdate(body: unknown) {
  const f = new FieldReader(body);
  const membershipId = f.uuid('membership_id', true);
  const groupAdmin = f.boolean('group_admin') ?? false;
  const shareAdmin = f.boolean('share_admin') ?? true;
  f.done();
  return { membershipId: must(membershipId), groupAdmin, shareAdmin };
}

export function parseMembershipId(body: unknown) {
  const f = new FieldReader(body);
  const membershipId = f.uuid('membership_id', true);
  f.done();
  return { membershipId: must(membershipId) };
}
