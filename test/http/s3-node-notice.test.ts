import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

// The SDK's notice that its releases after January 2027 will need Node 22 is turned off by the S3
// store (with AWS's documented variable) unless the operator set the variable themselves.
const SCRIPT = `
import { S3BlobStore } from './src/store/blob/s3-blob-store.ts';
import { parseS3Location } from './src/store/blob/s3-location.ts';
new S3BlobStore({ location: parseS3Location('s3://blindvault-test?endpoint=http%3A%2F%2F127.0.0.1%3A9&region=us-east-1&forcePathStyle=true') }).close();
process.stdout.write('constructed');
`;

function construct(env: Record<string, string>): { stdout: string; stderr: string } {
  const { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: _, ...inherited } = process.env;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], { env: { ...inherited, ...env }, encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  return { stdout: run.stdout, stderr: run.stderr };
}

const major = Number(process.versions.node.split('.')[0]);

test('constructing the S3 store prints no Node-version notice; control: with the variable set to false by the operator, the SDK prints it', { skip: major >= 22 ? 'the SDK prints the notice on Node < 22 only' : false }, () => {
  const quiet = construct({});
  assert.equal(quiet.stdout, 'constructed');
  assert.doesNotMatch(quiet.stderr, /NodeVersionSupportWarning/);
  const operator = construct({ AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'false' });
  assert.equal(operator.stdout, 'constructed');
  assert.match(operator.stderr, /NodeVersionSupportWarning/);
});
