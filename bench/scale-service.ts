// A helper process of bench/scale.ts: the tests' s3rver or round-robin balancer in a process of its
// own, so that neither takes CPU from the load generator's event loop (which times every request).
//
//   tsx bench/scale-service.ts s3                       prints {"endpoint": "http://…", "blobStoreUrl": "s3://…"}
//   tsx bench/scale-service.ts balancer URL [URL …]      prints {"url": "http://…"}
//
// One JSON line on stdout once it listens; it stops on SIGTERM or when its parent's pipe closes.
import { startRoundRobinProxy } from '../test/helpers/round-robin-proxy.js';
import { startS3Server } from '../test/helpers/s3-server.js';

const [kind, ...upstreams] = process.argv.slice(2);
let close: () => Promise<void>;
if (kind === 's3') {
  const s3 = await startS3Server('blindvault-bench');
  process.stdout.write(`${JSON.stringify({ endpoint: s3.endpoint, blobStoreUrl: s3.blobStoreUrl({ prefix: 'scale' }) })}\n`);
  close = () => s3.close();
} else if (kind === 'balancer' && upstreams.length > 0) {
  const balancer = await startRoundRobinProxy(upstreams);
  process.stdout.write(`${JSON.stringify({ url: balancer.url })}\n`);
  close = () => balancer.close();
} else {
  process.stderr.write('usage: scale-service.ts s3 | balancer URL [URL …]\n');
  process.exit(2);
}

let closing = false;
const stop = () => {
  if (closing) return;
  closing = true;
  void close().finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
process.stdin.once('end', stop);
process.stdin.resume();
