// Row types of the SQL schema, as Kysely sees them. Times are Unix milliseconds (bigint in
// PostgreSQL, which its driver returns as strings: rows are normalized in the store).
export interface FilesTable {
  id: string;
  blob_key: string;
  state: string;
  owner_token_hash: string;
  format: string;
  salt_hex: string | null;
  iv_hex: string | null;
  size_bytes: number | string | null;
  created_at: number | string;
  expires_at: number | string | null;
  downloads: number;
  max_downloads: number | null;
  last_download_at: number | string | null;
  touched_at: number | string;
  reserved_bytes: number | string;
}

export interface StorageUsageTable {
  name: string;
  bytes: number | string;
}

export interface UploadQuotaTable {
  subject: string;
  window_start: number | string;
  bytes: number | string;
  expires_at: number | string;
}

export interface FileResumesTable {
  token_hash: string;
  file_id: string;
  expires_at: number | string;
  bytes_left: number | string;
}

export interface UploadsTable {
  id: string;
  upload_token_hash: string;
  state: string;
  length_bytes: number | string;
  ttl_seconds: number;
  max_downloads: number | null;
  client_address: string;
  created_at: number | string;
  lock_token: string | null;
  lock_expires_at: number | string | null;
  release_requested: number;
}

type Millis = number | string;

interface CodeColumns {
  id: string;
  user_id: string;
  authkey_hash: string;
  data: string;
  data_nonce: string;
  sauce: string;
  verifier: string | null;
  verifier_issued_at: Millis | null;
  created_at: Millis;
}

export type RecoveryCodesTable = CodeColumns;

export interface EmergencyCodesTable extends CodeColumns {
  description: string;
  activation_delay_seconds: Millis;
  activated_at: Millis | null;
}

export interface LinkSharesTable {
  id: string;
  user_id: string;
  secret_id: string;
  public_title: string;
  node: string;
  node_nonce: string;
  allowed_reads: Millis | null;
  passphrase_hash: string | null;
  valid_till: Millis | null;
  created_at: Millis;
}

export interface SendsTable {
  file_id: string;
  sender_id: string;
  recipient_id: string;
  boxed_key: string;
  created_at: Millis;
}
type Flag = boolean | number;

export interface ServerSecretsTable {
  name: string;
  value: string;
}

export interface UsersTable {
  id: string;
  username: string;
  email_hmac: string;
  email_ciphertext: string;
  email_nonce: string;
  authkey_hash: string;
  public_key: string;
  private_key: string;
  private_key_nonce: string;
  secret_key: string;
  secret_key_nonce: string;
  user_sauce: string;
  hashing_algorithm: string;
  hashing_parameters: string;
  language: string;
  zoneinfo: string | null;
  is_active: Flag;
  is_email_active: Flag;
  registration_date: Millis;
  last_login: Millis | null;
}

export interface SessionsTable {
  id: string;
  token_hash: string;
  user_id: string;
  secret_key: string;
  user_validator: string | null;
  session_key: string;
  device_fingerprint: string | null;
  device_description: string | null;
  client_date: Millis | null;
  requires_validator: Flag;
  created_at: Millis;
  valid_till: Millis;
  active: Flag;
  read: Flag;
  write: Flag;
  api_key_id: string | null;
  lifetime_seconds: number;
  second_factor_pending: Flag;
  webauthn_challenge: string | null;
  webauthn_challenge_issued_at: Millis | null;
}

export interface SecondFactorsTable {
  id: string;
  user_id: string;
  kind: string;
  title: string;
  active: Flag;
  totp_secret: string | null;
  credential_id: string | null;
  public_key: string | null;
  sign_count: Millis | null;
  origin: string | null;
  rp_id: string | null;
  challenge: string | null;
  challenge_issued_at: Millis | null;
  created_at: Millis;
}

export interface RateLimitCountersTable {
  scope: string;
  subject: string;
  window_start: Millis;
  hits: number;
  expires_at: Millis;
}

export interface ReplayMarksTable {
  kind: string;
  digest: string;
  expires_at: Millis;
}

export interface DatastoresTable {
  id: string;
  user_id: string;
  type: string;
  description: string;
  data: string;
  data_nonce: string;
  secret_key: string;
  secret_key_nonce: string;
  is_default: Flag;
  created_at: Millis;
  write_date: Millis;
}

