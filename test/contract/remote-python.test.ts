// The remote driver passes the driver contract against an out-of-process driver written in Python
// (examples/remote-driver/driver.py, standard library only), over real HTTP: the protocol is language-neutral.
import { remoteHarness } from '../../controller/drivers/conformance/remote-harness.ts';
import type { ConformanceHarness } from '../../controller/drivers/conformance/scenario.ts';
import { startPythonDriver, type PythonDriver } from '../support/python-driver.ts';
import { driverContract } from './driver-contract.ts';

let python: Promise<PythonDriver> | undefined;
let harness: Promise<ConformanceHarness> | undefined;
const started = () => (python ??= startPythonDriver());

const contract = driverContract('remote (HTTP to a Python driver)', async (scenario) => {
  harness ??= started().then(async (p) => (await remoteHarness({ url: p.url, tokenFile: p.tokenFile, pageSize: 2 })).harness);
  return (await harness)(scenario);
}, { cancel: true, provisioning: true });
contract.after(async () => { await (await python)?.stop(); });
contract.run();
