// What the vault answers, per endpoint (spec §3), as allow-lists: a field not named here never
// leaves the server. For a token route these describe the plaintext inside the envelope (§1.4): the
// server serializes against them first and seals afterwards. Field names are Psono's, as the
// official web client and the seed client read them; never drop one they read.
import { Type, type TObject, type TSchema } from 'typebox';

const str = () => Type.String();
const bool = () => Type.Boolean();
const int = () => Type.Integer();
const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Flags = () => Type.Object({ read: bool(), write: bool(), grant: bool() });

/**
 * Every error body of §0.3 in one object: field errors (`{"<field>": ["<message>"]}`), `non_field_errors`,
 * `custom`, `detail`, `{"error", "message"}` and `{"message", "resource_id"}`; the 405 answer `{}`.
 */
export const VaultErrorResponse = Type.Object(
  {
    non_field_errors: Type.Optional(Type.Array(str())),
    custom: Type.Optional(Type.Array(str())),
    detail: Type.Optional(str()),
    error: Type.Optional(str()),
    message: Type.Optional(str()),
    resource_id: Type.Optional(str()),
  },
  { additionalProperties: Type.Array(str()) },
);

/** `{}`: the answer of most deletions and moves. */
export const EmptyResponse = Type.Object({});
/** `{"success": "<text>"}` */
export const SuccessResponse = Type.Object({ success: str() });
/** `{"success": "Data updated.", "write_date": "<iso>"}` (datastore and share updates). */
export const UpdatedResponse = Type.Object({ success: str(), write_date: str() });

// §3.1 Server info and health
export const InfoResponse = Type.Object({ info: str(), signature: str(), verify_key: str() });
const Healthy = () => Type.Object({ healthy: bool() });
export const HealthcheckResponse = Type.Object({ db_read: Healthy(), db_sync: Healthy(), time_sync: Healthy(), _info: Type.Object({ ip: str() }) });

// §3.3 Login and sessions
export const PreloginResponse = Type.Object({
  hashing_algorithm: str(),
  hashing_parameters: Type.Object({ u: int(), r: int(), p: int(), l: int() }),
});
/** Password login: the box of login_info holds the session (§3.3), opaque to this schema. */
export const LoginResponse = Type.Object({ login_info: str(), login_info_nonce: str() });
export const ActivateTokenResponse = Type.Object({
  user: Type.Object({
    id: str(),
    authentication: str(),
    email: str(),
    secret_key: str(),
    secret_key_nonce: str(),
    registration_date: str(),
    require_password_change: bool(),
  }),
});
export const SessionsResponse = Type.Object({
  sessions: Type.Array(Type.Object({ id: str(), create_date: str(), device_description: str(), current_session: bool() })),
});

// §3.4 User
const UserSearchResult = Type.Object({
  id: str(),
  public_key: str(),
  username: str(),
  avatar_id: Type.Null(),
  multifactor_auth_enabled: Type.Optional(bool()),
  recovery_code_enabled: Type.Optional(bool()),
});
/** One match is an object, several an array (§3.4). */
export const UserSearchResponse = Type.Union([UserSearchResult, Type.Array(UserSearchResult)]);
export const UserStatusResponse = Type.Object({
  unaccepted_shares_count: int(),
  unaccepted_groups_count: int(),
  unaccepted_forced_groups_count: int(),
  last_security_report_created: str(),
});
/** BV: avatars are not stored, the list is always empty. */
export const AvatarsResponse = Type.Object({ avatars: Type.Array(Type.Object({ id: str() })) });

// §3.5 Datastores
export const DatastoreListResponse = Type.Object({
  datastores: Type.Array(Type.Object({ id: str(), type: str(), description: str(), is_default: bool() })),
});
export const DatastoreReadResponse = Type.Object({
  data: str(),
  data_nonce: str(),
  type: str(),
  description: str(),
  secret_key: str(),
  secret_key_nonce: str(),
  is_default: bool(),
  write_date: str(),
});
export const DatastoreCreateResponse = Type.Object({ datastore_id: str() });

// §3.6 Secrets
export const SecretCreateResponse = Type.Object({ secret_id: str() });
export const SecretReadResponse = Type.Object({
  create_date: str(),
  write_date: str(),
  data: str(),
  data_nonce: str(),
  type: str(),
  read_count: int(),
  callback_url: str(),
  callback_user: str(),
  callback_pass: str(),
});
// §3.12 Bulk secrets
export const BulkSecretReadResponse = Type.Object({
  secrets: Type.Array(
    Type.Object({
      id: str(),
      create_date: str(),
      write_date: str(),
      data: str(),
      data_nonce: str(),
      type: str(),
      read_count: int(),
      callback_url: str(),
      callback_user: str(),
      callback_pass: str(),
    }),
  ),
});
export const BulkSecretCreateResponse = Type.Object({ secrets: Type.Array(Type.Object({ link_id: str(), secret_id: str() })) });
export const SecretHistoryResponse = Type.Object({
  history: Type.Array(Type.Object({ id: str(), create_date: str(), username: nullable(str()) })),
});
export const SecretHistoryEntryResponse = Type.Object({
  create_date: str(),
  write_date: str(),
  data: str(),
  data_nonce: str(),
  type: str(),
  callback_url: str(),
  callback_user: str(),
  callback_pass: str(),
});

