// The fleet file (docs/design.md section 5): schema-checked, untrusted-input limits, every error at once
// as `file:line: path: message` in a FleetFileError.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import YAML from 'yaml';
import { FleetFileError, loadFleetFile, parseFleetFile } from '../../controller/sources/fleet-file.ts';
import { formatConfigError } from '../../controller/sources/load.ts';

const aPhone = (id: string, extra: Record<string, unknown> = {}) => ({
  id, deviceType: 'ipPhone', manufacturer: 'Yealink', model: 'T58', timeZone: 'Europe/Paris', software: { firmware: '58.15.0.124' }, ...extra,
});
const aRelease = { component: 'firmware', version: '58.15.0.130', releasedAt: '2026-10-01T00:00:00Z', label: 'verified' };

function errorsOf(text: string): string[] {
  try {
    parseFleetFile(text, 'fleet.yaml');
  } catch (e) {
    if (e instanceof FleetFileError) return e.errors.map(formatConfigError);
    throw e;
  }
  return [];
}

test('a well-formed fleet file parses into devices and releases', () => {
  const fleet = parseFleetFile(YAML.stringify({ devices: [aPhone('d1'), aPhone('d2', { macAddress: '00:11:22:33:44:55' })], releases: [aRelease] }), 'fleet.yaml');
  assert.equal(fleet.devices.map((d) => d.id), ['d1', 'd2']);
  assert.is(fleet.releases[0]!.version, '58.15.0.130');
});

test('schema errors are all reported with the file, line and path', () => {
  const text = YAML.stringify({ devices: [aPhone('d1', { deviceType: 'deskPhone', software: { firmware: 'v58' } })], releases: [{ ...aRelease, label: 'beta' }] });
  assert.equal(errorsOf(text), [
    'fleet.yaml:3: devices[0].deviceType: "deskPhone" is not allowed; one of: ipPhone, lowCostPhone, teamsRoom, collaborationBar, teamsPanel, teamsDisplay, touchConsole, surfaceHub, sip',
    'fleet.yaml:8: devices[0].software.firmware: "v58" is not a version; write dotted numbers such as 58.15.0.124',
    'fleet.yaml:13: releases[0].label: "beta" is not allowed; one of: verified, preview',
  ]);
});

test('duplicate device ids and MACs, and unknown time zones, are refused naming the first', () => {
  const text = YAML.stringify({
    devices: [aPhone('d1', { macAddress: '00:11:22:33:44:55' }), aPhone('d1', { macAddress: '001122334455', timeZone: 'Europe/Pariss' })],
    releases: [],
  });
  assert.equal(errorsOf(text), [
    'fleet.yaml:10: devices[1].id: device id "d1" is used twice; the first is devices[0] (line 2)',
    'fleet.yaml:14: devices[1].timeZone: "Europe/Pariss" is not an IANA time zone (did you mean Europe/Paris?); write a name such as Europe/Paris',
    'fleet.yaml:17: devices[1].macAddress: 00-11-22-33-44-55 is also the MAC of devices[0] (line 9)',
  ]);
});

test('a fleet file must be one document with devices and releases', () => {
  assert.equal(errorsOf('devices: []\n'), ['fleet.yaml:1: releases: is required']);
  assert.equal(errorsOf('devices: []\nreleases: []\n---\ndevices: []\nreleases: []\n'), ['fleet.yaml:1: a fleet file is one YAML document with devices and releases (found 2)']);
});

test('an alias bomb in a fleet file is refused like in the config', () => {
  const bomb = 'a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n';
  assert.equal(errorsOf(bomb), ['fleet.yaml:1: YAML aliases expand more than 100 times (an alias bomb?); write the values out instead']);
});

test('a fleet file written as JSON parses the same, and its errors still carry lines', () => {
  const fleet = { devices: [aPhone('d1'), aPhone('d2')], releases: [aRelease] };
  assert.equal(parseFleetFile(JSON.stringify(fleet, null, 2), 'fleet.json'), parseFleetFile(YAML.stringify(fleet), 'fleet.yaml'));
  const bad = JSON.stringify({ devices: [aPhone('d1'), aPhone('d1', { timeZone: 'Nowhere/City' })], releases: [] }, null, 2);
  try {
    parseFleetFile(bad, 'fleet.json');
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.equal((e as FleetFileError).errors.map(formatConfigError), [
      'fleet.json:14: devices[1].id: device id "d1" is used twice; the first is devices[0] (line 4)',
      'fleet.json:18: devices[1].timeZone: "Nowhere/City" is not an IANA time zone; write a name such as Europe/Paris',
    ]);
  }
});

test('a deeply nested JSON fleet file is refused, not a crash', () => {
  const deep = '{"devices": ' + '['.repeat(100_000) + ']'.repeat(100_000) + ', "releases": []}';
  assert.throws(() => parseFleetFile(deep, 'deep.json'), (e: unknown) => e instanceof FleetFileError && /nesting deeper than 64 levels/.test(e.message));
});

test('a missing fleet file is a FleetFileError, not a crash', async () => {
  try {
    await loadFleetFile('/nonexistent/fleet.yaml');
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.instance(e, FleetFileError);
    assert.is((e as FleetFileError).message, '/nonexistent/fleet.yaml: no such file');
  }
});

test('an invalid block-YAML fleet file gets the same errors and lines as through the full YAML parser', () => {
  const crossChecks = {
    devices: [aPhone('d1', { macAddress: '00:11:22:33:44:55' }), aPhone('d2', { timeZone: 'Mars/Olympus' }), aPhone('d1', { macAddress: '00-11-22-33-44-55' })],
    releases: [{ ...aRelease, minimumVersion: '99.0.0.1' }],
  };
  const schema = { devices: [aPhone('d1'), aPhone('d2', { software: { firmware: 'v1' }, online: 'yes' })], releases: [{ ...aRelease, label: 'beta' }] };
  for (const [fleet, opts] of [[crossChecks, {}], [crossChecks, { indentSeq: false }], [schema, {}]] as const) {
    const text = YAML.stringify(fleet, opts);
    // An anchor nobody uses changes no value but takes the text out of the block reader's subset.
    const viaFullParser = text.replace('releases:\n', 'releases: &unused\n');
    assert.is.not(viaFullParser, text);
    const fast = errorsOf(text);
    assert.equal(fast, errorsOf(viaFullParser));
    assert.ok(fast.length >= 3 && fast.every((e) => /^fleet\.yaml:[1-9]\d*: /.test(e)), fast.join('\n'));
  }
});

test('the example fleet loads', async () => {
  const fleet = await loadFleetFile('examples/fleet.yaml');
  assert.ok(fleet.devices.length >= 150);
});

test.run();
