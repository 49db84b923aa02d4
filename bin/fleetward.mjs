#!/usr/bin/env node
// The CLI is TypeScript run by Node's built-in type stripping, which needs Node 24 or newer.
// `npm install` puts a Node 24 runtime in node_modules/.bin, which `npx fleetward` and `npm run` use.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(`fleetward: needs Node 24 or newer (this is ${process.version}); run it as \`npx fleetward\` from the checkout, which uses the Node 24 that npm install brought\n`);
  process.exit(2);
}
await import('../controller/cli/main.ts');
