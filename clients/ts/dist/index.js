// Latch headless browser API client: types, requests, errors, flows.
export * from "./types.js";
export * from "./errors.js";
export * from "./flows.js";
export * from "./client.js";
export * from "./tokens.js";
