export * from "./types.js";
export * from "./errors.js";
export * from "./flows.js";
export * from "./client.js";
export * from "./tokens.js";
export type { Contract } from "./contract.js";
export type { components as OpenAPIComponents, paths as OpenAPIPaths } from "./openapi.js";
