// How the SDK reaches a server: real HTTP (fetch) or, in tests, the app's inject.

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path under the base URL, e.g. "/server/info/". */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
}

export type Transport = (request: HttpRequest) => Promise<HttpResponse>;

export function fetchTransport(baseUrl: string): Transport {
  const base = baseUrl.replace(/\/+$/, '');
  return async ({ method, path, headers, body }) => {
    const response = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    return { status: response.status, headers: Object.fromEntries(response.headers.entries()), body: await response.text() };
  };
}
