#!/usr/bin/env node
// The CLI is TypeScript run by Node's built-in type stripping (Node >= 24, see package.json engines).
import '../controller/cli/main.ts';
