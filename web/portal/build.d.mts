/** Types for build.mjs (used by tests). */
export declare function buildPortal(outDir?: string): Promise<{ bytes: number; outDir: string }>;
