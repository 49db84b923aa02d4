// The thread the leader election runs on (controller/operator/leader.ts ThreadedLeaderElector): nothing else
// runs here, so a renewal is sent on time however long a pass keeps the main thread busy. It talks to the
// API server with its own client (the same kubeconfig), writes leading/term/renewal into the shared state the
// main thread's fence reads, and reports to the main thread by message.
import { parentPort, workerData } from 'node:worker_threads';
import { CoordinationV1Api, KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { LeaderElector, LeaseState, type ElectionMessage, type ElectionWorkerData, type LeaseClient } from './leader.ts';

const data = workerData as ElectionWorkerData;
const port = parentPort!;
const post = (m: ElectionMessage) => port.postMessage(m);

const kc = new KubeConfig();
kc.loadFromString(data.kubeConfig);
const api = kc.makeApiClient(CoordinationV1Api);
const client: LeaseClient = {
  async readLease(namespace, name) {
    try {
      return await api.readNamespacedLease({ namespace, name });
    } catch (err) {
      if ((err as { code?: unknown }).code === 404) return undefined;
      throw err;
    }
  },
  createLease: (namespace, lease: V1Lease) => api.createNamespacedLease({ namespace, body: lease }),
  replaceLease: (namespace, lease: V1Lease) => api.replaceNamespacedLease({ namespace, name: lease.metadata!.name!, body: lease }),
};

const elector = new LeaderElector({
  client, namespace: data.namespace, name: data.name, identity: data.identity, state: new LeaseState(data.state),
  leaseDurationMs: data.leaseDurationMs, renewDeadlineMs: data.renewDeadlineMs, retryPeriodMs: data.retryPeriodMs,
  onStartedLeading: (term) => post({ type: 'started', term }),
  onStoppedLeading: (term) => post({ type: 'stopped', term }),
  onRenewed: (gapMs) => post({ type: 'renewed', gapMs }),
  log: (level, fields, message) => post({ type: 'log', level, fields, message }),
});
port.on('message', (m: unknown) => {
  if (m !== 'stop') return;
  void elector.stop().finally(() => {
    post({ type: 'done' });
    port.close();
  });
});
elector.start();
