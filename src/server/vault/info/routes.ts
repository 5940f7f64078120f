import { HealthcheckResponse, InfoResponse } from '../../../protocol/vault/responses.js';
import type { VaultRouter } from '../routing.js';
import type { SignedInfo } from '../server-keys.js';

export interface InfoRoutesOptions {
  signedInfo: SignedInfo;
  healthy: () => Promise<{ dbRead: boolean; dbSync: boolean }>;
}

/** The signed server description and the health check (spec §3.1). */
export function infoRoutes({ route }: VaultRouter, { signedInfo, healthy }: InfoRoutesOptions): void {
  route('GET', '/info/', { auth: 'none', scope: 'info', flag: 'none' }, { 200: InfoResponse }, async () => signedInfo);

  const health = { 200: HealthcheckResponse, 400: HealthcheckResponse };
  route('GET', '/healthcheck/', { auth: 'none', scope: 'health_check', flag: 'none' }, health, async (request, reply) => {
    const { dbRead, dbSync } = await healthy();
    const body = { db_read: { healthy: dbRead }, db_sync: { healthy: dbSync }, time_sync: { healthy: true }, _info: { ip: request.ip } };
    return reply.code(dbRead && dbSync ? 200 : 400).send(body);
  });
}
