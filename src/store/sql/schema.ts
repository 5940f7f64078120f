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
}

export interface Database {
  files: FilesTable;
}
