export const GRPCURL: string;
export const GRPCURL_VERSION: string;
export function findGo(): string | null;
export function installGrpcurl(go: string): string;
