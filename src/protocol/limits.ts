// GET /limits: what an upload may ask for on this server, so a page can show the defaults and maxima
// before the user chooses. Public (nothing in it is secret) and the same for every caller.
import { Type, type Static } from 'typebox';

export const LimitsResponseSchema = Type.Object({
  max_upload_bytes: Type.Integer({ minimum: 0, description: 'Largest ciphertext an upload may send' }),
  default_expires_in: Type.Integer({ minimum: 1, description: 'Expiry in seconds of an upload that asks for none' }),
  max_expires_in: Type.Integer({ minimum: 1, description: 'Largest expires_in' }),
  default_max_downloads: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: 'Download limit of an upload that asks for none (null: no limit)' }),
  max_max_downloads: Type.Integer({ minimum: 1, description: 'Largest max_downloads' }),
});
export type LimitsResponse = Static<typeof LimitsResponseSchema>;
