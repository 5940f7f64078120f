/** What the generated config.json of the served web client says (docs/vault-protocol.md, Appendix A). */
export interface WebClientConfigInput {
  /** PUBLIC_URL, without a trailing slash. */
  publicUrl: string;
  /** The server's Ed25519 verify key (64 hex), pinned so the client asks no trust-on-first-use question. */
  verifyKeyHex: string;
  signupsAllowed: boolean;
  allowedUsernameDomains: readonly string[];
}

/**
 * The web client's config.json: one backend, this server, with its verify key pinned; no other server
 * may be chosen. `domain` (appended to usernames typed without `@`) is the first allowed username
 * domain; with `*` it is left out and the client takes the server's host name.
 */
export function webClientConfig(input: WebClientConfigInput) {
  const domain = input.allowedUsernameDomains.find((d) => d !== '*');
  return {
    backend_servers: [{ title: 'Blindvault', url: `${input.publicUrl}/server`, ...(domain ? { domain } : {}), verify_key: input.verifyKeyHex }],
    base_url: `${input.publicUrl}/vault/`,
    allow_custom_server: false,
    allow_registration: input.signupsAllowed,
    allow_lost_password: true,
    // The login page's "Delete account" link leads to an e-mail confirmation (POST /authentication/unregister/)
    // that Blindvault does not serve; this flag controls only that link. Deleting the account from the
    // account settings (DELETE /user/delete/, spec §3.4) is shown by /info/ and stays.
    allow_delete_account: false,
    authentication_methods: ['AUTHKEY'],
  };
}
