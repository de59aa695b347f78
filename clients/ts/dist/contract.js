// Compile-time proof that the client's types agree with httpapi/openapi.yaml
// (through src/openapi.ts, generated from it): every response body the
// document describes fits the type the client reads it as, and every
// request body the client sends fits the document. `tsc` (in `npm test`)
// fails on drift: a field renamed, a type changed, a required one added.
// Nothing here runs; the module exports only types.
export {};
