import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The server's Prometheus metrics, in a registry of their own. Labels are bounded and carry no
 * secret or id: routes are patterns (`/f/:id/encrypted`), never URLs; statuses are numbers; sweep
 * tasks and store operations are fixed names.
 */
export interface Metrics {
  readonly registry: Registry;
  /** One answered (or abandoned) request. `route` is the route pattern, or "(unmatched)". */
  request(sample: { method: string; route: string; status: number; seconds: number; bytesIn: number; bytesOut: number }): void;
  uploadStarted(): void;
  uploadEnded(): void;
  sweep(task: string, outcome: 'ok' | 'failed' | 'skipped', removed: number): void;
  storeError(store: 'metadata' | 'blob', operation: string): void;
  /** The text a scrape answers, and its content type. */
  render(): Promise<{ contentType: string; body: string }>;
}

/** A label value from a fixed vocabulary: anything else (a URL, an id) would never get here. */
const ROUTE_LABEL = /^[A-Za-z0-9_/:*().-]{1,128}$/;
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'blindvault_' });
  const labels = ['method', 'route', 'status'] as const;
  const requests = new Counter({ name: 'blindvault_http_requests_total', help: 'Requests answered, by route pattern and status', labelNames: labels, registers: [registry] });
  const duration = new Histogram({
    name: 'blindvault_http_request_duration_seconds',
    help: 'Time from the request to the end of its answer, by route pattern and status',
    labelNames: labels,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const bytesIn = new Counter({ name: 'blindvault_http_received_bytes_total', help: 'Bytes received on client connections (headers and bodies), by route pattern', labelNames: ['route'], registers: [registry] });
  const bytesOut = new Counter({ name: 'blindvault_http_sent_bytes_total', help: 'Bytes sent on client connections (headers and bodies), by route pattern', labelNames: ['route'], registers: [registry] });
  const throttled = new Counter({ name: 'blindvault_throttle_refusals_total', help: 'Requests refused by a throttle (429), by route pattern', labelNames: ['route'], registers: [registry] });
  const uploads = new Gauge({ name: 'blindvault_uploads_in_progress', help: 'Uploads whose body is being received', registers: [registry] });
  const sweeps = new Counter({ name: 'blindvault_sweeps_total', help: 'Sweeper runs, by task and outcome (skipped: another instance holds the lease)', labelNames: ['task', 'outcome'], registers: [registry] });
  const swept = new Counter({ name: 'blindvault_swept_items_total', help: 'Items removed by the sweeper, by task', labelNames: ['task'], registers: [registry] });
  const storeErrors = new Counter({ name: 'blindvault_store_errors_total', help: 'Failures of a backing store, by store and operation', labelNames: ['store', 'operation'], registers: [registry] });

  const routeLabel = (route: string) => (ROUTE_LABEL.test(route) ? route : '(other)');
  const fixedName = (name: string) => name.toLowerCase().replace(/[^a-z0-9 ]/g, '').slice(0, 64) || 'other';
  return {
    registry,
    request({ method, route, status, seconds, bytesIn: received, bytesOut: sent }) {
      const values = { method: METHODS.has(method) ? method : 'OTHER', route: routeLabel(route), status: String(status) };
      requests.inc(values);
      duration.observe(values, seconds);
      if (received > 0) bytesIn.inc({ route: values.route }, received);
      if (sent > 0) bytesOut.inc({ route: values.route }, sent);
      if (status === 429) throttled.inc({ route: values.route });
    },
    uploadStarted: () => uploads.inc(),
    uploadEnded: () => uploads.dec(),
    sweep(task, outcome, removed) {
      sweeps.inc({ task: fixedName(task), outcome });
      if (removed > 0) swept.inc({ task: fixedName(task) }, removed);
    },
    storeError: (store, operation) => storeErrors.inc({ store, operation: fixedName(operation) }),
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
