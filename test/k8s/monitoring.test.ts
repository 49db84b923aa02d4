// The chart's monitoring: its alert rules pass `promtool check rules` and `promtool test rules` (Prometheus's own
// tool, built from its Go module like the k8s binaries), every metric the rules and the Grafana dashboard query is
// one the controller exports, and `helm template` ships both only when asked, unchanged.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { Metrics } from '../../controller/server/metrics.ts';
import { OperatorMetrics } from '../../controller/operator/metrics.ts';
import { REPO_ROOT, k8sAssetsOrExplain } from '../support/k8s-env.ts';

const CHART = join(REPO_ROOT, 'charts', 'fleetward');
const RULES = join(CHART, 'files', 'alerts.rules.yaml');
const DASHBOARD = join(CHART, 'files', 'grafana-dashboard.json');
const RULE_TESTS = join(REPO_ROOT, 'test', 'k8s', 'monitoring', 'alerts.test.yaml');
const found = k8sAssetsOrExplain();

function run(bin: string, args: string[]): { code: number | null; out: string } {
  const r = spawnSync(bin, args, { encoding: 'utf8', cwd: REPO_ROOT });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

interface RuleFile { groups: { name: string; rules: { alert?: string; expr: string }[] }[] }
interface Dashboard { panels: { title: string; targets: { expr: string }[] }[] }

const rules = parse(readFileSync(RULES, 'utf8')) as RuleFile;
const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;

/** The metric names a PromQL expression reads (Fleetward's own: fleetward_*), histogram suffixes folded. */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\bfleetward_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''));
}

if ('assets' in found) {
  const { promtool, helm } = found.assets;

  test('promtool check rules: the alert rules parse and are valid PromQL', () => {
    const r = run(promtool, ['check', 'rules', RULES]);
    assert.is(r.code, 0, r.out);
    const alerts = rules.groups.flatMap((g) => g.rules).filter((x) => x.alert).length;
    assert.match(r.out, new RegExp(`SUCCESS: ${alerts} rules found`));
  });

  test('promtool check rules fails on a broken expression (the check above can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetward-rules-'));
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, readFileSync(RULES, 'utf8').replace('fleetward_paused{kind="SoftwareRelease"}) == 1', 'fleetward_paused{kind="SoftwareRelease"} == 1'));
    const r = run(promtool, ['check', 'rules', broken]);
    assert.is.not(r.code, 0);
    assert.match(r.out, /FAILED/);
  });

  test('promtool test rules: each alert fires on the exported series after its `for`, with the text a person reads', () => {
    const r = run(promtool, ['test', 'rules', RULE_TESTS]);
    assert.is(r.code, 0, r.out);
    assert.match(r.out, /SUCCESS/);
  });

  test('every alert in the rule file has a promtool test that makes it fire', () => {
    const tested = new Set<string>();
    const t = parse(readFileSync(RULE_TESTS, 'utf8')) as { tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[] };
    for (const c of t.tests) for (const a of c.alert_rule_test ?? []) if (a.exp_alerts.length) tested.add(a.alertname);
    const alerts = rules.groups.flatMap((g) => g.rules).flatMap((x) => (x.alert ? [x.alert] : []));
    assert.equal(alerts.filter((a) => !tested.has(a)), []);
  });

  test('the chart ships the rule file and the dashboard unchanged, only when enabled', () => {
    const template = (args: string[]) => {
      const r = run(helm, ['template', 'fw', CHART, '-n', 'fleetward-system', ...args]);
      assert.is(r.code, 0, r.out);
      return parseAllDocuments(r.out).map((d) => d.toJS() as { kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: unknown; data?: Record<string, string> }).filter(Boolean);
    };
    const off = template([]);
    assert.not.ok(off.some((o) => o.kind === 'PrometheusRule'));
    assert.not.ok(off.some((o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-dashboard')));
    const on = template(['--set', 'monitoring.prometheusRule.enabled=true', '--set', 'monitoring.grafanaDashboard.enabled=true']);
    const rule = on.find((o) => o.kind === 'PrometheusRule');
    assert.ok(rule, 'PrometheusRule rendered');
    assert.equal(rule.spec, rules);
    const cm = on.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'fw-fleetward-dashboard');
    assert.ok(cm, 'dashboard ConfigMap rendered');
    assert.is(cm.metadata.labels?.grafana_dashboard, '1', 'the label Grafana\'s sidecar watches');
    assert.equal(JSON.parse(cm.data!['fleetward.json']!), dashboard);
  });
}

test('every metric the alert rules and the dashboard query is one the controller exports', async () => {
  // What /metrics serves in operator mode: the loop's registry, with the operator's own figures in it.
  const metrics = new Metrics({ defaultMetrics: true });
  new OperatorMetrics(metrics.registry);
  const exported = new Set([...(await metrics.registry.metrics()).matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
  const queried = [
    ...rules.groups.flatMap((g) => g.rules.map((r) => ({ where: `rule ${r.alert ?? g.name}`, expr: r.expr }))),
    ...dashboard.panels.flatMap((p) => p.targets.map((t) => ({ where: `panel "${p.title}"`, expr: t.expr }))),
  ];
  const unknown = queried.flatMap((q) => metricNames(q.expr).filter((n) => !exported.has(n)).map((n) => `${q.where}: ${n}`));
  assert.equal(unknown, []);
  assert.ok(queried.length > 10);
});

test.run();
