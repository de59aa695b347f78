// Wire types of the headless API (/_allauth/{browser,app}/v1), as Latch
// serves it (httpapi/openapi.yaml) and django-allauth defines it. Keys the
// server omits when empty are optional here. The types that name a schema
// of the document are taken from src/openapi.ts (generated from it by
// `npm run generate`); the others are written here to accept what newer
// servers may add, and src/contract.ts proves at compile time that every
// response the document describes fits them.
export {};
