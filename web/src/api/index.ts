// Latch headless browser API client: types, requests, errors, flows.
export * from "./types";
export * from "./errors";
export * from "./flows";
export * from "./client";
