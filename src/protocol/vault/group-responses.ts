// What the vault answers on its group routes (docs/vault-protocol.md §3.10), as allow-lists like
// responses.ts. The keys of a membership are shown only to its own user, once accepted.
import { Type, type TSchema } from 'typebox';

const str = () => Type.String();
const bool = () => Type.Boolean();
const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const opt = <T extends TSchema>(schema: T) => Type.Optional(schema);

const MembershipKeys = {
  secret_key: opt(str()),
  secret_key_nonce: opt(str()),
  secret_key_type: opt(str()),
  private_key: opt(str()),
  private_key_nonce: opt(str()),
  private_key_type: opt(str()),
};

const GroupOfMember = {
  group_id: str(),
  name: str(),
  public_key: str(),
  group_admin: bool(),
  share_admin: bool(),
  accepted: nullable(bool()),
  forced_membership: bool(),
  ...MembershipKeys,
  /** A pending membership: who invited the caller. */
  user_id: opt(str()),
  user_username: opt(str()),
};

export const GroupListResponse = Type.Object({
  groups: Type.Array(
    Type.Object({
      membership_create_date: str(),
      membership_id: str(),
      ...GroupOfMember,
      /** A pending membership: whether every right of the group on shares carries grant. */
      share_right_grant: opt(bool()),
    }),
  ),
});

export const GroupReadResponse = Type.Object({
  ...GroupOfMember,
  members: opt(
    Type.Array(
      Type.Object({
        id: str(),
        membership_create_date: str(),
        membership_id: str(),
        name: str(),
        public_key: str(),
        group_admin: bool(),
        share_admin: bool(),
        accepted: nullable(bool()),
      }),
    ),
  ),
  group_share_rights: opt(
    Type.Array(
      Type.Object({
        id: str(),
        create_date: str(),
        share_id: str(),
        title: str(),
        title_nonce: str(),
        type: str(),
        type_nonce: str(),
        key: str(),
        key_nonce: str(),
        read: bool(),
        write: bool(),
        grant: bool(),
        expiration_date: nullable(str()),
      }),
    ),
  ),
});

export const GroupCreateResponse = Type.Object({
  group_id: str(),
  name: str(),
  secret_key: str(),
  secret_key_nonce: str(),
  secret_key_type: str(),
  private_key: str(),
  private_key_nonce: str(),
  private_key_type: str(),
  public_key: str(),
  group_admin: bool(),
  share_admin: bool(),
  accepted: bool(),
});

export const GroupRightsResponse = Type.Object({
  group_rights: Type.Array(
    Type.Object({ id: str(), group_id: str(), share_id: str(), read: bool(), write: bool(), grant: bool(), expiration_date: nullable(str()) }),
  ),
});

export const MembershipCreateResponse = Type.Object({ membership_id: str() });

export const MembershipAcceptResponse = Type.Object({
  shares: Type.Array(
    Type.Object({
      share_id: str(),
      share_title: str(),
      share_title_nonce: str(),
      share_type: str(),
      share_type_nonce: str(),
      /** Only for rights with read. */
      share_data: opt(str()),
      share_data_nonce: opt(str()),
      share_key: str(),
      share_key_nonce: str(),
    }),
  ),
  secret_key: str(),
  secret_key_nonce: str(),
  secret_key_type: str(),
  private_key: str(),
  private_key_nonce: str(),
  private_key_type: str(),
});
