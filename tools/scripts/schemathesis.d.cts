export declare const SCHEMATHESIS: string;
export declare function installSchemathesis(): string;
