// Types of compress.mjs, for vite.config.ts.
export declare const COMPRESSIBLE: RegExp;
export declare function gzip(body: Uint8Array): Buffer;
export declare function brotli(body: Uint8Array): Buffer;
export declare function compressDir(dir: string): Array<{ file: string; size: number; original: number }>;
