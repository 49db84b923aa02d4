// A write refused because this replica no longer holds the leadership its pass started under (the operator's
// Lease; controller/operator/fence.ts). The pass is abandoned where it stands: it is not recorded, nothing
// more of it is written, and the loop stops (docs/kubernetes.md "Leader election and fencing").
export class FencedOut extends Error {
  constructor(what: string) {
    super(`not the leader any more (lease lost): ${what} not written`);
    this.name = 'FencedOut';
  }
}
