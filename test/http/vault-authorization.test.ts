import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { loginWithApiKey, VaultClient, type VaultSession } from '../../src/client/vault-session.js';
import { toBase64, toHex } from '../../src/crypto/encoding.js';
import { signKeyPairFromSeed } from '../../src/crypto/nacl.js';
import { SEND_KEY_BYTES } from '../../src/crypto/send-key.js';
import { DEFAULT_HASHING_PARAMETERS, deriveAuthkey } from '../../src/crypto/psono-kdf.js';
import { ERROR_CATALOGUE, psonoShapeOf, type ErrorCode } from '../../src/protocol/errors.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { injectTransport } from '../helpers/inject-transport.js';
import { BACKENDS } from '../helpers/stores.js';

// The authorization matrix, generated from the table in docs/authorization.md: every row of the
// table is run here, on SQLite and PostgreSQL. The server never opens these ciphertexts, so random
// bytes stand in for them: what is tested is who may read and write what.
const ct = (bytes = 80) => randomBytes(bytes).toString('hex');
const nonce = () => randomBytes(24).toString('hex');
const PASSWORD = 'matrix passphrase';

const SUBJECTS = ['owner', 'other', 'reader', 'writer', 'granter', 'inherited', 'linker', 'via link', 'group member', 'group admin', 'non-member', 'restricted key', 'read-only key', 'logged out'] as const;
type Subject = (typeof SUBJECTS)[number];
const PEOPLE = ['owner', 'other', 'reader', 'writer', 'granter', 'inherited', 'linker', 'via link', 'group member', 'group admin', 'non-member'] as const satisfies readonly Subject[];
type Person = (typeof PEOPLE)[number];
type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
type Request = [method: Method, path: string, body?: unknown];
/** A bulk read: the request, and the secret whose presence in the answer the row states. */
type Probe = { request: Request; listed: string };

interface Row {
  key: string;
  subject: Subject;
  status: number;
  code: ErrorCode | undefined;
  /** `200 (left out)`: a bulk read that answers without the secret. */
  leftOut: boolean;
  reason: string;
}

/** The rows of the table under "## Matrix" in docs/authorization.md. */
function readMatrix(): Row[] {
  const text = readFileSync(new URL('../../docs/authorization.md', import.meta.url), 'utf8');
  const section = text.slice(text.indexOf('\n## Matrix'));
  const rows: Row[] = [];
  for (const line of section.split('\n')) {
    if (!line.startsWith('| ') || line.startsWith('| Object |')) continue;
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    assert.equal(cells.length, 5, `a matrix row has five cells: ${line}`);
    const [object, action, subject, answer, reason] = cells as [string, string, string, string, string];
    assert.ok((SUBJECTS as readonly string[]).includes(subject), `unknown subject in: ${line}`);
    const match = /^([1-5][0-9]{2})(?: ([A-Z_]+))?( \(left out\))?$/.exec(answer);
    assert.ok(match, `an answer is a status and, for a refusal, a catalogue code: ${line}`);
    const code = match[2] as ErrorCode | undefined;
    if (code !== undefined) {
      assert.ok(code in ERROR_CATALOGUE, `${code} is in the catalogue`);
      assert.equal(ERROR_CATALOGUE[code].status, Number(match[1]), `${code} has the status of the catalogue`);
    }
    assert.ok(reason.length > 0, `every row says why: ${line}`);
    rows.push({ key: `${object} / ${action}`, subject: subject as Subject, status: Number(match[1]), code, leftOut: match[3] !== undefined, reason });
  }
  return rows;
}

const MATRIX = readMatrix();