export interface SecretsTable {
  id: string;
  user_id: string | null;
  data: string;
  data_nonce: string;
  type: string;
  read_count: number;
  callback_url: string;
  callback_user: string;
  callback_pass: string;
  created_at: Millis;
  write_date: Millis;
}

export interface SecretHistoryTable extends Omit<SecretsTable, 'read_count'> {
  secret_id: string;
}

export interface SharesTable {
  id: string;
  user_id: string | null;
  data: string;
  data_nonce: string;
  created_at: Millis;
  write_date: Millis;
}

/** A secret hung under a datastore or a share (its own id space, migration 0006). */
export interface SecretLinksTable {
  link_id: string;
  secret_id: string;
  parent_datastore_id: string | null;
  parent_share_id: string | null;
}

/** A share hung under a datastore or a share; `creator_id` caps the rights passed along it. */
export interface ShareLinksTable {
  link_id: string;
  share_id: string;
  parent_datastore_id: string | null;
  parent_share_id: string | null;
  creator_id: string | null;
}

export interface UserShareRightsTable {
  id: string;
  share_id: string;
  user_id: string;
  creator_id: string | null;
  title: string;
  title_nonce: string;
  type: string;
  type_nonce: string;
  key: string;
  key_nonce: string;
  key_type: string;
  read: Flag;
  write: Flag;
  grant: Flag;
  accepted: Flag | null;
  expiration_date: Millis | null;
  created_at: Millis;
  write_date: Millis;
}

export interface GroupsTable {
  id: string;
  name: string;
  public_key: string;
  created_at: Millis;
  write_date: Millis;
}

export interface GroupMembershipsTable {
  id: string;
  group_id: string;
  user_id: string;
  creator_id: string | null;
  secret_key: string;
  secret_key_nonce: string;
  secret_key_type: string;
  private_key: string;
  private_key_nonce: string;
  private_key_type: string;
  group_admin: Flag;
  share_admin: Flag;
  accepted: Flag | null;
  created_at: Millis;
  write_date: Millis;
}

export interface GroupShareRightsTable {
  id: string;
  share_id: string;
  group_id: string;
  creator_id: string | null;
  title: string;
  title_nonce: string;
  type: string;
  type_nonce: string;
  key: string;
  key_nonce: string;
  read: Flag;
  write: Flag;
  grant: Flag;
  expiration_date: Millis | null;
  created_at: Millis;
  write_date: Millis;
}

export interface ApiKeysTable {
  id: string;
  user_id: string;
  title: string;
  public_key: string;
  private_key: string;
  private_key_nonce: string;
  secret_key: string;
  secret_key_nonce: string;
  user_private_key: string;
  user_private_key_nonce: string;
  user_secret_key: string;
  user_secret_key_nonce: string;
  verify_key: string;
  read: Flag;
  write: Flag;
  restrict_to_secrets: Flag;
  allow_insecure_access: Flag;
  active: Flag;
  created_at: Millis;
}

export interface ApiKeySecretsTable {
  id: string;
  api_key_id: string;
  secret_id: string;
  secret_key: string;
  secret_key_nonce: string;
  title: string;
  title_nonce: string;
}

export interface Database {
  datastores: DatastoresTable;
  secrets: SecretsTable;
  secret_history: SecretHistoryTable;
  shares: SharesTable;
  secret_links: SecretLinksTable;
  share_links: ShareLinksTable;
  user_share_rights: UserShareRightsTable;
  groups: GroupsTable;
  group_memberships: GroupMembershipsTable;
  group_share_rights: GroupShareRightsTable;
  api_keys: ApiKeysTable;
  api_key_secrets: ApiKeySecretsTable;
  files: FilesTable;
  storage_usage: StorageUsageTable;
  upload_quota: UploadQuotaTable;
  file_resumes: FileResumesTable;
  uploads: UploadsTable;
  sends: SendsTable;
  recovery_codes: RecoveryCodesTable;
  second_factors: SecondFactorsTable;
  emergency_codes: EmergencyCodesTable;
  link_shares: LinkSharesTable;
  server_secrets: ServerSecretsTable;
  users: UsersTable;
  sessions: SessionsTable;
  rate_limit_counters: RateLimitCountersTable;
  replay_marks: ReplayMarksTable;
  leases: LeasesTable;
}

export interface LeasesTable {
  name: string;
  holder: string;
  expires_at: Millis;
}
