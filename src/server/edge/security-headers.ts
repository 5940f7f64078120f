import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The Content-Security-Policy of every answer, exactly as sent: the server serves JSON, ciphertext
 * and one script-less HTML page (the owner's view of a file), none of which needs a source.
 */
export const CONTENT_SECURITY_POLICY = "default-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export const STRICT_TRANSPORT_SECURITY = 'max-age=31536000; includeSubDomains';

/**
 * HSTS only where the browser reached us over TLS: the request says so through a trusted proxy
 * (TRUST_PROXY, X-Forwarded-Proto) or its own socket, or the operator declared an https PUBLIC_URL.
 * Sent over plain HTTP, the header is ignored by browsers and misleads anyone reading the answers.
 */
export function wantsHsts(protocol: string, publicUrl: string | undefined): boolean {
  return protocol === 'https' || (publicUrl !== undefined && publicUrl.startsWith('https://'));
}

/** The headers of this module on one answer (the edge plugin sets them on every request). */
export function setSecurityHeaders(request: FastifyRequest, reply: FastifyReply, publicUrl: string | undefined): void {
  reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
  if (wantsHsts(request.protocol, publicUrl)) reply.header('strict-transport-security', STRICT_TRANSPORT_SECURITY);
}
