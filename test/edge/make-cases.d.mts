export declare const FAMILIES: readonly string[];
export declare const CASE_NAMES: readonly string[];
export declare function selectCases(referenceDir?: string): Record<string, unknown[]>;
export declare function makeCases(outPath?: string, referenceDir?: string): string;