// §3.7 Shares
export const ShareListResponse = Type.Object({
  shares: Type.Array(
    Type.Object({
      id: str(),
      share_right_id: str(),
      share_right_user_id: str(),
      share_right_create_date: str(),
      share_right_write_date: str(),
      share_right_title: str(),
      share_right_title_nonce: str(),
      share_right_type: str(),
      share_right_type_nonce: str(),
      share_right_key: str(),
      share_right_key_nonce: str(),
      share_right_key_type: str(),
      share_right_read: bool(),
      share_right_write: bool(),
      share_right_grant: bool(),
      share_right_accepted: nullable(bool()),
      share_right_expiration_date: nullable(str()),
      share_right_create_user_id: str(),
      share_right_create_user_username: str(),
      share_right_create_user_public_key: str(),
    }),
  ),
});
/** `user_id` is null once the share's creator is gone. */
export const ShareReadResponse = Type.Object({ id: str(), data: str(), data_nonce: str(), user_id: nullable(str()), rights: Flags(), write_date: str() });
export const ShareCreateResponse = Type.Object({ share_id: str() });

// §3.8 Share rights
export const ShareRightsOfShareResponse = Type.Object({
  id: str(),
  own_share_rights: Flags(),
  user_share_rights: Type.Array(
    Type.Object({
      id: str(),
      create_date: str(),
      write_date: str(),
      accepted: nullable(bool()),
      read: bool(),
      write: bool(),
      grant: bool(),
      user_id: str(),
      share_id: str(),
      username: str(),
      expiration_date: nullable(str()),
    }),
  ),
  group_share_rights: Type.Array(
    Type.Object({
      id: str(),
      create_date: str(),
      write_date: str(),
      accepted: nullable(bool()),
      read: bool(),
      write: bool(),
      grant: bool(),
      group_id: str(),
      share_id: str(),
      group_name: str(),
      expiration_date: nullable(str()),
    }),
  ),
  /** Who reaches the share only through a parent share, for holders of grant on it; empty for the others (docs/authorization.md). */
  inherited_share_rights: Type.Array(Type.Object({ user_id: str(), username: str(), read: bool(), write: bool(), grant: bool() })),
  /** Every link that hangs the share somewhere, for holders of grant on it; empty for the others. */
  share_links: Type.Array(
    Type.Object({ link_id: str(), parent_share_id: nullable(str()), parent_datastore_id: nullable(str()), creator_user_id: nullable(str()), creator_username: str() }),
  ),
});
export const MyShareRightsResponse = Type.Object({
  share_rights: Type.Array(Type.Object({ share_id: str(), read: bool(), write: bool(), grant: bool() })),
});
export const ShareRightReadResponse = Type.Object({
  id: str(),
  title: str(),
  title_nonce: str(),
  key: str(),
  key_nonce: str(),
  read: bool(),
  write: bool(),
  grant: bool(),
  share_id: str(),
  expiration_date: nullable(str()),
});
export const ShareRightIdResponse = Type.Object({ share_right_id: str() });
/** Without read on the share, `share_data` and its nonce are absent (§3.8). */
export const ShareRightAcceptResponse = Type.Object({
  share_id: str(),
  share_data: Type.Optional(str()),
  share_data_nonce: Type.Optional(str()),
  share_type: str(),
  share_type_nonce: str(),
});

// §3.9 API keys
const ApiKeyFlags = {
  read: bool(),
  write: bool(),
  restrict_to_secrets: bool(),
  allow_insecure_access: bool(),
  active: bool(),
};
export const ApiKeyListResponse = Type.Object({ api_keys: Type.Array(Type.Object({ id: str(), title: str(), ...ApiKeyFlags })) });
export const ApiKeyReadResponse = Type.Object({
  id: str(),
  title: str(),
  public_key: str(),
  private_key: str(),
  private_key_nonce: str(),
  secret_key: str(),
  secret_key_nonce: str(),
  ...ApiKeyFlags,
});
export const ApiKeyCreateResponse = Type.Object({ api_key_id: str() });
/** A JSON array (§3.9.2). */
export const ApiKeySecretListResponse = Type.Array(Type.Object({ id: str(), secret_id: str(), title: str(), title_nonce: str() }));
export const ApiKeySecretCreateResponse = Type.Object({ api_key_secret_id: str() });
export const ApiKeyLoginResponse = Type.Object({
  login_info: str(),
  login_info_nonce: str(),
  login_info_signature: str(),
  server_session_public_key: str(),
});
export const ApiKeyAccessReadResponse = Type.Object({
  data: str(),
  data_nonce: str(),
  secret_key: str(),
  secret_key_nonce: str(),
  read_count: int(),
});
export const ApiKeyInspectResponse = Type.Object({
  allow_insecure_access: bool(),
  restrict_to_secrets: bool(),
  read: bool(),
  write: bool(),
  api_key_secrets: Type.Array(Type.Object({ secret_id: str(), write_date: str() })),
});

/** The answer schemas of one route, by status: 2xx codes only; the error statuses are added by the router. */
export type VaultAnswers = Partial<Record<200 | 201 | 400, TObject | TSchema>>;

// §3.16 Link shares
const LinkShareFields = { id: str(), secret_id: str(), public_title: str(), allowed_reads: nullable(int()), valid_till: nullable(str()) };
export const LinkShareListResponse = Type.Object({ link_shares: Type.Array(Type.Object(LinkShareFields)) });
export const LinkShareReadResponse = Type.Object(LinkShareFields);
export const LinkShareCreateResponse = Type.Object({ link_share_id: str() });
/** The anonymous open: the creator's ciphertexts, opened by the link secret in the URL's fragment. */
export const LinkShareAccessResponse = Type.Object({
  node: str(),
  node_nonce: str(),
  secret_data: str(),
  secret_data_nonce: str(),
  secret_read_count: int(),
  allow_write: bool(),
});