for (const backend of BACKENDS) {
  describe(`vault authorization matrix from docs/authorization.md (${backend})`, () => {
    let t: TestApp;
    let client: VaultClient;
    const people = {} as Record<Person, VaultSession & { datastoreId: string; username: string }>;
    const sessions = {} as Record<Subject, VaultSession | undefined>;
    const ids = {} as Record<'datastore' | 'otherDatastore' | 'secret' | 'sharedSecret' | 'share' | 'parent' | 'granterShare' | 'readOnlyKey' | 'group' | 'group2', string>;
    const ciphertexts: string[] = []; // must never reach a refused caller
    const grantTargets = {} as Record<Subject, string>;
    let pendingTarget: string;

    const ok = async <T = Record<string, string>>(status: number, promise: Promise<{ status: number; body: unknown }>): Promise<T> => {
      const res = await promise;
      assert.equal(res.status, status, JSON.stringify(res.body));
      return res.body as T;
    };
    const person = async (who: string) => {
      const username = `${who.replace(' ', '-')}-${randomBytes(4).toString('hex')}@example.com`;
      await client.register(username, `${username.split('@')[0]}@mail.example.com`, PASSWORD);
      const session = await client.login({ username, password: PASSWORD, sendDeviceTime: false });
      const { datastore_id } = await ok(201, session.request('PUT', '/datastore/', { type: 'password', description: 'Default', secret_key: ct(), secret_key_nonce: nonce() }));
      return Object.assign(session, { datastoreId: datastore_id as string, username });
    };
    const newShare = async (owner: VaultSession, parent: Record<string, string>) =>
      (await ok(201, owner.request('POST', '/share/', { data: ct(40), data_nonce: nonce(), key: ct(), key_nonce: nonce(), key_type: 'symmetric', link_id: randomUUID(), ...parent }))).share_id as string;
    const grantBody = (shareId: string, userId: string, flags: { read: boolean; write: boolean; grant: boolean }) => ({
      share_id: shareId, user_id: userId, key: ct(), key_nonce: nonce(), title: ct(40), title_nonce: nonce(), type: ct(40), type_nonce: nonce(), ...flags,
    });
    const give = async (granter: VaultSession, shareId: string, to: VaultSession, flags: { read: boolean; write: boolean; grant: boolean }) => {
      const { share_right_id } = await ok(201, granter.request('PUT', '/share/right/', grantBody(shareId, to.userId, flags)));
      await ok(200, to.request('POST', '/share/right/accept/', { share_right_id, key: ct(), key_nonce: nonce() }));
    };
    /** The user behind a subject: the keys are the owner's, a logged-out caller has none. */
    const userOf = (subject: Subject) => people[(PEOPLE as readonly string[]).includes(subject) ? (subject as Person) : 'owner'];

    // One request per table key; some make, for each call, the object they act on.
    const CALLS: Record<string, (subject: Subject) => Promise<Request | Probe> | Request | Probe> = {
      'datastore / list': () => ['GET', '/datastore/'],
      'datastore / read': () => ['GET', `/datastore/${ids.datastore}/`],
      'datastore / write': () => ['POST', '/datastore/', { datastore_id: ids.datastore, data: ct(30), data_nonce: nonce() }],
      'secret in the datastore / read': () => ['GET', `/secret/${ids.secret}/`],
      'secret in the datastore / write': () => ['POST', '/secret/', { secret_id: ids.secret, data: ct(60), data_nonce: nonce() }],
      'secret in the share / read': () => ['GET', `/secret/${ids.sharedSecret}/`],
      'secret in the share / write': () => ['POST', '/secret/', { secret_id: ids.sharedSecret, data: ct(60), data_nonce: nonce() }],
      'secret in the share / history': () => ['GET', `/secret/history/${ids.sharedSecret}/`],
      // A bulk read asks for the secret among ids the caller can never read: only the secret may come back.
      'secret in the datastore / bulk read': () => ({ request: ['POST', '/bulk-secret-read/', { secret_ids: [ids.secret, randomUUID(), ids.secret.toUpperCase()] }], listed: ids.secret }),
      'secret in the share / bulk read': () => ({ request: ['POST', '/bulk-secret-read/', { secret_ids: [ids.sharedSecret, randomUUID()] }], listed: ids.sharedSecret }),
      'datastore / add secrets in bulk': () => ['PUT', '/bulk-secret/', { parent_datastore_id: ids.datastore, secrets: [bulkEntry(), bulkEntry()] }],
      'share / add secrets in bulk': () => ['PUT', '/bulk-secret/', { parent_share_id: ids.share, secrets: [bulkEntry(), bulkEntry()] }],
      'share / read': () => ['GET', `/share/${ids.share}/`],
      'share / write': () => ['PUT', '/share/', { share_id: ids.share, data: ct(60), data_nonce: nonce() }],
      'share / add a secret': () => ['PUT', '/secret/', { data: ct(60), data_nonce: nonce(), link_id: randomUUID(), parent_share_id: ids.share }],
      'share / list its rights': () => ['GET', `/share/rights/${ids.share}/`],
      'share / grant read to a new user': (subject) => ['PUT', '/share/right/', grantBody(ids.share, grantTargets[subject], { read: true, write: false, grant: false })],
      'share / hang under own datastore': (subject) => ['PUT', '/share/link/', { link_id: randomUUID(), share_id: ids.share, parent_datastore_id: userOf(subject).datastoreId }],
      'share / hang under the parent share': () => ['PUT', '/share/link/', { link_id: randomUUID(), share_id: ids.share, parent_share_id: ids.parent }],
      'link the granter made under its own share / remove': async () => {
        const linkId = randomUUID();
        await ok(201, people.granter.request('PUT', '/share/link/', { link_id: linkId, share_id: ids.share, parent_share_id: ids.granterShare }));
        return ['DELETE', '/share/link/', { link_id: linkId }];
      },
      'pending read right of a new user / delete': async () => {
        let right = await t.stores.objects.findShareRight(ids.share, pendingTarget);
        if (!right) {
          await ok(201, people.owner.request('PUT', '/share/right/', grantBody(ids.share, pendingTarget, { read: true, write: false, grant: false })));
          right = await t.stores.objects.findShareRight(ids.share, pendingTarget);
        }
        assert.equal(right?.accepted, null);
        return ['DELETE', '/share/right/', { user_share_right_id: right?.id }];
      },
      'own right, given by the owner / delete': async (subject) => {
        const fresh = await newShare(people.owner, { parent_datastore_id: ids.datastore });
        const holder = userOf(subject);
        if (holder !== people.owner) await ok(201, people.owner.request('PUT', '/share/right/', grantBody(fresh, holder.userId, { read: true, write: false, grant: false })));
        const right = await t.stores.objects.findShareRight(fresh, holder.userId);
        return ['DELETE', '/share/right/', { user_share_right_id: right?.id }];
      },
      'file sent to the reader / read': async () => ['GET', `/send/${await sentToReader()}/`],
      'file sent to the reader / revoke': async () => ['DELETE', '/send/', { id: await sentToReader() }],
      'own inbox / list': () => ['GET', '/send/inbox/'],
      'own finished upload / send to the reader': async () => {
        const file = await finishedUpload();
        return ['POST', '/send/', { file_id: file.id, owner_token: file.ownerToken, recipient_id: people.reader.userId, boxed_key: toBase64(randomBytes(SEND_KEY_BYTES)) }];
      },
      'own recovery code / set': () => ['POST', '/recoverycode/', { recovery_authkey: ct(64), recovery_data: ct(), recovery_data_nonce: nonce(), recovery_sauce: ct(32) }],
      'own emergency codes / list': () => ['GET', '/emergencycode/'],
      'own emergency code / add': () => ['POST', '/emergencycode/', emergencyCode()],
      'emergency code of the owner / delete': async () => {
        const { emergency_code_id } = await ok(201, people.owner.request('POST', '/emergencycode/', emergencyCode()));
        return ['DELETE', '/emergencycode/', { emergency_code_id }];
      },
      'the group / read': () => ['GET', `/group/${ids.group}/`],
      'the group / list its rights': () => ['GET', `/group/rights/${ids.group}/`],
      'the group / rename': () => ['POST', '/group/', { group_id: ids.group, name: `G ${randomBytes(3).toString('hex')}` }],
      'the group / invite a new user': async () => ['PUT', '/membership/', membershipBody(ids.group, (await person('invitee')).userId)],
      'invitation of a new user to the group / make group admin': async () => ['POST', '/membership/', { membership_id: await inviteNew(), group_admin: true, share_admin: true }],
      'invitation of a new user to the group / remove': async () => ['DELETE', '/membership/', { membership_id: await inviteNew() }],
      'own invitation to a fresh group / accept': async (subject) => {
        const inviter = subject === 'group admin' ? people.owner : people['group admin'];
        const group = await newGroup(inviter);
        const { membership_id } = await ok(201, inviter.request('PUT', '/membership/', membershipBody(group, userOf(subject).userId)));
        return ['POST', '/membership/accept/', { membership_id }];
      },
      'own membership of a fresh group / leave': async (subject) => {
        const holder = userOf(subject);
        const inviter = holder === people['group admin'] ? people.owner : people['group admin'];
        const group = await newGroup(inviter);
        const { membership_id } = await ok(201, inviter.request('PUT', '/membership/', membershipBody(group, holder.userId)));
        await ok(200, holder.request('POST', '/membership/accept/', { membership_id }));
        return ['DELETE', '/membership/', { membership_id }];
      },
      'share / share with the second group': () => ['PUT', '/share/right/', groupRightBody(ids.share, ids.group2, { read: true, write: false, grant: false })],
      'right of the second group on a fresh share / remove': async () => {
        const fresh = await newShare(people.owner, { parent_datastore_id: ids.datastore });
        const { share_right_id } = await ok(201, people.owner.request('PUT', '/share/right/', groupRightBody(fresh, ids.group2, { read: true, write: false, grant: false })));
        return ['DELETE', '/share/right/', { group_share_right_id: share_right_id }];
      },
      'own TOTP factors / list': () => ['GET', '/user/ga/'],
      'own TOTP factor / enrol': () => ['PUT', '/user/ga/', { title: 'matrix' }],
      'TOTP factor of the owner / remove': async () => ['DELETE', '/user/ga/', { google_authenticator_id: await ownersFactor('totp') }],
      'own WebAuthn credentials / list': () => ['GET', '/user/webauthn/'],
      'WebAuthn credential of the owner / remove': async () => ['DELETE', '/user/webauthn/', { webauthn_id: await ownersFactor('webauthn') }],
      'secret in the share / make a link share': () => ['PUT', '/link-share/', linkShareBody()],
      'own link shares / list': () => ['GET', '/link-share/'],
      'link share of the owner / read': async () => ['GET', `/link-share/${await ownersLinkShare()}/`],
      'link share of the owner / change': async () => ['POST', '/link-share/', { link_share_id: await ownersLinkShare(), public_title: 'changed', allowed_reads: 1, passphrase: null, valid_till: null }],
      'link share of the owner / delete': async () => ['DELETE', '/link-share/', { link_share_id: await ownersLinkShare() }],
      'API key / read': () => ['GET', `/api-key/${ids.readOnlyKey}/`],
      'sessions / list': () => ['GET', '/authentication/sessions/'],
      'another session of the owner / end': async () => {
        const fresh = await client.login({ username: people.owner.username, password: PASSWORD, sendDeviceTime: false });
        const { sessions: list } = await ok<{ sessions: Array<{ id: string; current_session: boolean }> }>(200, fresh.request('GET', '/authentication/sessions/'));
        return ['POST', '/authentication/logout/', { session_id: list.find((x) => x.current_session)?.id }];
      },
    };

    // Groups: the server never opens their keys either, so random bytes stand in for them too.
    const newGroup = async (creator: VaultSession) =>
      (await ok(201, creator.request('PUT', '/group/', { name: `group ${randomBytes(3).toString('hex')}`, public_key: ct(32), secret_key: ct(), secret_key_nonce: nonce(), private_key: ct(), private_key_nonce: nonce() }))).group_id as string;
    const membershipBody = (groupId: string, userId: string, flags: { group_admin?: boolean; share_admin?: boolean } = {}) => ({
      group_id: groupId, user_id: userId, secret_key: ct(), secret_key_nonce: nonce(), secret_key_type: 'asymmetric', private_key: ct(), private_key_nonce: nonce(), private_key_type: 'asymmetric',
      group_admin: flags.group_admin ?? false, share_admin: flags.share_admin ?? false,
    });
    const join = async (admin: VaultSession, groupId: string, who: VaultSession, flags: { share_admin?: boolean } = {}) => {
      const { membership_id } = await ok(201, admin.request('PUT', '/membership/', membershipBody(groupId, who.userId, flags)));
      await ok(200, who.request('POST', '/membership/accept/', { membership_id }));
      return membership_id as string;
    };
    /** A fresh pending invitation of a new user to G, by the group admin. */
    const inviteNew = async () => (await ok(201, people['group admin'].request('PUT', '/membership/', membershipBody(ids.group, (await person('invitee')).userId)))).membership_id as string;
    const groupRightBody = (shareId: string, groupId: string, flags: { read: boolean; write: boolean; grant: boolean }) => ({
      share_id: shareId, group_id: groupId, key: ct(), key_nonce: nonce(), title: ct(40), title_nonce: nonce(), type: ct(40), type_nonce: nonce(), ...flags,
    });

    /** A fresh inactive second factor of the owner, made in the store (the service bounds factors per user). */
    const ownersFactor = async (kind: 'totp' | 'webauthn') => {
      const id = randomUUID();
      const made = await t.stores.secondFactors.create({ id, userId: people.owner.userId, kind, title: 'matrix', totpSecret: null, origin: null, rpId: null, challenge: null, createdAt: new Date() }, 1_000_000);
      assert.equal(made, 'created');
      return id;
    };
    const linkShareBody = () => ({ secret_id: ids.sharedSecret, node: ct(120), node_nonce: nonce(), public_title: 'matrix', allowed_reads: 2, passphrase: null, valid_till: null, allow_write: false });
    /** A fresh link share of the secret in S, made by the owner (docs/vault-protocol.md §3.16). */
    const ownersLinkShare = async () => (await ok(201, people.owner.request('PUT', '/link-share/', linkShareBody()))).link_share_id as string;
    const bulkEntry = () => ({ data: ct(60), data_nonce: nonce(), link_id: randomUUID() });
    const emergencyCode = () => ({ description: 'matrix', activation_delay: 3600, emergency_authkey: ct(64), emergency_data: ct(), emergency_data_nonce: nonce(), emergency_sauce: ct(32) });
    /** A finished v2 upload through /uploads (docs/uploads.md), for a send. */
    const finishedUpload = async () => {
      const created = await t.app.inject({ method: 'POST', url: '/uploads', headers: { 'tus-resumable': '1.0.0', 'upload-length': '100' } });
      const { id, upload_token, owner_token } = created.json() as { id: string; upload_token: string; owner_token: string };
      const patched = await t.app.inject({
        method: 'PATCH',
        url: `/uploads/${id}`,
        headers: { 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream', authorization: `Bearer ${upload_token}` },
        payload: randomBytes(100),
      });
      assert.equal(patched.statusCode, 204);
      return { id, ownerToken: owner_token };
    };
    /** A fresh file the owner sent to the reader (docs/send.md). */
    const sentToReader = async () => {
      const file = await finishedUpload();
      const body = { file_id: file.id, owner_token: file.ownerToken, recipient_id: people.reader.userId, boxed_key: toBase64(randomBytes(SEND_KEY_BYTES)) };
      return (await ok<{ id: string }>(201, people.owner.request('POST', '/send/', body))).id;
    };

    const call = async (subject: Subject, [method, path, body]: Request) => {
      const session = sessions[subject];
      if (!session) {
        const res = await t.app.inject({ method, url: `/server${path}`, headers: { 'content-type': 'application/json' }, ...(body !== undefined ? { payload: JSON.stringify(body) } : {}) });
        return { status: res.statusCode, body: res.json() as unknown, raw: res.body };
      }
      const res = await session.request(method, path, body);
      return { status: res.status, body: res.body, raw: JSON.stringify(res.body) };
    };

    before(async () => {
      t = await openTestApp(backend, { VAULT_THROTTLE_LOGIN: '1000/minute', VAULT_THROTTLE_PRELOGIN: '1000/minute', VAULT_THROTTLE_REGISTRATION: '1000/minute' });
      client = new VaultClient(injectTransport(t.app));
      for (const who of PEOPLE) people[who] = await person(who);
      for (const subject of SUBJECTS) grantTargets[subject] = (await person(`target-${subject}`)).userId;
      pendingTarget = (await person('pending')).userId;
      const owner = people.owner;
      ids.datastore = owner.datastoreId;
      ids.otherDatastore = (await ok(201, owner.request('PUT', '/datastore/', { type: 'notes', description: 'Other', secret_key: ct(), secret_key_nonce: nonce(), is_default: false }))).datastore_id as string;
      const secretData = ct(60);
      ciphertexts.push(secretData);
      ids.secret = (await ok(201, owner.request('PUT', '/secret/', { data: secretData, data_nonce: nonce(), link_id: randomUUID(), parent_datastore_id: ids.datastore }))).secret_id as string;
      ids.parent = await newShare(owner, { parent_datastore_id: ids.datastore });
      ids.share = await newShare(owner, { parent_datastore_id: ids.datastore });
      await ok(201, owner.request('PUT', '/share/link/', { link_id: randomUUID(), share_id: ids.share, parent_share_id: ids.parent }));
      const sharedData = ct(60);
      ciphertexts.push(sharedData);
      ids.sharedSecret = (await ok(201, owner.request('PUT', '/secret/', { data: sharedData, data_nonce: nonce(), link_id: randomUUID(), parent_share_id: ids.share }))).secret_id as string;

      await give(owner, ids.share, people.reader, { read: true, write: false, grant: false });
      await give(owner, ids.share, people.writer, { read: true, write: true, grant: false });
      await give(owner, ids.share, people.granter, { read: true, write: true, grant: true });
      await give(owner, ids.share, people.linker, { read: true, write: false, grant: true });
      await give(owner, ids.parent, people.inherited, { read: true, write: true, grant: false });
      const linkerShare = await newShare(people.linker, { parent_datastore_id: people.linker.datastoreId });
      await ok(201, people.linker.request('PUT', '/share/link/', { link_id: randomUUID(), share_id: ids.share, parent_share_id: linkerShare }));
      await give(people.linker, linkerShare, people['via link'], { read: true, write: true, grant: true });
      ids.granterShare = await newShare(people.granter, { parent_datastore_id: people.granter.datastoreId });
      // G: the group admin's; the owner shares S with it (read, write) as its share admin; the non-member was removed after reading S.
      const groupAdmin = people['group admin'];
      ids.group = await newGroup(groupAdmin);
      await join(groupAdmin, ids.group, owner, { share_admin: true });
      await join(groupAdmin, ids.group, people['group member']);
      const removed = await join(groupAdmin, ids.group, people['non-member']);
      await ok(201, owner.request('PUT', '/share/right/', groupRightBody(ids.share, ids.group, { read: true, write: true, grant: false })));
      await ok(200, people['non-member'].request('GET', `/share/${ids.share}/`));
      await ok(200, groupAdmin.request('DELETE', '/membership/', { membership_id: removed }));
      ids.group2 = await newGroup(groupAdmin);
      await join(groupAdmin, ids.group2, owner, { share_admin: true });

      const apiKey = async (restrict: boolean, write: boolean) => {
        const ask = randomBytes(32);
        const { api_key_id } = await ok(201, owner.request('PUT', '/api-key/', {
          title: 'matrix', public_key: ct(32), private_key: ct(), private_key_nonce: nonce(), secret_key: ct(), secret_key_nonce: nonce(),
          user_private_key: ct(), user_private_key_nonce: nonce(), user_secret_key: ct(), user_secret_key_nonce: nonce(),
          verify_key: toHex(signKeyPairFromSeed(ask).publicKey), read: true, write, restrict_to_secrets: restrict,
        }));
        return { apiKeyId: api_key_id as string, privateKeyHex: toHex(ask), secretKeyHex: toHex(randomBytes(32)) };
      };
      const restricted = await apiKey(true, true);
      const readOnly = await apiKey(false, false);
      ids.readOnlyKey = readOnly.apiKeyId;
      await ok(201, owner.request('PUT', '/api-key/secret/', { api_key_id: restricted.apiKeyId, secret_id: ids.secret, secret_key: ct(), secret_key_nonce: nonce(), title: ct(40), title_nonce: nonce() }));
      for (const who of PEOPLE) sessions[who] = people[who];
      sessions['restricted key'] = (await loginWithApiKey(client, restricted)).session;
      sessions['read-only key'] = (await loginWithApiKey(client, readOnly)).session;
      sessions['logged out'] = undefined;
    });
    after(async () => t.close());

    test('the table is complete: every action has a request, every subject a row, every refusal a control', () => {
      const keys = [...new Set(MATRIX.map((r) => r.key))];
      assert.deepEqual([...keys].sort(), Object.keys(CALLS).sort(), 'the actions of the table are those this test can make');
      for (const key of keys) {
        const rows = MATRIX.filter((r) => r.key === key);
        assert.deepEqual(rows.map((r) => r.subject), [...SUBJECTS], `${key}: one row per subject, in order`);
        assert.ok(rows.some((r) => r.status < 300 && !r.leftOut), `${key}: a refusal needs its control`);
      }
    });

    for (const key of [...new Set(MATRIX.map((r) => r.key))]) {
      test(key, async () => {
        const rows = MATRIX.filter((r) => r.key === key);
        // Refusals first: a control that changes state runs after them.
        const refusal = (r: Row) => r.status >= 300 || r.leftOut;
        const ordered = [...rows.filter(refusal), ...rows.filter((r) => !refusal(r))];
        const got: string[] = [];
        const want: string[] = [];
        for (const row of ordered) {
          const made = await (CALLS[key] as (s: Subject) => Promise<Request | Probe> | Request | Probe)(row.subject);
          const probe = Array.isArray(made) ? undefined : made;
          const res = await call(row.subject, probe ? probe.request : (made as Request));
          want.push(`${row.subject}: ${row.status}${row.code ? ` ${row.code}` : ''}${row.leftOut ? ' (left out)' : ''}`);
          let seen = `${row.subject}: ${res.status}`;
          if (probe && res.status === 200) {
            const listed = (res.body as { secrets: Array<{ id: string }> }).secrets.map((x) => x.id);
            assert.ok(listed.every((id) => id === probe.listed), `${row.subject}: a bulk read answers nothing but the secret asked for`);
            if (!listed.includes(probe.listed)) seen += ' (left out)';
          }
          if (row.code) {
            const shape = psonoShapeOf(row.code);
            const b = res.body as Record<string, unknown>;
            const rendered =
              (shape === 'non_field' && JSON.stringify(b.non_field_errors) === JSON.stringify([row.code])) ||
              (shape === 'message' && b.message === ERROR_CATALOGUE[row.code].message) ||
              (shape === 'detail' && typeof b.detail === 'string') ||
              // Psono's own sentences (VAULT_REFUSED) and field errors: their words are the group tests' (test/http/vault-groups.test.ts).
              (shape === 'non_field_text' && Array.isArray(b.non_field_errors) && b.non_field_errors.length === 1) ||
              (shape === 'fields' && Object.keys(b).length > 0 && Object.values(b).every(Array.isArray));
            seen += rendered ? ` ${row.code}` : ` ${res.raw.slice(0, 120)}`;
          }
          got.push(seen);
          if (res.status >= 300 || seen.endsWith('(left out)')) {
            for (const secret of ciphertexts) assert.ok(!res.raw.includes(secret), `${row.subject} saw a ciphertext in a refusal`);
          }
        }
        assert.deepEqual(got, want);
      });
    }

    test('control: the owner deletes a non-default datastore with the right authkey, and only then it is gone', async () => {
      const owner = people.owner;
      const authkey = await deriveAuthkey(owner.username, PASSWORD, DEFAULT_HASHING_PARAMETERS);
      assert.equal((await call('read-only key', ['DELETE', '/datastore/', { datastore_id: ids.otherDatastore, authkey }])).status, 403);
      assert.equal((await call('other', ['DELETE', '/datastore/', { datastore_id: ids.otherDatastore, authkey }])).status, 400);
      assert.equal((await call('owner', ['DELETE', '/datastore/', { datastore_id: ids.otherDatastore, authkey: 'f'.repeat(128) }])).status, 403, 'a wrong authkey');
      assert.equal((await owner.request('DELETE', '/datastore/', { datastore_id: ids.otherDatastore, authkey })).status, 200);
      assert.equal((await owner.request('GET', `/datastore/${ids.otherDatastore}/`)).status, 403);
    });

    test('a refused secret read leaks nothing and counts nothing', async () => {
      const before = (await call('owner', ['GET', `/secret/${ids.sharedSecret}/`])).body as { read_count: number };
      const refused = await call('other', ['GET', `/secret/${ids.sharedSecret}/`]);
      assert.deepEqual(refused.body, { non_field_errors: ['NO_PERMISSION_OR_NOT_EXIST'] });
      const after = (await call('owner', ['GET', `/secret/${ids.sharedSecret}/`])).body as { read_count: number };
      assert.equal(after.read_count, before.read_count + 1, 'only the owner\'s reads were counted');
    });
  });
}
