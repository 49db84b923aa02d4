// docs/driver-protocol.openapi.yaml is a valid OpenAPI 3.1 document (checked by a maintained validator), and it
// describes what is really spoken: the answers of the example Python driver and the requests of the remote
// driver are validated against its schemas, so the file cannot drift from the code.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { CONFORMANCE_FLEET } from '../../controller/drivers/conformance/scenario.ts';
import { startPythonDriver, type PythonDriver } from '../support/python-driver.ts';
import { REPO_ROOT } from '../support/run-cli.ts';

const FILE = join(REPO_ROOT, 'docs', 'driver-protocol.openapi.yaml');
type Doc = { openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: object }> }; responses: Record<string, { content?: Record<string, { schema: object }> }> }>> };

let doc: Doc;
let python: PythonDriver;
const ajv = new Ajv2020({ strict: false, allErrors: true });
// ajv-formats is CommonJS: its default export is the function under Node's ESM interop.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv2020) => Ajv2020;
addFormats(ajv);

test.before(async () => {
  doc = await SwaggerParser.validate(FILE) as unknown as Doc; // throws with the reason when the document is not valid OpenAPI
  doc = await SwaggerParser.dereference(FILE) as unknown as Doc;
  python = await startPythonDriver();
  await python.scenario({ fleet: structuredClone(CONFORMANCE_FLEET), failing: [], queueMs: 60_000 });
});
test.after(async () => { await python?.stop(); });

/** Sends a request to the Python driver and checks its answer against the document's schema for that path, method and status. */
async function exchange(method: string, template: string, path: string, body?: unknown, expectStatus?: number, o: { malformedOnPurpose?: boolean } = {}): Promise<unknown> {
  const op = doc.paths[template]?.[method.toLowerCase()];
  assert.ok(op, `${method} ${template} is in the document`);
  if (body !== undefined && !o.malformedOnPurpose) {
    const schema = op.requestBody?.content['application/json']?.schema;
    assert.ok(schema, `${method} ${template} documents a request body`);
    assert.ok(ajv.validate(schema, body), `request ${method} ${path}: ${ajv.errorsText()}`);
  }
  const res = await fetch(`${python.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${python.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (expectStatus !== undefined) assert.is(res.status, expectStatus, `${method} ${path}`);
  const response = op.responses[String(res.status)];
  assert.ok(response, `${method} ${template} documents status ${res.status}`);
  const text = await res.text();
  const media = Object.keys(response.content ?? {})[0];
  if (!media) return undefined;
  const value = media.includes('json') ? JSON.parse(text) : text;
  assert.ok(ajv.validate(response.content![media]!.schema, value), `answer ${res.status} to ${method} ${path}: ${ajv.errorsText()} in ${text.slice(0, 300)}`);
  return value;
}

test('the protocol document is valid OpenAPI 3.1', () => {
  assert.is(doc.openapi, '3.1.0');
  assert.ok(Object.keys(doc.paths).length >= 12);
});

test('an invalid document is refused by the validator, so the check above can fail', async () => {
  const broken = { openapi: '3.1.0', info: { title: 'x' }, paths: { '/v1/devices': { get: { responses: { 200: { description: 'x' } } } } } };
  const err = await SwaggerParser.validate(broken as never).then(() => undefined, (e: Error) => e);
  assert.match(String(err?.message), /info must have required property 'version'/);
});

test('what the Python driver answers matches the documented schemas, status by status', async () => {
  await exchange('GET', '/v1/driver', '/v1/driver', undefined, 200);
  const page = await exchange('GET', '/v1/devices', '/v1/devices?pageSize=3', undefined, 200) as { nextPageToken?: string };
  assert.ok(page.nextPageToken, 'a page smaller than the fleet says where the next one starts');
  await exchange('GET', '/v1/releases', '/v1/releases', undefined, 200);
  const op = await exchange('POST', '/v1/devices/{deviceId}/updates', '/v1/devices/phone-1/updates', { component: 'firmware', version: '122.15.0.58', startBy: '2099-01-01T00:00:00.000Z' }, 202) as { id: string };
  await exchange('POST', '/v1/devices/{deviceId}/updates', '/v1/devices/phone-1/updates', { component: 'teamsClient', version: '1449.1.0.9' }, 409);
  await exchange('POST', '/v1/devices/{deviceId}/updates', '/v1/devices/phone-2/updates', { component: 'firmware', version: '122.15.0.61' }, 400);
  await exchange('POST', '/v1/devices/{deviceId}/updates', '/v1/devices/nope/updates', { component: 'firmware', version: '1.0' }, 404);
  await exchange('POST', '/v1/devices/{deviceId}/updates', '/v1/devices/phone-2/updates', { component: 'bios', version: '1.0' }, 400, { malformedOnPurpose: true });
  await exchange('GET', '/v1/operations', '/v1/operations?deviceId=phone-1', undefined, 200);
  await exchange('GET', '/v1/devices/{deviceId}/operations/{operationId}', `/v1/devices/phone-1/operations/${op.id}`, undefined, 200);
  await exchange('GET', '/v1/devices/{deviceId}/operations/{operationId}', '/v1/devices/phone-1/operations/op-x', undefined, 404);
  const diag = await exchange('POST', '/v1/devices/{deviceId}/diagnostics', '/v1/devices/phone-2/diagnostics', undefined, 202) as { id: string };
  await exchange('GET', '/v1/operations/{operationId}/logs', `/v1/operations/${diag.id}/logs`, undefined, 200);
  await exchange('POST', '/v1/devices/{deviceId}/operations/{operationId}/cancel', `/v1/devices/phone-1/operations/${op.id}/cancel`, undefined, 200);
  await python.advance(3_600_000);
  await exchange('POST', '/v1/devices/{deviceId}/operations/{operationId}/cancel', `/v1/devices/phone-2/operations/${diag.id}/cancel`, undefined, 409);
  const verifier = 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g';
  await exchange('PUT', '/v1/provisioning/devices/{macAddress}', '/v1/provisioning/devices/AA-BB-CC-00-00-01', { codeHash: verifier, codeExpiresAt: '2099-01-01T00:00:00.000Z', location: 'Oslo' }, 200);
  await exchange('PUT', '/v1/provisioning/devices/{macAddress}', '/v1/provisioning/devices/AA-BB-CC-00-00-02', { codeHash: 'the-code-itself', codeExpiresAt: '2099-01-01T00:00:00.000Z' }, 400, { malformedOnPurpose: true });
  await exchange('GET', '/v1/provisioning/devices', '/v1/provisioning/devices', undefined, 200);
  await exchange('POST', '/v1/provisioning/devices/{macAddress}/signIn', '/v1/provisioning/devices/AA-BB-CC-00-00-01/signIn', { user: 'room@example.com' }, 409);
  await exchange('DELETE', '/v1/provisioning/devices/{macAddress}', '/v1/provisioning/devices/AA-BB-CC-00-00-01', undefined, 204);
});

test('a request without the bearer token is answered 401 in the documented error shape', async () => {
  const res = await fetch(`${python.url}/v1/devices`);
  assert.is(res.status, 401);
  const body = await res.json() as { error: { code: string } };
  assert.ok(ajv.validate(doc.paths['/v1/devices']!.get!.responses['401']!.content!['application/json']!.schema, body), ajv.errorsText());
  assert.is(body.error.code, 'Unauthorized');
});

test.run();
