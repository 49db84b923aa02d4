// The git source loading one commit, for the bounded harness (test/support/hostile-repo.ts): prints the
// SourceResult as one JSON line (errors cut to the first few, with their count).
// Usage: node test/support/measured.ts test/support/git-load-child.ts <url> <workDir>
import { GitSource } from '../../controller/sources/git.ts';

const [url, workDir] = process.argv.slice(2);
const src = new GitSource({ url: url!, workDir: workDir!, fetchIntervalMs: 0 });
const res = await src.load();
await src.close();
process.stdout.write(JSON.stringify(res.ok
  ? { ok: true, objects: res.revision.objects.length }
  : res.reason === 'invalid' ? { ok: false, reason: res.reason, errors: res.errors.slice(0, 5), errorCount: res.errors.length }
    : { ok: false, reason: res.reason, errors: [res.message], errorCount: 1 }) + '\n');
