// Stylesheets are bundled by esbuild (scripts/build-console.ts); importing one has no value.
declare module '*.css';
